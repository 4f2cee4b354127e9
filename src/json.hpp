// json: the little JSON runall reads and writes - QEMU's monitor protocol
// (QMP) speaks it one object per line. A strict parser into a small tree
// and a string quoter; no I/O, no locale, bounded depth, so a hostile or
// broken peer can only make a parse fail.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace runall {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;              ///< a string's value (UTF-8), or a number as written
  std::vector<JsonValue> items;  ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject

  /// The member `key` of an object, or nullptr (also for a non-object).
  const JsonValue* Find(const std::string& key) const;
  /// The string member `key`, or "" when missing or not a string.
  std::string StringAt(const std::string& key) const;
};

/// Parses exactly one JSON value from `text` (surrounding whitespace
/// allowed). False with *err naming the offset on anything else: trailing
/// bytes, bad escapes, unpaired surrogates, control characters in strings,
/// nesting deeper than 64.
bool ParseJson(const std::string& text, JsonValue* out, std::string* err);

/// `s` as a JSON string literal, quotes included. Bytes that are not valid
/// UTF-8 become U+FFFD, so the result is always valid JSON.
std::string JsonQuote(const std::string& s);

}  // namespace runall
