#include "daemon.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#include "clock.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "proc.hpp"
#include "validate.hpp"

namespace runall {

namespace {

constexpr int kReportFd = 3;

// Everything a daemon must not inherit from whoever started it: signal
// dispositions (an ignored SIGTERM would survive exec and fork), the signal
// mask, the working directory, the umask, stdio.
void ResetProcessState() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (chdir("/") != 0) _exit(111);
  umask(022);
  int null = open("/dev/null", O_RDWR);
  if (null < 0) _exit(111);
  for (int fd = 0; fd <= 2; ++fd)
    if (null != fd) dup2(null, fd);
  if (null > 2) close(null);
}

}  // namespace

void CloseFdsFrom(int from) {
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, static_cast<unsigned>(from), ~0U, 0) == 0)
    return;
#endif
  std::vector<int> fds;
  std::string ignored;
  if (OwnOpenFds(&fds, &ignored)) {
    for (int fd : fds)
      if (fd >= from) close(fd);
    return;
  }
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > (1L << 20)) max = 1L << 20;
  for (long fd = from; fd < max; ++fd) close(static_cast<int>(fd));
}

bool StartDaemon(const DaemonBody& body, int timeout_ms, pid_t* pid,
                 std::string* err) {
  *pid = 0;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *err = ErrnoMessage("pipe");
    return false;
  }
  pid_t child = fork();
  if (child < 0) {
    *err = ErrnoMessage("fork");
    close(report[0]);
    close(report[1]);
    return false;
  }
  if (child == 0) {
    close(report[0]);
    // A new session, then a second fork so the daemon is not the session
    // leader and can never acquire a controlling terminal.
    if (setsid() < 0) _exit(111);
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(111);
    if (grandchild > 0) _exit(0);
    // Move the report pipe to fd 3, then close everything above it: what
    // is left is stdio (soon /dev/null) and the pipe, which the body closes.
    if (report[1] != kReportFd) {
      if (dup2(report[1], kReportFd) < 0) _exit(111);
      close(report[1]);
    }
    fcntl(kReportFd, F_SETFD, FD_CLOEXEC);
    CloseFdsFrom(kReportFd + 1);
    ResetProcessState();
    WriteAll(kReportFd, "pid " + std::to_string(getpid()) + "\n");
    _exit(body(kReportFd));
  }
  close(report[1]);
  // The intermediate child exits at once; reap it so no zombie is left.
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }

  std::string text;
  long long deadline = MonotonicMs() + timeout_ms;
  bool eof = false;
  while (!eof) {
    long long left = deadline - MonotonicMs();
    if (left <= 0) break;
    struct pollfd pfd = {report[0], POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    char buf[512];
    ssize_t n = read(report[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 4096) break;
  }
  close(report[0]);

  // "pid N\n" from the daemon itself, then the body's one line.
  size_t nl = text.find('\n');
  unsigned long n = 0;
  if (nl != std::string::npos && text.compare(0, 4, "pid ") == 0 &&
      ParseUnsigned(text.substr(4, nl - 4), 0x7fffffffUL, &n))
    *pid = static_cast<pid_t>(n);
  std::string line =
      nl == std::string::npos ? "" : text.substr(nl + 1);
  line = line.substr(0, line.find('\n'));
  if (*pid > 0 && line == "ok") return true;
  if (line.compare(0, 7, "error: ") == 0)
    *err = line.substr(7);
  else if (*pid == 0)
    *err = "the daemon did not start";
  else if (eof)
    *err = "the daemon (pid " + std::to_string(*pid) +
           ") exited before it was ready";
  else
    *err = "the daemon (pid " + std::to_string(*pid) + ") was not ready within " +
           std::to_string(timeout_ms) + " ms";
  return false;
}

}  // namespace runall
