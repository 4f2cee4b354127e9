#include "spawn.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "fail.hpp"

extern char** environ;

namespace runall {

namespace {

// Reads what is left in fd until EOF, keeping at most `limit` bytes.
void Drain(int fd, std::string* out, size_t limit) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (out && out->size() < limit)
      out->append(buf, std::min(static_cast<size_t>(n), limit - out->size()));
  }
}

}  // namespace

bool RunProgram(const std::vector<std::string>& argv, std::string* output,
                int* status, std::string* err) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    *err = "RunProgram: needs an absolute program path";
    return false;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // The exec-error pipe is close-on-exec: a successful exec closes it with
  // nothing written, a failed one leaves errno in it for us.
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) {
    *err = ErrnoMessage("pipe");
    return false;
  }
  int outpipe[2] = {-1, -1};
  if (output && pipe2(outpipe, O_CLOEXEC) != 0) {
    *err = ErrnoMessage("pipe");
    close(errpipe[0]);
    close(errpipe[1]);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    *err = ErrnoMessage("fork");
    close(errpipe[0]);
    close(errpipe[1]);
    if (output) {
      close(outpipe[0]);
      close(outpipe[1]);
    }
    return false;
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != STDIN_FILENO) {
      dup2(null, STDIN_FILENO);
      close(null);
    }
    if (output) dup2(outpipe[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC
    execve(args[0], args.data(), environ);
    int e = errno;
    ssize_t ignored = write(errpipe[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(errpipe[1]);
  if (output) {
    close(outpipe[1]);
    output->clear();
    Drain(outpipe[0], output, 64 * 1024);
    close(outpipe[0]);
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(errpipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      *err = ErrnoMessage("waitpid");
      return false;
    }
  }
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    *err = ErrnoMessage(argv[0], exec_errno);
    return false;
  }
  *status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                               : 128 + WTERMSIG(wstatus);
  return true;
}

namespace {

void ClosePair(int fds[2]) {
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
  fds[0] = fds[1] = -1;
}

}  // namespace

bool StartProgram(const std::vector<std::string>& argv,
                  const StartOptions& options, Child* child,
                  std::string* err) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    *err = "StartProgram: needs an absolute program path";
    return false;
  }
  // Everything the child needs is made before fork: after it, in a
  // threaded program, the child may not allocate.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int errpipe[2] = {-1, -1}, outpipe[2] = {-1, -1}, errout[2] = {-1, -1};
  // All three pipes are close-on-exec from the start (pipe2), so a program
  // another thread starts at the same moment inherits none of them.
  if (pipe2(errpipe, O_CLOEXEC) != 0 ||
      (options.pipe_stdout && pipe2(outpipe, O_CLOEXEC) != 0) ||
      (options.pipe_stderr && pipe2(errout, O_CLOEXEC) != 0)) {
    *err = ErrnoMessage("pipe");
    ClosePair(errpipe);
    ClosePair(outpipe);
    ClosePair(errout);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    *err = ErrnoMessage("fork");
    ClosePair(errpipe);
    ClosePair(outpipe);
    ClosePair(errout);
    return false;
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    signal(SIGPIPE, SIG_DFL);
    if (options.own_process_group) setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != STDIN_FILENO) {
      dup2(null, STDIN_FILENO);
      close(null);
    }
    // dup2 clears O_CLOEXEC on the copy.
    if (options.pipe_stdout) dup2(outpipe[1], STDOUT_FILENO);
    if (options.pipe_stderr) dup2(errout[1], STDERR_FILENO);
    execve(args[0], args.data(), environ);
    int e = errno;
    ssize_t ignored = write(errpipe[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(errpipe[1]);
  if (outpipe[1] >= 0) close(outpipe[1]);
  if (errout[1] >= 0) close(errout[1]);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(errpipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    if (outpipe[0] >= 0) close(outpipe[0]);
    if (errout[0] >= 0) close(errout[0]);
    WaitProgram(pid);
    *err = ErrnoMessage(argv[0], exec_errno);
    return false;
  }
  child->pid = pid;
  child->out_fd = outpipe[0];
  child->err_fd = errout[0];
  return true;
}

int WaitProgram(pid_t pid) {
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

bool FindInPath(const std::string& name, const std::string& path_env,
                std::string* found) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           access(p.c_str(), X_OK) == 0;
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
