#include "log.hpp"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fail.hpp"
#include "file_io.hpp"

namespace runall {

namespace {

// The wall clock, in the seconds of the log lines' stamps.
time_t WallClockSeconds() { return time(nullptr); }

}  // namespace

std::string FormatLogLine(time_t when, const std::string& host, const std::string& message) {
  struct tm tm;
  localtime_r(&when, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y/%m/%d-%H:%M.%S", &tm);
  std::string line = stamp;
  line += ' ';
  if (!host.empty()) line += host + ":: ";
  line += message;
  line += '\n';
  return line;
}

bool IsLogLine(const std::string& line, const std::string& host) {
  // "YYYY/MM/DD-HH:MM.SS ": digits everywhere but at these places.
  static const char kShape[] = "0000/00/00-00:00.00 ";
  const size_t stamp = sizeof kShape - 1;
  if (line.size() < stamp + host.size() + 3) return false;
  for (size_t i = 0; i < stamp; ++i) {
    if (kShape[i] == '0' ? !isdigit(static_cast<unsigned char>(line[i])) : line[i] != kShape[i])
      return false;
  }
  return line.compare(stamp, host.size(), host) == 0 &&
         line.compare(stamp + host.size(), 3, ":: ") == 0;
}

std::string WithoutLogLines(const std::string& text, const std::string& host) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    if (!IsLogLine(text.substr(start, end - start), host)) out.append(text, start, end - start);
    start = end;
  }
  return out;
}

std::string FormatCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& word : argv) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(word);
  }
  return out;
}

std::string ShellQuote(const std::string& word) {
  bool safe = !word.empty();
  for (char ch : word) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!(isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == '=' ||
          c == ':' || c == '@' || c == '+' || c == '%')) {
      safe = false;
      break;
    }
  }
  if (safe) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

Log::Log() : fd_(STDERR_FILENO), own_fd_(false), clock_(WallClockSeconds) {}

Log::~Log() {
  if (own_fd_) close(fd_);
}

bool Log::OpenFile(const std::string& path, std::string* err) {
  int fd = STDERR_FILENO;
  if (!path.empty()) {
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
      *err = ErrnoMessage(path);
      return false;
    }
  }
  if (own_fd_) close(fd_);
  fd_ = fd;
  own_fd_ = !path.empty();
  return true;
}

void Log::Msg(const std::string& host, const std::string& message) {
  Write(FormatLogLine(clock_(), host, message));
}

void Log::Cmd(const std::string& host, const std::vector<std::string>& argv) {
  Msg(host, "CMD:: " + FormatCommand(argv));
}

void Log::Error(const std::string& host, const std::string& message) {
  Msg(host, "ERROR:: " + message);
}

void Log::Write(const std::string& line) {
  if (writer_) {
    writer_(line);
    return;
  }
  // A single write() of an O_APPEND fd keeps lines whole when several
  // drivers (or -j workers) share one log file.
  // A failure is ignored: logging must never take the tool down.
  WriteAll(fd_, line);
}

}  // namespace runall
