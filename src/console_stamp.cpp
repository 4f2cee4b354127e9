#include "console_stamp.hpp"

#include <stdio.h>

namespace runall {

std::string ConsoleStamp(int64_t elapsed_ms) {
  if (elapsed_ms < 0) elapsed_ms = 0;
  char buf[40];
  snprintf(buf, sizeof buf, "[%4lld.%03lld] ",
           static_cast<long long>(elapsed_ms / 1000),
           static_cast<long long>(elapsed_ms % 1000));
  return buf;
}

void ConsoleStamper::EndLine(std::string* out) {
  *out += ConsoleStamp(line_ms_ - start_ms_);
  *out += line_;
  *out += '\n';
  line_.clear();
  in_line_ = false;
}

void ConsoleStamper::Feed(const char* data, size_t n, int64_t now_ms,
                          std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    // Escape sequences: CSI (ESC [ ... final byte 0x40-0x7e), the string
    // kinds (OSC, DCS...: up to BEL or ESC \), and two-byte ones (ESC c).
    switch (escape_) {
      case Escape::kStart:
        escape_ = c == '[' ? Escape::kCsi
                  : (c == ']' || c == 'P' || c == '_' || c == '^')
                      ? Escape::kString
                      : Escape::kNone;
        continue;
      case Escape::kCsi:
        if (c >= 0x40 && c <= 0x7e) escape_ = Escape::kNone;
        continue;
      case Escape::kString:
        if (c == 0x07) escape_ = Escape::kNone;
        else if (c == 0x1b) escape_ = Escape::kStart;
        continue;
      case Escape::kNone:
        break;
    }
    if (c == 0x1b) {
      escape_ = Escape::kStart;
      continue;
    }
    if (c == '\n') {
      if (!in_line_) line_ms_ = now_ms;
      EndLine(out);
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) continue;  // '\r' among them
    if (!in_line_) {
      in_line_ = true;
      line_ms_ = now_ms;
    }
    line_ += static_cast<char>(c);
    if (line_.size() >= kMaxLine) EndLine(out);
  }
}

void ConsoleStamper::Finish(std::string* out) {
  if (in_line_) EndLine(out);
  escape_ = Escape::kNone;
}

}  // namespace runall
