#include "options.hpp"

#include <algorithm>

namespace runall {

namespace {

// A word that is an option rather than an operand or a value.
bool LooksLikeOption(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

}  // namespace

OptionScanner::OptionScanner(const std::vector<std::string>& args,
                             std::vector<std::string> repeatable)
    : args_(args), repeatable_(std::move(repeatable)) {}

bool OptionScanner::Next() {
  if (done_ || !ok()) return false;
  pos_ = next_;
  if (pos_ >= args_.size()) {
    done_ = true;
    return false;
  }
  const std::string& w = args_[pos_];
  if (w == "--") {
    next_ = pos_ + 1;
    done_ = true;
    return false;
  }
  if (!LooksLikeOption(w)) {
    done_ = true;
    return false;
  }
  next_ = pos_ + 1;
  started_ = true;
  return true;
}

bool OptionScanner::Taken(const std::string& name) {
  if (std::find(seen_.begin(), seen_.end(), name) != seen_.end() &&
      std::find(repeatable_.begin(), repeatable_.end(), name) == repeatable_.end()) {
    Error(name + " given twice");
  }
  seen_.push_back(name);
  return true;
}

bool OptionScanner::Flag(const std::string& name) {
  if (!started_ || done_ || word() != name) return false;
  return Taken(name);
}

bool OptionScanner::Value(const std::string& name, std::string* value, ValueForm form) {
  const bool any = form == ValueForm::kAnyWord;
  if (!started_ || done_) return false;
  const std::string& w = word();
  const bool one_letter = name.size() == 2 && name[0] == '-' && name[1] != '-';
  const bool long_option = name.compare(0, 2, "--") == 0;
  if (w == name) {
    if (next_ >= args_.size() || (!any && LooksLikeOption(args_[next_]))) {
      Error(name + " needs a value");
      return true;
    }
    *value = args_[next_++];
  } else if (one_letter && w.compare(0, 2, name) == 0) {
    *value = w.substr(2);
  } else if (long_option && w.size() > name.size() && w.compare(0, name.size(), name) == 0 &&
             w[name.size()] == '=') {
    *value = w.substr(name.size() + 1);
  } else {
    return false;
  }
  if (!any && value->empty()) {
    Error(name + " needs a non-empty value");
    return true;
  }
  return Taken(name);
}

bool OptionScanner::TakeNextWord(std::string* value) {
  if (!started_ || done_ || next_ >= args_.size()) return false;
  *value = args_[next_++];
  return true;
}

void OptionScanner::Unknown() { Error("unknown option " + word()); }

void OptionScanner::Error(const std::string& text) {
  if (error_.empty()) error_ = text;
}

std::vector<std::string> OptionScanner::Operands() const {
  if (!done_ || next_ >= args_.size()) return {};
  return std::vector<std::string>(args_.begin() + static_cast<long>(next_), args_.end());
}

bool AsksForHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

}  // namespace runall
