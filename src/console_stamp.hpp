// console_stamp: a guest's serial console as a log a person can read. Each
// line gets the seconds since QEMU started in front of it (as Go's vmtest
// prints its consoles), so a slow step of a boot shows as a gap; the
// serial line's "\r\n" becomes "\n", and terminal escape sequences and
// other control characters, which a boot prints in plenty, are dropped.
// Pure: bytes and times in, text out.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <string>
#include <vector>

namespace runall {

class ConsoleStamper {
 public:
  /// `start_ms`: when QEMU started, on the clock of the later `now_ms`.
  explicit ConsoleStamper(int64_t start_ms) : start_ms_(start_ms) {}

  /// Takes bytes read at `now_ms`; appends each completed line to *out as
  /// "[SSSS.mmm] text\n", stamped with the time its first byte arrived.
  /// A line longer than kMaxLine bytes is cut into several.
  void Feed(const char* data, size_t n, int64_t now_ms, std::string* out);

  /// At the end of the console: the unfinished line, if any, ended.
  void Finish(std::string* out);

  static constexpr size_t kMaxLine = 4096;

 private:
  void EndLine(std::string* out);

  enum class Escape { kNone, kStart, kCsi, kString };
  int64_t start_ms_;
  int64_t line_ms_ = 0;
  bool in_line_ = false;
  std::string line_;
  Escape escape_ = Escape::kNone;
};

/// The prefix of a line that started `elapsed_ms` after QEMU: "[   2.345] ".
std::string ConsoleStamp(int64_t elapsed_ms);

/// `line` without the ConsoleStamp it starts with, if it has one: what the
/// guest (or QEMU) said, for quoting in a message.
std::string WithoutConsoleStamp(const std::string& line);

/// The line runqemuos's console logger writes before each QEMU's output,
/// so that one launch's lines are told from the last one's in a console
/// log that every launch appends to:
///   "--- QEMU for HOST, pid N, started YYYY-MM-DD HH:MM:SS ---" (local time)
std::string ConsoleHeader(const std::string& host, pid_t pid, time_t started);

/// In `log` (a console log's text, or its end): true once it holds the
/// header of the launch of QEMU `pid`; *last is then the last non-blank
/// line after it, without its stamp (empty while QEMU has said nothing, or
/// its words are still on their way through the logger).
bool LaunchLastLine(const std::string& log, pid_t pid, std::string* last);

/// Up to `max_lines` last lines of the last launch in `log` (a console
/// log's text, or its end): the lines after its last header, or of the
/// whole text if it holds none. Empty lines at the end are left out.
std::vector<std::string> LastLaunchLines(const std::string& log, size_t max_lines);

}  // namespace runall
