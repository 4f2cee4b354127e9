#include "json.hpp"

#include <stdint.h>

#include "utf8.hpp"

namespace runall {

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  bool Document(JsonValue* out, std::string* err) {
    SkipSpace();
    if (!Value(out, 0)) return Error(err);
    SkipSpace();
    if (pos_ != text_.size()) {
      why_ = "unexpected bytes after the value";
      return Error(err);
    }
    return true;
  }

 private:
  bool Error(std::string* err) {
    if (err) *err = std::string("JSON: ") + why_ + " at offset " + std::to_string(pos_);
    return false;
  }

  // Notes what is wrong with the text, for Error to report.
  bool Invalid(const char* why) {
    why_ = why;
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool Literal(const char* word) {
    size_t i = 0;
    for (; word[i]; ++i)
      if (pos_ + i >= text_.size() || text_[pos_ + i] != word[i]) return Invalid("bad literal");
    pos_ += i;
    return true;
  }

  bool Value(JsonValue* v, int depth) {
    if (depth > kMaxDepth) return Invalid("nested too deeply");
    if (pos_ >= text_.size()) return Invalid("unexpected end");
    char c = text_[pos_];
    switch (c) {
      case '{': return Object(v, depth);
      case '[': return Array(v, depth);
      case '"': v->type = JsonValue::Type::kString; return String(&v->text);
      case 't':
        v->type = JsonValue::Type::kBool;
        v->boolean = true;
        return Literal("true");
      case 'f':
        v->type = JsonValue::Type::kBool;
        v->boolean = false;
        return Literal("false");
      case 'n': v->type = JsonValue::Type::kNull; return Literal("null");
      default: v->type = JsonValue::Type::kNumber; return Number(&v->text);
    }
  }

  bool Digits() {
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  // The grammar of RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number(std::string* out) {
    size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      return Invalid("bad number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return Invalid("bad number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!Digits()) return Invalid("bad number");
    }
    out->assign(text_, start, pos_ - start);
    return true;
  }

  bool Hex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Invalid("bad \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return Invalid("bad \\u escape");
    }
    *out = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xc0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xe0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      *out += static_cast<char>(0xf0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool String(std::string* out) {
    ++pos_;  // the opening quote
    out->clear();
    while (true) {
      if (pos_ >= text_.size()) return Invalid("unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return Invalid("control character in string");
      if (c != '\\') {
        *out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= text_.size()) return Invalid("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return Invalid("unpaired surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low = 0;
            if (text_.compare(pos_, 2, "\\u") != 0) return Invalid("unpaired surrogate");
            pos_ += 2;
            if (!Hex4(&low)) return false;
            if (low < 0xdc00 || low > 0xdfff) return Invalid("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Invalid("bad escape");
      }
    }
  }

  bool Array(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      v->items.emplace_back();
      SkipSpace();
      if (!Value(&v->items.back(), depth + 1)) return false;
      SkipSpace();
      if (pos_ >= text_.size()) return Invalid("unterminated array");
      char c = text_[pos_++];
      if (c == ']') return true;
      if (c != ',') return Invalid("expected ',' or ']'");
    }
  }

  bool Object(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Invalid("expected a key");
      std::string key;
      if (!String(&key)) return false;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Invalid("expected ':'");
      ++pos_;
      SkipSpace();
      v->members.emplace_back(std::move(key), JsonValue());
      if (!Value(&v->members.back().second, depth + 1)) return false;
      SkipSpace();
      if (pos_ >= text_.size()) return Invalid("unterminated object");
      char c = text_[pos_++];
      if (c == '}') return true;
      if (c != ',') return Invalid("expected ',' or '}'");
    }
  }

  const std::string& text_;
  size_t pos_ = 0;
  const char* why_ = "";
};

}  // namespace

const JsonValue* JsonValue::Find(const std::string& key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

std::string JsonValue::StringAt(const std::string& key) const {
  const JsonValue* v = Find(key);
  return v && v->type == Type::kString ? v->text : std::string();
}

bool ParseJson(const std::string& text, JsonValue* out, std::string* err) {
  *out = JsonValue();
  return Parser(text).Document(out, err);
}

std::string JsonQuote(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string q = "\"";
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      q += "\\n";
      ++i;
    } else if (c == '\r') {
      q += "\\r";
      ++i;
    } else if (c == '\t') {
      q += "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      q += "\\u00";
      q += kHex[c >> 4];
      q += kHex[c & 15];
      ++i;
    } else {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        q += "\xef\xbf\xbd";  // U+FFFD for a byte that is not UTF-8
        ++i;
      } else {
        q.append(s, i, n);
        i += n;
      }
    }
  }
  return q + "\"";
}

}  // namespace runall
