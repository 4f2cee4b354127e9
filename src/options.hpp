// options: the one way runall's tools read their command lines. Pure.
//
// The rules, the same in every tool:
//   - options come first; the first word that is not one ("-" alone and
//     the empty word are not), or the word after "--", ends them, and the
//     rest are operands;
//   - a one-letter option's value is attached ("-j4") or the next word
//     ("-j 4"); a longer option's is the next word, or for a "--long" one
//     after '=' ("--tap=FILE"); an option is matched whole, so "-sn" is
//     never "-s" with the value "n";
//   - a value is not empty, and a value given as the next word does not
//     begin with '-' (but may be "-"): "-i -q" lacks the interface rather
//     than naming one "-q" (attach a value that begins with '-': "-o-log",
//     "--tap=-x"). An option may take kAnyWord instead, as getopt does:
//     the next word whatever it is, empty or not, for the tool to judge
//     (update-dynamic-hosts -d, whose hostname check explains a refused
//     "-guest" better than "needs a value" would);
//   - no option is given twice unless the tool says it may be
//     (runall-dhcpd's -D and -r).
// The errors read "unknown option -x", "-j needs a value", "-j needs a
// non-empty value", "-C given twice".
//
//   OptionScanner opts(args);
//   while (opts.Next()) {
//     if (opts.Flag("-b")) background = true;
//     else if (opts.Value("-o", &console_log)) {}
//     else opts.Unknown();
//   }
//   if (!opts.ok()) return Fail(err, opts.error());
//   operands = opts.Operands();
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

namespace runall {

/// What an option's value may be (see the rules above).
enum class ValueForm {
  kNotAnOption,  ///< non-empty; as the next word, not beginning with '-'
  kAnyWord,      ///< anything, as getopt takes it
};

class OptionScanner {
 public:
  explicit OptionScanner(const std::vector<std::string>& args,
                         std::vector<std::string> repeatable = {});

  /// Moves to the next option. False once the options have ended (see
  /// above), or after an error.
  bool Next();

  /// The option word being looked at.
  const std::string& word() const { return args_[pos_]; }

  /// True if the option is the flag `name` ("-b", "--stop").
  bool Flag(const std::string& name);

  /// True if the option is `name`, which takes a value: *value gets it.
  /// A missing value, or one `form` refuses, is an error, and true is
  /// still returned (the caller then stops at ok()).
  bool Value(const std::string& name, std::string* value, ValueForm form = ValueForm::kNotAnOption);

  /// Takes the word after a Flag as its value, whatever it is - the
  /// article's "-s SCRIPT", where a script named "-x" is still the script.
  /// False if there is none.
  bool TakeNextWord(std::string* value);

  /// Says that the option is none the tool knows.
  void Unknown();

  /// Records an error of the tool's own about the option (a bad value).
  void Error(const std::string& text);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  /// The words after the options, once Next returned false.
  std::vector<std::string> Operands() const;

 private:
  bool Taken(const std::string& name);

  const std::vector<std::string>& args_;
  const std::vector<std::string> repeatable_;
  std::vector<std::string> seen_;
  size_t pos_ = 0;
  size_t next_ = 0;  ///< where the operands begin, once Next is false
  bool started_ = false;
  bool done_ = false;
  std::string error_;
};

/// True if "--help" or "-h" is among `args` before any "--": for tools
/// whose operands are never passed on to another program, help is given
/// wherever it is asked for.
bool AsksForHelp(const std::vector<std::string>& args);

}  // namespace runall
