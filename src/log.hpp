// log: timestamped log lines in the article's format,
//   YYYY/MM/DD-HH:MM.SS HOST:: message
//   YYYY/MM/DD-HH:MM.SS HOST:: CMD:: argv...
//   YYYY/MM/DD-HH:MM.SS HOST:: ERROR:: message
// ("HOST:: " is left out when no guest is concerned), appended to a log file
// or written to stderr.
#pragma once

#include <time.h>

#include <functional>
#include <string>
#include <vector>

namespace runall {

/// Formats one log line (with its trailing newline) for local time `when`.
std::string FormatLogLine(time_t when, const std::string& host, const std::string& message);

/// True when `line` (with or without its newline) is a log line of `host`
/// as FormatLogLine writes it: a time stamp, then "HOST:: ".
bool IsLogLine(const std::string& line, const std::string& host);

/// `text`, a part of a guest's own log, less the log lines of `host`: what
/// the guest's script printed. A partial last line is kept as it is.
std::string WithoutLogLines(const std::string& text, const std::string& host);

/// Quotes `word` for a POSIX shell (and csh): unchanged when it holds only
/// safe characters, otherwise in single quotes.
std::string ShellQuote(const std::string& word);

/// Joins argv for a CMD:: line, quoting words that a shell would split.
std::string FormatCommand(const std::vector<std::string>& argv);

class Log {
 public:
  /// Logs to stderr.
  Log();
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  /// Appends to `path` from now on (created 0644 if missing). An empty path
  /// means stderr.
  bool OpenFile(const std::string& path, std::string* err);

  void Msg(const std::string& host, const std::string& message);
  void Cmd(const std::string& host, const std::vector<std::string>& argv);
  void Error(const std::string& host, const std::string& message);

  /// Hands every line to `writer` instead of writing it to the fd (the
  /// driver keeps its terminal's progress line apart from log lines on
  /// stderr this way); an empty function restores writing. The writer must
  /// be safe to call from several threads.
  void SetWriter(std::function<void(const std::string& line)> writer) {
    writer_ = std::move(writer);
  }

  /// True when lines go to stderr (no log file).
  bool ToStderr() const { return !own_fd_; }

  /// Replaces the clock, for tests.
  void SetClock(time_t (*clock)()) { clock_ = clock; }

 private:
  void Write(const std::string& line);
  int fd_;
  bool own_fd_;
  time_t (*clock_)();
  std::function<void(const std::string&)> writer_;
};

}  // namespace runall
