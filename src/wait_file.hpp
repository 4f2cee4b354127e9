// wait_file: wait, with a deadline, until a file is written after a given
// time - how runall-os-test sees a guest's up-file. On Linux an inotify
// watch on the directory wakes it the moment the file is created, written,
// renamed into place or touched; elsewhere (or if inotify fails) it polls
// every poll_ms. Either way it also stats the file at every tick, so a
// change inotify cannot see (a file server writing it) is noticed within a
// second. Interrupts (see interrupt.hpp) end the wait at once. The only
// module that knows inotify.
#pragma once

#include <stdint.h>
#include <time.h>

#include <functional>
#include <string>

namespace runall {

enum class WaitResult {
  kAppeared,     ///< the file exists with an mtime later than newer_than
  kTimedOut,     ///< the timeout passed first
  kInterrupted,  ///< SIGINT/SIGTERM/SIGHUP arrived
  kStopped,      ///< the tick callback asked to stop
};

struct FileWait {
  std::string dir;   ///< the directory to watch
  std::string name;  ///< the file in it
  /// The file counts once its mtime is strictly later than this. Take it
  /// from another file's mtime (the launch file's), not from the clock:
  /// file times come from a coarse clock and can read a few milliseconds
  /// earlier than clock_gettime did just before the write.
  struct timespec newer_than = {0, 0};
  int64_t timeout_ms = 0;
  /// Called every tick_ms with the milliseconds waited so far (for a
  /// progress line, or to notice that QEMU exited); false ends the wait.
  std::function<bool(int64_t waited_ms)> tick;
  unsigned tick_ms = 1000;
  bool use_inotify = true;  ///< false: poll only (tests, odd filesystems)
  unsigned poll_ms = 100;
};

/// Waits as `w` says. On kAppeared, *mtime (if non-null) is the file's mtime.
WaitResult WaitForFile(const FileWait& w, struct timespec* mtime);

/// True if `path` exists and its mtime is later than `newer_than`; *mtime
/// (if non-null) gets the mtime whenever the file exists.
bool FileNewerThan(const std::string& path, const struct timespec& newer_than,
                   struct timespec* mtime);

/// True if a is later than b.
bool TimespecAfter(const struct timespec& a, const struct timespec& b);

}  // namespace runall
