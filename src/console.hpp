// console: everything runall-os-test writes to the terminal - the guests'
// script output (whole lines prefixed "[host] " when guests run side by
// side), the driver's own lines, and one progress line ("booting netqemu
// 12s/240s") that is cleared before any other output and drawn again after
// it, so that it never mixes with them. Safe to use from the -j workers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace runall {

/// Cuts a stream of output into whole lines, each written with `prefix`
/// before it ("[host] " when guests run side by side), so that lines of two
/// guests never mix; a last line without a newline comes out of Flush.
class LinePrefixer {
 public:
  explicit LinePrefixer(std::string prefix) : prefix_(std::move(prefix)) {}
  /// The complete lines in `data` (plus what was held back before).
  std::string Feed(const char* data, size_t size);
  /// What is held back, as a line of its own; empty if nothing.
  std::string Flush();

 private:
  std::string prefix_;
  std::string partial_;
};

/// One guest being waited on, for the terminal's progress line.
struct ProgressItem {
  std::string what;  ///< "booting", "stopping", ...
  std::string host;
  int64_t waited_s = 0;
  unsigned limit_s = 0;  ///< 0: no limit shown
};

/// "booting netqemu 12s/240s, stopping solqemu 3s/60s", cut to `width`
/// columns (at least 10) so that it never wraps.
std::string ProgressLine(const std::vector<ProgressItem>& items, size_t width);

/// The terminal: stdout and stderr, and the progress line on stderr.
class Console {
 public:
  /// `progress`: draw the progress line (stderr is a terminal, no -q) on
  /// `progress_fd` (stderr; a test gives a file); `prefix`: prefix each
  /// line of script output with its guest.
  Console(bool progress, bool prefix, int progress_fd = 2)
      : progress_(progress), prefix_(prefix), progress_fd_(progress_fd) {}

  /// Output of a guest's script on `fd` (1 or 2).
  void Output(const std::string& host, int fd, const char* data, size_t n);

  /// The end of a guest's output: a last line without a newline gets one.
  void EndOutput(const std::string& host);

  /// Whole lines of the driver's own (log lines, the summary).
  void Text(int fd, const std::string& text);

  /// Shows (or updates) `item` on the progress line, one item per host.
  void SetProgress(const ProgressItem& item);
  /// Takes `host` off the progress line.
  void ClearProgress(const std::string& host);

 private:
  LinePrefixer& Prefixer(const std::string& host, int fd);
  void ClearLocked();
  void DrawLocked();

  std::mutex mu_;
  const bool progress_;
  const bool prefix_;
  const int progress_fd_;
  bool shown_ = false;
  bool at_line_start_ = true;
  std::vector<ProgressItem> items_;
  std::map<std::pair<std::string, int>, LinePrefixer> prefixers_;
};

}  // namespace runall
