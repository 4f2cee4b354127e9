#include "console_stamp.hpp"

#include <stdio.h>

namespace runall {

std::string ConsoleStamp(int64_t elapsed_ms) {
  if (elapsed_ms < 0) elapsed_ms = 0;
  char buf[40];
  snprintf(buf, sizeof buf, "[%4lld.%03lld] ", static_cast<long long>(elapsed_ms / 1000),
           static_cast<long long>(elapsed_ms % 1000));
  return buf;
}

namespace {

const char kHeaderStart[] = "--- QEMU for ";
const char kHeaderEnd[] = " ---";

bool IsHeader(const std::string& line) {
  const size_t a = sizeof kHeaderStart - 1, b = sizeof kHeaderEnd - 1;
  return line.size() >= a + b && line.compare(0, a, kHeaderStart) == 0 &&
         line.compare(line.size() - b, b, kHeaderEnd) == 0;
}

}  // namespace

std::string ConsoleHeader(const std::string& host, pid_t pid, time_t started) {
  struct tm tm;
  char when[32] = "?";
  if (localtime_r(&started, &tm) != nullptr) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  return kHeaderStart + host + ", pid " + std::to_string(pid) + ", started " + when + kHeaderEnd;
}

namespace {

// The lines of `log` after its last header (*header, empty if it holds
// none: then all its lines), without the blank ones at the end.
std::vector<std::string> LastLaunch(const std::string& log, std::string* header) {
  std::vector<std::string> lines;
  header->clear();
  size_t pos = 0;
  while (pos < log.size()) {
    size_t nl = log.find('\n', pos);
    if (nl == std::string::npos) nl = log.size();
    std::string line = log.substr(pos, nl - pos);
    pos = nl + 1;
    if (IsHeader(line)) {
      *header = line;
      lines.clear();
    } else {
      lines.push_back(line);
    }
  }
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos)
    lines.pop_back();
  return lines;
}

}  // namespace

std::vector<std::string> LastLaunchLines(const std::string& log, size_t max_lines) {
  std::string header;
  std::vector<std::string> lines = LastLaunch(log, &header);
  if (lines.size() > max_lines) lines.erase(lines.begin(), lines.end() - max_lines);
  return lines;
}

bool LaunchLastLine(const std::string& log, pid_t pid, std::string* last) {
  std::string header;
  std::vector<std::string> lines = LastLaunch(log, &header);
  last->clear();
  if (header.find(", pid " + std::to_string(pid) + ", started ") == std::string::npos) return false;
  if (!lines.empty()) {
    std::string line = lines.back();
    while (!line.empty() && line.back() == '\r') line.pop_back();
    *last = WithoutConsoleStamp(line);
  }
  return true;
}

std::string WithoutConsoleStamp(const std::string& line) {
  // "[", blanks, digits, ".", three digits, "] ".
  size_t i = 0;
  if (line.empty() || line[i++] != '[') return line;
  while (i < line.size() && line[i] == ' ') ++i;
  const size_t digits = i;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  if (i == digits || i + 6 > line.size() || line[i] != '.') return line;
  for (size_t k = 1; k <= 3; ++k)
    if (line[i + k] < '0' || line[i + k] > '9') return line;
  i += 4;
  if (line.compare(i, 2, "] ") != 0) return line;
  return line.substr(i + 2);
}

void ConsoleStamper::EndLine(std::string* out) {
  *out += ConsoleStamp(line_ms_ - start_ms_);
  *out += line_;
  *out += '\n';
  line_.clear();
  in_line_ = false;
}

void ConsoleStamper::Feed(const char* data, size_t n, int64_t now_ms, std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    // Escape sequences: CSI (ESC [ ... final byte 0x40-0x7e), the string
    // kinds (OSC, DCS...: up to BEL or ESC \), and two-byte ones (ESC c).
    switch (escape_) {
      case Escape::kStart:
        escape_ = c == '['                                         ? Escape::kCsi
                  : (c == ']' || c == 'P' || c == '_' || c == '^') ? Escape::kString
                                                                   : Escape::kNone;
        continue;
      case Escape::kCsi:
        if (c >= 0x40 && c <= 0x7e) escape_ = Escape::kNone;
        continue;
      case Escape::kString:
        if (c == 0x07)
          escape_ = Escape::kNone;
        else if (c == 0x1b)
          escape_ = Escape::kStart;
        continue;
      case Escape::kNone: break;
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
