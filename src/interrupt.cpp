#include "interrupt.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "clock.hpp"
#include "fail.hpp"

namespace runall {

namespace {

volatile sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  int saved = errno;
  if (g_signal == 0) g_signal = sig;
  // One byte is enough: the pipe is never drained. A full pipe (EAGAIN)
  // means it is readable already.
  char byte = 1;
  ssize_t ignored = write(g_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

}  // namespace

bool InstallInterruptHandlers(std::string* err) {
  if (g_pipe[0] < 0) {
    if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      *err = ErrnoMessage("pipe");
      return false;
    }
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    if (sigaction(sig, &sa, nullptr) != 0) {
      *err = ErrnoMessage("sigaction");
      return false;
    }
  }
  return true;
}

bool Interrupted() { return g_signal != 0; }

int InterruptSignal() { return g_signal; }

int InterruptFd() { return g_pipe[0]; }

bool SleepUnlessInterrupted(unsigned ms) {
  long long end = MonotonicMs() + ms;
  for (;;) {
    if (Interrupted()) return false;
    long long left = end - MonotonicMs();
    if (left <= 0) return true;
    struct pollfd p = {InterruptFd(), POLLIN, 0};
    // Without handlers installed there is no pipe; poll on nothing sleeps.
    poll(&p, p.fd >= 0 ? 1 : 0, static_cast<int>(left));
  }
}

void ResetInterruptForTest() {
  char buf[64];
  if (g_pipe[0] >= 0)
    while (read(g_pipe[0], buf, sizeof buf) > 0) {
    }
  g_signal = 0;
}

}  // namespace runall
