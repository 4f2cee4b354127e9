#include "process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "clock.hpp"
#include "fail.hpp"
#include "fd.hpp"
#include "file_io.hpp"
#include "proc.hpp"
#include "validate.hpp"

extern char** environ;

namespace runall {

// --- how a child ended ---------------------------------------------------------

ExitStatus ExitStatus::FromWait(int wait_status) {
  ExitStatus s;
  s.wait_status_ = wait_status;
  return s;
}

bool ExitStatus::exited() const { return WIFEXITED(wait_status_); }

bool ExitStatus::signaled() const { return WIFSIGNALED(wait_status_); }

int ExitStatus::number() const {
  return signaled() ? WTERMSIG(wait_status_) : WEXITSTATUS(wait_status_);
}

int ExitStatus::code() const { return signaled() ? 128 + number() : number(); }

std::string ExitStatus::Describe() const {
  return (signaled() ? "signal " : "exit ") + std::to_string(number());
}

bool WaitChild(pid_t pid, ExitStatus* status, std::string* err) {
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      *err = ErrnoMessage("waitpid");
      return false;
    }
  }
  *status = ExitStatus::FromWait(wait_status);
  return true;
}

namespace {

// argv as execve wants it, made before fork: after it, in a threaded
// program, the child may not allocate.
std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> p;
  for (const std::string& a : argv) p.push_back(const_cast<char*>(a.c_str()));
  p.push_back(nullptr);
  return p;
}

// Reads what the child wrote into the report pipe before its exec or its
// end. True if it wrote a whole int.
bool ReadReport(int fd, int* report) {
  ssize_t n;
  do {
    n = read(fd, report, sizeof *report);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof *report);
}

// The one fork with a report pipe. The pipe is close-on-exec (pipe2, so a
// program another thread starts at the same moment inherits none of it): a
// successful exec closes it with nothing written; `in_child` returns only
// when it failed, and what it returns is written into the pipe for the
// parent before the child exits - with that value when
// `report_is_exit_code`, else with 127 (the shell's "cannot execute").
bool ForkReporting(const std::function<int()>& in_child, bool report_is_exit_code, pid_t* pid,
                   bool* reported, int* report, std::string* err) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *err = ErrnoMessage("pipe");
    return false;
  }
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  *pid = fork();
  if (*pid < 0) {
    *err = ErrnoMessage("fork");
    return false;
  }
  if (*pid == 0) {
    int value = in_child();
    ssize_t ignored = write(write_end.get(), &value, sizeof value);
    (void)ignored;
    _exit(report_is_exit_code ? value : 127);
  }
  write_end.Reset();
  *reported = ReadReport(read_end.get(), report);
  return true;
}

void ClosePair(int fds[2]) {
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
  fds[0] = fds[1] = -1;
}

}  // namespace

// --- starting and running ------------------------------------------------------------

bool StartChild(const std::vector<std::string>& argv, const ChildOptions& options, Child* child,
                std::string* err) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    *err = "StartChild: needs an absolute program path";
    return false;
  }
  std::vector<char*> args = ArgvPointers(argv);
  int out[2] = {-1, -1}, errout[2] = {-1, -1};
  if ((options.out == ChildOutput::kPipe && pipe2(out, O_CLOEXEC) != 0) ||
      (options.err == ChildOutput::kPipe && pipe2(errout, O_CLOEXEC) != 0)) {
    *err = ErrnoMessage("pipe");
    ClosePair(out);
    ClosePair(errout);
    return false;
  }
  auto in_child = [&]() -> int {
    // Only async-signal-safe calls from here to exec.
    signal(SIGPIPE, SIG_DFL);
    if (options.own_process_group) setpgid(0, 0);
    for (int fd : options.close_fds) close(fd);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != STDIN_FILENO) {
      dup2(null, STDIN_FILENO);
      close(null);
    }
    // dup2 clears O_CLOEXEC on the copy.
    if (out[1] >= 0) dup2(out[1], STDOUT_FILENO);
    if (errout[1] >= 0) dup2(errout[1], STDERR_FILENO);
    if (options.out == ChildOutput::kToStderr) dup2(STDERR_FILENO, STDOUT_FILENO);
    execve(args[0], args.data(), environ);
    return errno;
  };
  pid_t pid = -1;
  bool reported = false;
  int exec_errno = 0;
  bool forked = ForkReporting(in_child, false, &pid, &reported, &exec_errno, err);
  if (out[1] >= 0) close(out[1]);
  if (errout[1] >= 0) close(errout[1]);
  if (forked && reported) {
    ExitStatus ignored;
    std::string wait_err;
    WaitChild(pid, &ignored, &wait_err);
    *err = ErrnoMessage(argv[0], exec_errno);
  }
  if (!forked || reported) {
    if (out[0] >= 0) close(out[0]);
    if (errout[0] >= 0) close(errout[0]);
    return false;
  }
  child->pid = pid;
  child->out_fd = out[0];
  child->err_fd = errout[0];
  return true;
}

bool RunChild(const std::vector<std::string>& argv, std::string* output, ExitStatus* status,
              std::string* err) {
  ChildOptions options;
  if (output) options.out = ChildOutput::kPipe;
  Child child;
  if (!StartChild(argv, options, &child, err)) return false;
  if (output) {
    output->clear();
    // Read to the end, keeping at most 64 KiB: the rest is drained so that
    // the child never blocks on a full pipe.
    const size_t kLimit = 64 * 1024;
    char buf[4096];
    while (true) {
      ssize_t n = read(child.out_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (output->size() < kLimit)
        output->append(buf, std::min(static_cast<size_t>(n), kLimit - output->size()));
    }
    close(child.out_fd);
  }
  return WaitChild(child.pid, status, err);
}

ChildEnd DriveChild(const Child& c, const ChildIo& io) {
  ChildEnd end;
  int fds[2] = {c.out_fd, c.err_fd};
  const int64_t start = MonotonicMs();
  int64_t kill_at = -1;
  bool termed = false;
  bool reaped = false;
  char buf[8192];
  auto pass_on = [&](int i, ssize_t got) {
    const auto& sink = i == 0 ? io.on_out : io.on_err;
    if (sink) sink(buf, static_cast<size_t>(got));
  };
  while (fds[0] >= 0 || fds[1] >= 0) {
    struct pollfd p[3];
    int map[3];
    int n = 0;
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        map[n++] = i;
      }
    int stop_index = -1;
    if (!termed && io.stop_fd >= 0) {
      stop_index = n;
      p[n++] = {io.stop_fd, POLLIN, 0};
    }
    int timeout = -1;
    int64_t now = MonotonicMs();
    if (!termed && io.timeout_ms >= 0)
      timeout = static_cast<int>(std::max<int64_t>(0, start + io.timeout_ms - now));
    if (kill_at >= 0) timeout = static_cast<int>(std::max<int64_t>(0, kill_at - now));
    // Once it was asked to stop, look every 100 ms whether it has ended.
    if (termed && (timeout < 0 || timeout > 100)) timeout = 100;
    int r = poll(p, static_cast<nfds_t>(n), timeout);
    if (r < 0 && errno == EINTR) continue;
    now = MonotonicMs();
    bool stop = false;
    if (stop_index >= 0 && (p[stop_index].revents & POLLIN)) {
      end.stopped = true;
      stop = true;
    }
    if (!termed && io.timeout_ms >= 0 && now - start >= io.timeout_ms) {
      end.timed_out = true;
      stop = true;
    }
    if (stop && !termed) {
      kill(c.pid, SIGTERM);
      termed = true;
      kill_at = now + 3000;
    } else if (termed && kill_at >= 0 && now >= kill_at) {
      kill(c.pid, SIGKILL);
      kill_at = -1;
    }
    for (int k = 0; k < n; ++k) {
      if (k == stop_index || !(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = map[k];
      ssize_t got = read(fds[i], buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        close(fds[i]);
        fds[i] = -1;
        continue;
      }
      pass_on(i, got);
    }
    // A child that was stopped and has ended: its pipes may still be held
    // open by a process it handed them to - an ssh master holds the
    // descriptors of a multiplexed session until the remote command ends -
    // and must not keep us waiting. What is in them now is passed on.
    if (termed) {
      int st = 0;
      pid_t w = waitpid(c.pid, &st, WNOHANG);
      if (w == c.pid) {
        reaped = true;
        end.status = ExitStatus::FromWait(st);
        for (int i = 0; i < 2; ++i) {
          if (fds[i] < 0) continue;
          for (int reads = 0; reads < 16; ++reads) {
            struct pollfd q = {fds[i], POLLIN, 0};
            if (poll(&q, 1, 0) <= 0 || !(q.revents & POLLIN)) break;
            ssize_t got = read(fds[i], buf, sizeof buf);
            if (got <= 0) break;
            pass_on(i, got);
          }
          close(fds[i]);
          fds[i] = -1;
        }
      }
    }
  }
  std::string ignored;
  if (!reaped && !WaitChild(c.pid, &end.status, &ignored))
    end.status = ExitStatus::FromWait(255 << 8);  // as if it exited 255
  return end;
}

bool ForkToExec(const std::function<int()>& prepare_and_exec, bool new_session, pid_t* pid,
                Handoff* how, int* code, ExitStatus* status, std::string* err) {
  // Whatever stdio holds would otherwise be written twice.
  fflush(nullptr);
  auto in_child = [&]() -> int {
    if (new_session && setsid() < 0) {
      Warn(ErrnoMessage("setsid"));
      return kExitSystem;
    }
    return prepare_and_exec();
  };
  bool reported = false;
  int report = 0;
  if (!ForkReporting(in_child, true, pid, &reported, &report, err)) return false;
  if (reported) {
    *how = Handoff::kFailed;
    *code = report;
    std::string ignored;
    WaitChild(*pid, status, &ignored);
    return true;
  }
#ifdef __linux__
  std::string exe, ignored;
  if (!ProcessExe(*pid, &exe, &ignored)) {
    *how = Handoff::kDied;
    return WaitChild(*pid, status, err);
  }
#endif
  *how = Handoff::kExeced;
  return true;
}

int ExecProgram(const std::string& path, const std::vector<std::string>& argv,
                const std::vector<std::string>* env) {
  std::vector<char*> args = ArgvPointers(argv);
  std::vector<char*> envp;
  if (env) envp = ArgvPointers(*env);
  execve(path.c_str(), args.data(), env ? envp.data() : environ);
  return errno;
}

// --- daemons ----------------------------------------------------------------------

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
  if (chdir("/") != 0) _exit(kExitSystem);
  umask(022);
  int null = open("/dev/null", O_RDWR);
  if (null < 0) _exit(kExitSystem);
  for (int fd = 0; fd <= 2; ++fd)
    if (null != fd) dup2(null, fd);
  if (null > 2) close(null);
}

// Reads the daemon's report until it ends, it is long enough, or the
// deadline passes. True if the pipe ended (the daemon closed it).
bool ReadDaemonReport(int fd, int timeout_ms, std::string* text) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (true) {
    int64_t left = deadline - MonotonicMs();
    if (left <= 0) return false;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    text->append(buf, static_cast<size_t>(n));
    if (text->size() > 4096) return false;
  }
}

}  // namespace

bool StartDaemon(const DaemonBody& body, int timeout_ms, pid_t* pid, std::string* err) {
  *pid = 0;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *err = ErrnoMessage("pipe");
    return false;
  }
  Fd read_end(report[0]), write_end(report[1]);
  pid_t child = fork();
  if (child < 0) {
    *err = ErrnoMessage("fork");
    return false;
  }
  if (child == 0) {
    read_end.Reset();
    // A new session, then a second fork so the daemon is not the session
    // leader and can never acquire a controlling terminal.
    if (setsid() < 0) _exit(kExitSystem);
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(kExitSystem);
    if (grandchild > 0) _exit(0);
    // Move the report pipe to fd 3, then close everything above it: what
    // is left is stdio (soon /dev/null) and the pipe, which the body closes.
    if (write_end.get() != kReportFd) {
      if (dup2(write_end.get(), kReportFd) < 0) _exit(kExitSystem);
      write_end.Reset();
    }
    fcntl(kReportFd, F_SETFD, FD_CLOEXEC);
    CloseFdsFrom(kReportFd + 1);
    ResetProcessState();
    WriteAll(kReportFd, "pid " + std::to_string(getpid()) + "\n");
    _exit(body(kReportFd));
  }
  write_end.Reset();
  // The intermediate child exits at once; reap it so no zombie is left.
  ExitStatus ignored;
  std::string wait_err;
  WaitChild(child, &ignored, &wait_err);

  std::string text;
  const bool eof = ReadDaemonReport(read_end.get(), timeout_ms, &text);
  read_end.Reset();

  // "pid N\n" from the daemon itself, then the body's one line.
  size_t nl = text.find('\n');
  unsigned long n = 0;
  if (nl != std::string::npos && text.compare(0, 4, "pid ") == 0 &&
      ParseUnsigned(text.substr(4, nl - 4), 0x7fffffffUL, &n))
    *pid = static_cast<pid_t>(n);
  std::string line = nl == std::string::npos ? "" : text.substr(nl + 1);
  line = line.substr(0, line.find('\n'));
  if (*pid > 0 && line == "ok") return true;
  if (line.compare(0, 7, "error: ") == 0)
    *err = line.substr(7);
  else if (*pid == 0)
    *err = "the daemon did not start";
  else if (eof)
    *err = "the daemon (pid " + std::to_string(*pid) + ") exited before it was ready";
  else
    *err = "the daemon (pid " + std::to_string(*pid) + ") was not ready within " +
           std::to_string(timeout_ms) + " ms";
  return false;
}

bool StartHelper(const std::function<int()>& body, int in_fd, int out_fd, std::string* err) {
  pid_t child = fork();
  if (child < 0) {
    *err = ErrnoMessage("fork");
    return false;
  }
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(kExitSystem);
    if (grandchild > 0) _exit(0);
    // Above stdio first, so that neither dup2 below can close the other's
    // source; then stdio from scratch, and nothing else.
    int in = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
    int out = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
    if (in < 0 || out < 0) _exit(kExitSystem);
    ResetProcessState();
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0) _exit(kExitSystem);
    CloseFdsFrom(3);
    _exit(body());
  }
  // The intermediate child exits at once; reap it so no zombie is left.
  ExitStatus ignored;
  std::string wait_err;
  WaitChild(child, &ignored, &wait_err);
  return true;
}

void CloseFdsFrom(int from) {
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, static_cast<unsigned>(from), ~0U, 0) == 0) return;
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

// --- the program and the signal state ------------------------------------------------

bool FindInPath(const std::string& name, const std::string& path_env, std::string* found) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return false;
  if (name.find('/') != std::string::npos) {
    if (!executable(name)) return false;
    *found = name;
  } else {
    std::string dirs = path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_env;
    size_t b = 0;
    bool hit = false;
    while (!hit && b <= dirs.size()) {
      size_t e = dirs.find(':', b);
      if (e == std::string::npos) e = dirs.size();
      // An empty entry is the current directory, as for execvp.
      std::string dir = e > b ? dirs.substr(b, e - b) : ".";
      std::string candidate = dir + "/" + name;
      if (executable(candidate)) {
        *found = candidate;
        hit = true;
      }
      b = e + 1;
    }
    if (!hit) return false;
  }
  // Callers exec by absolute path only.
  if ((*found)[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) return false;
    *found = std::string(cwd) + "/" + *found;
  }
  return true;
}

void ResetInheritedSignals() {
  // Only SIGCHLD's disposition: other ignored signals are the caller's
  // choice to pass on (nohup's SIGHUP), and exec resets caught ones anyway.
  signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace runall
