#include "options.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace runall;

namespace {

using Words = std::vector<std::string>;

// A small tool's options: -b, -q; -o and --tap with values; -D repeatable.
struct Parsed {
  bool b = false, q = false;
  std::string o, tap, any;
  Words d, operands;
  std::string error;
};

Parsed Scan(const Words& args) {
  Parsed p;
  OptionScanner opts(args, {"-D"});
  while (opts.Next()) {
    std::string d;
    if (opts.Flag("-b"))
      p.b = true;
    else if (opts.Flag("-q"))
      p.q = true;
    else if (opts.Value("-D", &d))
      p.d.push_back(d);
    else if (!opts.Value("-o", &p.o) && !opts.Value("--tap", &p.tap) &&
             !opts.Value("-a", &p.any, ValueForm::kAnyWord))
      opts.Unknown();
  }
  p.error = opts.error();
  if (opts.ok()) p.operands = opts.Operands();
  return p;
}

}  // namespace

TEST(OptionScanner, OptionsComeFirstAndTheFirstOperandEndsThem) {
  Parsed p = Scan({"-b", "-o", "log", "host", "-q", "-o", "x"});
  EXPECT_EQ("", p.error);
  EXPECT_TRUE(p.b);
  EXPECT_FALSE(p.q);
  EXPECT_EQ("log", p.o);
  EXPECT_EQ((Words{"host", "-q", "-o", "x"}), p.operands);
  // "-" alone and the empty word are operands; "--" ends the options.
  EXPECT_EQ((Words{"-", "-b"}), Scan({"-", "-b"}).operands);
  EXPECT_EQ((Words{"", "-b"}), Scan({"", "-b"}).operands);
  p = Scan({"-q", "--", "-b", "x"});
  EXPECT_FALSE(p.b);
  EXPECT_EQ((Words{"-b", "x"}), p.operands);
  EXPECT_TRUE(Scan({}).operands.empty());
}

TEST(OptionScanner, ValuesAttachedOrInTheNextWord) {
  EXPECT_EQ("log", Scan({"-olog"}).o);
  EXPECT_EQ("log", Scan({"-o", "log"}).o);
  EXPECT_EQ("-", Scan({"-o", "-"}).o);  // "-" is a value (stdout, stdin)
  EXPECT_EQ("f", Scan({"--tap=f"}).tap);
  EXPECT_EQ("f", Scan({"--tap", "f"}).tap);
  EXPECT_EQ("-x", Scan({"--tap=-x"}).tap);
  EXPECT_EQ("-x", Scan({"-o-x"}).o);
  // Options are matched whole.
  EXPECT_EQ("unknown option --tapx", Scan({"--tapx", "f"}).error);
  EXPECT_EQ("unknown option -bq", Scan({"-bq"}).error);
}

TEST(OptionScanner, AValueIsNeitherMissingNorEmptyNorAnOption) {
  EXPECT_EQ("-o needs a value", Scan({"-o"}).error);
  EXPECT_EQ("-o needs a value", Scan({"-o", "-b"}).error);
  EXPECT_EQ("--tap needs a value", Scan({"--tap"}).error);
  EXPECT_EQ("--tap needs a non-empty value", Scan({"--tap="}).error);
  EXPECT_EQ("-o needs a non-empty value", Scan({"-o", ""}).error);
  // kAnyWord takes the next word as getopt does, for the tool to judge.
  EXPECT_EQ("-guest", Scan({"-a", "-guest"}).any);
  Parsed p = Scan({"-a", "", "x"});
  EXPECT_EQ("", p.error);
  EXPECT_EQ("", p.any);
  EXPECT_EQ(Words{"x"}, p.operands);
  EXPECT_EQ("-a needs a value", Scan({"-a"}).error);
}

TEST(OptionScanner, OnceUnlessRepeatable) {
  EXPECT_EQ("-o given twice", Scan({"-o", "a", "-ob"}).error);
  EXPECT_EQ("-b given twice", Scan({"-b", "-b"}).error);
  Parsed p = Scan({"-D", "a", "-Db", "x"});
  EXPECT_EQ("", p.error);
  EXPECT_EQ((Words{"a", "b"}), p.d);
  EXPECT_EQ(Words{"x"}, p.operands);
}

TEST(OptionScanner, TheFirstErrorStopsTheScanAndIsTheOneSaid) {
  Parsed p = Scan({"-x", "-o"});
  EXPECT_EQ("unknown option -x", p.error);
  EXPECT_TRUE(p.operands.empty());
}

TEST(OptionScanner, TakeNextWordTakesWhateverFollows) {
  Words args = {"-s", "-weird", "host"};
  OptionScanner opts(args);
  std::string script;
  ASSERT_TRUE(opts.Next());
  ASSERT_TRUE(opts.Flag("-s"));
  ASSERT_TRUE(opts.TakeNextWord(&script));
  EXPECT_EQ("-weird", script);
  EXPECT_FALSE(opts.Next());
  EXPECT_EQ(Words{"host"}, opts.Operands());
  Words alone = {"-s"};
  OptionScanner end(alone);
  ASSERT_TRUE(end.Next());
  ASSERT_TRUE(end.Flag("-s"));
  EXPECT_FALSE(end.TakeNextWord(&script));
}

TEST(AsksForHelp, AnywhereBeforeDoubleDash) {
  EXPECT_TRUE(AsksForHelp({"--help"}));
  EXPECT_TRUE(AsksForHelp({"tap1", "-h"}));
  EXPECT_FALSE(AsksForHelp({"--", "--help"}));
  EXPECT_FALSE(AsksForHelp({"-help", "--helpx"}));
}
