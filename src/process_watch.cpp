#include "process_watch.hpp"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "clock.hpp"
#include "fail.hpp"
#include "interrupt.hpp"

namespace runall {

namespace {

int OpenPidfd(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
  // A pidfd is close-on-exec by default.
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// The poll interval when there is no pidfd to wait on.
const int kPollMs = 50;

}  // namespace

ProcessWatch::ProcessWatch(pid_t pid) : pid_(pid), pidfd_(-1) {
  if (pid > 1) pidfd_ = OpenPidfd(pid);
}

ProcessWatch::~ProcessWatch() {
  if (pidfd_ >= 0) close(pidfd_);
}

bool ProcessWatch::Alive() const {
  if (pid_ <= 1) return false;
  if (pidfd_ >= 0) {
    // A pidfd becomes readable when its process exits.
    struct pollfd p = {pidfd_, POLLIN, 0};
    int n;
    do {
      n = poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return true;
    if (n == 1 && (p.revents & POLLIN)) return false;
    // POLLNVAL, or poll itself failing: the pidfd tells nothing, which
    // must not read as "QEMU exited" - ask by pid instead.
  }
  // pidfd_open failed: the process may have been gone already, or the
  // kernel has no pidfds.
  return kill(pid_, 0) == 0 || errno == EPERM;
}

ExitWait ProcessWatch::WaitExit(int64_t timeout_ms, const std::function<bool(int64_t)>& tick,
                                unsigned tick_ms) const {
  const int64_t start = MonotonicMs();
  int64_t next_tick = start + tick_ms;
  while (true) {
    if (!Alive()) return ExitWait::kExited;
    if (Interrupted()) return ExitWait::kInterrupted;
    int64_t now = MonotonicMs();
    if (now - start >= timeout_ms) return ExitWait::kTimedOut;
    if (tick && now >= next_tick) {
      if (!tick(now - start)) return ExitWait::kStopped;
      next_tick = now + tick_ms;
    }
    int64_t wait = start + timeout_ms - now;
    if (tick) wait = std::min<int64_t>(wait, next_tick - now);
    if (pidfd_ < 0) wait = std::min<int64_t>(wait, kPollMs);
    struct pollfd p[2];
    int n = 0;
    if (pidfd_ >= 0) p[n++] = {pidfd_, POLLIN, 0};
    if (InterruptFd() >= 0) p[n++] = {InterruptFd(), POLLIN, 0};
    if (n == 0) {
      struct timespec ts = {static_cast<time_t>(wait / 1000),
                            static_cast<long>(wait % 1000) * 1000000L};
      nanosleep(&ts, nullptr);
    } else if (poll(p, static_cast<nfds_t>(n), static_cast<int>(wait)) < 0 && errno != EINTR) {
      // Not expected; fall back to a short sleep rather than spin.
      struct timespec ts = {0, kPollMs * 1000000L};
      nanosleep(&ts, nullptr);
    }
  }
}

bool ProcessWatch::Signal(int sig, std::string* err) const {
  int rc;
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
  if (pidfd_ >= 0)
    rc = static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0));
  else
    rc = kill(pid_, sig);
#else
  rc = kill(pid_, sig);
#endif
  if (rc != 0) {
    int saved = errno;
    *err = ErrnoMessage("kill " + std::to_string(pid_), saved);
    errno = saved;  // callers tell "already gone" (ESRCH) from a failure
    return false;
  }
  return true;
}

}  // namespace runall
