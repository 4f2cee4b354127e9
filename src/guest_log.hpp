// guest_log: one guest's log lines. Each line goes to the run's log (the
// log file, or stderr) and to the guest's own log, LOGDIR/HOST.log, which
// also keeps the script's output, so that one file tells what happened to
// one guest.
#pragma once

#include <stddef.h>
#include <time.h>

#include <string>
#include <vector>

#include "log.hpp"

namespace runall {

class GuestLog {
 public:
  /// Lines go to `log` under `host`, and to the guest's own log once Open
  /// succeeded.
  GuestLog(Log* log, std::string host);
  ~GuestLog();
  GuestLog(const GuestLog&) = delete;
  GuestLog& operator=(const GuestLog&) = delete;

  /// Opens the guest's own log at `path`. It holds the guest's last run:
  /// a run that is alone on the guest empties it first; a run that overlaps
  /// another on the same guest appends instead (appending() says so), and
  /// no run's lines are lost. False with *err when the file cannot be
  /// opened - lines then go to the run's log only - or cannot be emptied,
  /// in which case it is open all the same and appended to.
  bool Open(const std::string& path, std::string* err);

  /// The guest's own log, once open; else empty.
  const std::string& path() const { return path_; }
  /// True when another run was writing the guest's log when it was opened.
  bool appending() const { return appending_; }
  /// Where this run's part of the guest's log begins, in bytes: 0 once
  /// emptied, else where the log ended when it was opened.
  long long run_start() const { return run_start_; }

  void Msg(const std::string& text);
  void Error(const std::string& text);
  void Cmd(const std::vector<std::string>& argv);

  /// Output of the guest's script, for its own log only (the terminal gets
  /// it through the console).
  void Output(const char* data, size_t size);

  /// Replaces the clock of the guest's own log's lines, for tests.
  void SetClock(time_t (*clock)()) { clock_ = clock; }

 private:
  void ToFile(const std::string& message);

  Log* log_;
  std::string host_;
  std::string path_;
  int fd_ = -1;
  bool appending_ = false;
  long long run_start_ = 0;
  /// False after script output that ended without a newline: the next log
  /// line then starts a line of its own.
  bool at_line_start_ = true;
  time_t (*clock_)();
};

/// What the script printed on `host` in one run: the guest's log `path`
/// from that run's start (GuestLog::run_start) on, less runall's log lines.
/// When that part is longer than `max_bytes`, only its end is read, from a
/// line's start, after a line that says how much was left out. A run that
/// overlapped another on the same guest shares its part of the log with it,
/// and gets the other's output as well.
bool ReadRunOutput(const std::string& path, const std::string& host, long long start,
                   size_t max_bytes, std::string* output, std::string* err);

}  // namespace runall
