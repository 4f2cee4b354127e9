// process_watch: follow a process that is not our child - a guest's QEMU,
// which runqemuos started and left - to learn the moment it exits, and to
// signal it without ever hitting a process that reused its pid. On Linux a
// pidfd (pidfd_open, 5.3 and later) does both; elsewhere, or on an older
// kernel, kill(pid, 0) is polled every 50 ms and signals go by pid.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <functional>
#include <string>

namespace runall {

/// How WaitExit ended.
enum class ExitWait {
  kExited,       ///< the process is gone
  kTimedOut,     ///< the timeout passed first
  kInterrupted,  ///< SIGINT/SIGTERM/SIGHUP arrived (interrupt.hpp)
  kStopped,      ///< the tick callback asked to stop
};

class ProcessWatch {
 public:
  /// Pins `pid` at once. Check that it is the expected process AFTER this
  /// (the pin then keeps it that process).
  explicit ProcessWatch(pid_t pid);
  ~ProcessWatch();
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  pid_t pid() const { return pid_; }

  /// True while the process has not exited.
  bool Alive() const;

  /// Waits up to `timeout_ms` for the process to exit. `tick` (if set) is
  /// called every `tick_ms` with the milliseconds waited; false stops.
  ExitWait WaitExit(int64_t timeout_ms, const std::function<bool(int64_t)>& tick = nullptr,
                    unsigned tick_ms = 1000) const;

  /// Sends `sig` to the pinned process. False (with *err, and errno ESRCH
  /// when the process is gone) if the signal could not be sent.
  bool Signal(int sig, std::string* err) const;

 private:
  pid_t pid_;
  int pidfd_;  ///< -1 where pidfds are unavailable
};

}  // namespace runall
