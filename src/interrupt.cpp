#include "interrupt.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "clock.hpp"
#include "fail.hpp"

namespace runall {

namespace {

volatile sig_atomic_t g_interrupt = 0;
int g_pipe[2] = {-1, -1};

// What CatchSignals replaced, for ReleaseSignals.
struct sigaction g_old_actions[NSIG];
bool g_caught[NSIG] = {};
sigset_t g_old_mask;
bool g_mask_saved = false;

bool StopsTheProgram(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP; }

void OnSignal(int sig) {
  int saved = errno;
  if (g_interrupt == 0 && StopsTheProgram(sig)) g_interrupt = sig;
  // A full pipe (EAGAIN) is readable already; only a queue reader could
  // miss a signal then, and 64 KiB of them is more than any will see.
  unsigned char byte = static_cast<unsigned char>(sig);
  ssize_t ignored = write(g_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

}  // namespace

bool CatchSignals(const std::vector<int>& signals, std::string* err) {
  if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    *err = ErrnoMessage("pipe");
    return false;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigset_t unblock;
  sigemptyset(&unblock);
  for (int sig : signals) {
    struct sigaction old;
    if (sig <= 0 || sig >= NSIG || sigaction(sig, &sa, &old) != 0) {
      *err = ErrnoMessage("sigaction");
      return false;
    }
    // Called again, the first disposition is the one to give back.
    if (!g_caught[sig]) g_old_actions[sig] = old;
    g_caught[sig] = true;
    sigaddset(&unblock, sig);
  }
  // A handler of a blocked signal never runs: a caller may have left them
  // blocked (around its own fork).
  sigset_t old_mask;
  sigprocmask(SIG_UNBLOCK, &unblock, &old_mask);
  if (!g_mask_saved) g_old_mask = old_mask;
  g_mask_saved = true;
  return true;
}

bool InstallInterruptHandlers(std::string* err) {
  return CatchSignals({SIGINT, SIGTERM, SIGHUP}, err);
}

void ReleaseSignals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (!g_caught[sig]) continue;
    sigaction(sig, &g_old_actions[sig], nullptr);
    g_caught[sig] = false;
  }
  if (g_mask_saved) sigprocmask(SIG_SETMASK, &g_old_mask, nullptr);
  g_mask_saved = false;
}

bool Interrupted() { return g_interrupt != 0; }

int InterruptSignal() { return g_interrupt; }

int InterruptFd() { return g_pipe[0]; }

size_t TakeSignals(int* signals, size_t max) {
  size_t n = 0;
  unsigned char byte;
  while (n < max && g_pipe[0] >= 0) {
    ssize_t got = read(g_pipe[0], &byte, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got != 1) break;  // EAGAIN: none left
    signals[n++] = byte;
  }
  return n;
}

bool SleepUnlessInterrupted(unsigned ms) {
  int64_t end = MonotonicMs() + ms;
  for (;;) {
    if (Interrupted()) return false;
    int64_t left = end - MonotonicMs();
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
  g_interrupt = 0;
}

}  // namespace runall
