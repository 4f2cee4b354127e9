#include "process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "clock.hpp"

using namespace runall;

namespace {

// Waits for child `pid` and gives its exit code as the shell would.
int Wait(pid_t pid) {
  ExitStatus status;
  std::string err;
  EXPECT_TRUE(WaitChild(pid, &status, &err)) << err;
  return status.code();
}

// Waits for `path` to hold something, for up to two seconds.
std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!text.str().empty() && text.str().back() == '\n') return text.str();
    usleep(10000);
  }
  return "";
}

std::string TempDir() {
  char tmpl[] = "/tmp/daemon_test.XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "";
}

void WriteAll(int fd, const std::string& s) {
  ASSERT_EQ(static_cast<ssize_t>(s.size()), write(fd, s.data(), s.size()));
}

}  // namespace

TEST(RunChild, CollectsOutputAndStatus) {
  std::string out, err;
  ExitStatus status;
  ASSERT_TRUE(RunChild({"/bin/sh", "-c", "echo 'a b'; exit 3"}, &out, &status, &err)) << err;
  EXPECT_EQ("a b\n", out);
  EXPECT_EQ(3, status.code());
  EXPECT_EQ("exit 3", status.Describe());
}

TEST(RunChild, ArgumentsAreNotSplitOrExpanded) {
  std::string out, err;
  ExitStatus status;
  ASSERT_TRUE(RunChild({"/bin/echo", "$HOME; x", "*"}, &out, &status, &err));
  EXPECT_EQ("$HOME; x *\n", out);
  EXPECT_EQ(0, status.code());
}

TEST(RunChild, ReportsSignalsAndMissingPrograms) {
  std::string out, err;
  ExitStatus status;
  ASSERT_TRUE(RunChild({"/bin/sh", "-c", "kill -9 $$"}, nullptr, &status, &err));
  EXPECT_EQ(128 + 9, status.code());
  EXPECT_TRUE(status.signaled());
  EXPECT_EQ("signal 9", status.Describe());
  EXPECT_FALSE(RunChild({"/nonexistent/prog"}, &out, &status, &err));
  EXPECT_NE(std::string::npos, err.find("No such file")) << err;
  EXPECT_FALSE(RunChild({"echo", "no path search"}, &out, &status, &err));
  EXPECT_FALSE(RunChild({}, &out, &status, &err));
}

namespace {

// Reads fd to its end.
std::string ReadAllOf(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

TEST(StartChild, PipesStdoutAndStderrApart) {
  Child c;
  std::string err;
  ChildOptions o;
  o.out = o.err = ChildOutput::kPipe;
  ASSERT_TRUE(StartChild({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, o, &c, &err)) << err;
  EXPECT_EQ(ReadAllOf(c.out_fd), "out\n");
  EXPECT_EQ(ReadAllOf(c.err_fd), "err\n");
  close(c.out_fd);
  close(c.err_fd);
  EXPECT_EQ(Wait(c.pid), 4);
}

TEST(StartChild, OwnProcessGroupAndStdinFromDevNull) {
  Child c;
  std::string err;
  ChildOptions o;
  o.out = ChildOutput::kPipe;
  o.own_process_group = true;
  ASSERT_TRUE(StartChild({"/bin/sh", "-c", "ps -o pgid= -p $$; cat"}, o, &c, &err));
  std::string out = ReadAllOf(c.out_fd);
  close(c.out_fd);
  EXPECT_EQ(Wait(c.pid), 0);
  EXPECT_EQ(atoi(out.c_str()), c.pid);  // its own group; cat read nothing
  EXPECT_EQ(c.err_fd, -1);
}

TEST(StartChild, ExecFailureIsReportedAtOnce) {
  Child c;
  std::string err;
  EXPECT_FALSE(StartChild({"/nonexistent/x"}, ChildOptions(), &c, &err));
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
  EXPECT_FALSE(StartChild({"relative"}, ChildOptions(), &c, &err));
}

TEST(FindInPath, LooksLikeExecvp) {
  std::string found;
  ASSERT_TRUE(FindInPath("sh", "/nonexistent:/bin:/usr/bin", &found));
  EXPECT_EQ(found, "/bin/sh");
  EXPECT_TRUE(FindInPath("/bin/sh", "", &found));
  EXPECT_EQ(found, "/bin/sh");
  EXPECT_FALSE(FindInPath("no-such-program-here", "/bin:/usr/bin", &found));
  // Not executable: skipped.
  EXPECT_FALSE(FindInPath("passwd", "/etc", &found));
  EXPECT_FALSE(FindInPath("", "/bin", &found));
}

// A caller that ignores SIGCHLD makes the kernel reap children at once, so
// waitpid fails with ECHILD; a signal it blocked stays blocked across exec.
// ResetInheritedSignals undoes both.
TEST(ResetInheritedSignals, WaitingWorksAgainAndNothingStaysBlocked) {
  struct sigaction saved_chld;
  sigaction(SIGCHLD, nullptr, &saved_chld);
  sigset_t saved_mask, term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &saved_mask);
  signal(SIGCHLD, SIG_IGN);

  std::string err;
  ExitStatus status;
  EXPECT_FALSE(RunChild({"/bin/true"}, nullptr, &status, &err));
  EXPECT_NE(std::string::npos, err.find("waitpid")) << err;

  ResetInheritedSignals();
  struct sigaction now;
  sigaction(SIGCHLD, nullptr, &now);
  EXPECT_EQ(SIG_DFL, now.sa_handler);
  sigset_t mask;
  sigprocmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGTERM));
  std::string out;
  ASSERT_TRUE(RunChild({"/bin/sh", "-c", "grep '^SigBlk' /proc/self/status"}, &out, &status, &err))
      << err;
  EXPECT_EQ(0, status.code());
  EXPECT_EQ("SigBlk:\t0000000000000000\n", out);

  sigaction(SIGCHLD, &saved_chld, nullptr);
  sigprocmask(SIG_SETMASK, &saved_mask, nullptr);
}

TEST(StartDaemon, ReportsReadinessAndDetachesCompletely) {
  std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  // An fd we do not mean to pass on, deliberately inheritable (like QEMU's
  // tap fd in its ifup script), and an ignored SIGTERM.
  int devnull = open("/dev/null", O_RDONLY);
  ASSERT_GE(devnull, 0);
  int leak = dup2(devnull, 100);
  ASSERT_EQ(100, leak);
  close(devnull);
  signal(SIGTERM, SIG_IGN);
  const std::string facts = dir + "/facts";
  DaemonBody body = [&](int report) {
    std::ostringstream out;
    out << "report_fd " << report << "\n";
    out << "sid_is_pid " << (getsid(0) == getpid()) << "\n";
    out << "pgid_is_pid " << (getpgrp() == getpid()) << "\n";
    out << "leak_open " << (fcntl(leak, F_GETFD) != -1) << "\n";
    struct sigaction sa;
    sigaction(SIGTERM, nullptr, &sa);
    out << "sigterm_default " << (sa.sa_handler == SIG_DFL) << "\n";
    char cwd[64];
    out << "cwd " << (getcwd(cwd, sizeof cwd) ? cwd : "?") << "\n";
    struct stat in, null;
    fstat(0, &in);
    stat("/dev/null", &null);
    out << "stdin_null " << (in.st_rdev == null.st_rdev) << "\n";
    WriteAll(report, "ok\n");
    close(report);
    // Every fd the daemon holds, now that the report pipe is closed.
    int open_fds = 0;
    for (int fd = 0; fd < 1024; ++fd)
      if (fcntl(fd, F_GETFD) != -1) ++open_fds;
    out << "open_fds " << open_fds << "\n";
    std::ofstream(facts + ".tmp") << out.str();
    rename((facts + ".tmp").c_str(), facts.c_str());
    return 0;
  };
  pid_t pid = 0;
  std::string err;
  ASSERT_TRUE(StartDaemon(body, 5000, &pid, &err)) << err;
  signal(SIGTERM, SIG_DFL);
  close(leak);
  EXPECT_GT(pid, 0);
  EXPECT_NE(getpid(), pid);
  std::string text = WaitForFile(facts);
  EXPECT_NE(std::string::npos, text.find("report_fd 3\n")) << text;
  EXPECT_NE(std::string::npos, text.find("sid_is_pid 0\n")) << text;
  EXPECT_NE(std::string::npos, text.find("pgid_is_pid 0\n")) << text;
  EXPECT_NE(std::string::npos, text.find("leak_open 0\n")) << text;
  EXPECT_NE(std::string::npos, text.find("sigterm_default 1\n")) << text;
  EXPECT_NE(std::string::npos, text.find("cwd /\n")) << text;
  EXPECT_NE(std::string::npos, text.find("stdin_null 1\n")) << text;
  EXPECT_NE(std::string::npos, text.find("open_fds 3\n")) << text;
  std::string cmd = "rm -rf '" + dir + "'";
  ASSERT_EQ(0, system(cmd.c_str()));
}

TEST(StartDaemon, PassesOnTheDaemonsError) {
  pid_t pid = 0;
  std::string err;
  EXPECT_FALSE(StartDaemon(
      [](int report) {
        WriteAll(report, "error: pid file locked by process 42\n");
        return 111;
      },
      5000, &pid, &err));
  EXPECT_EQ("pid file locked by process 42", err);
}

TEST(StartDaemon, NoticesADaemonThatDiesSilently) {
  pid_t pid = 0;
  std::string err;
  EXPECT_FALSE(StartDaemon([](int) { return 1; }, 5000, &pid, &err));
  EXPECT_GT(pid, 0);
  EXPECT_NE(std::string::npos, err.find("exited before it was ready")) << err;
}

TEST(StartDaemon, GivesUpOnASilentDaemon) {
  pid_t pid = 0;
  std::string err;
  EXPECT_FALSE(StartDaemon(
      [](int) {
        sleep(1);
        return 0;
      },
      100, &pid, &err));
  EXPECT_NE(std::string::npos, err.find("not ready within 100 ms")) << err;
}

TEST(CloseFdsFrom, ClosesEverythingAbove) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int a = open("/dev/null", O_RDONLY);
    int b = dup2(a, 200);
    if (a < 3 || b != 200) _exit(2);
    CloseFdsFrom(3);
    bool closed = fcntl(a, F_GETFD) == -1 && fcntl(b, F_GETFD) == -1;
    bool kept = fcntl(2, F_GETFD) != -1;
    _exit(closed && kept ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(StartChild, ClosesTheFdsItIsToldToAndSendsStdoutToStderr) {
  // An inheritable fd, like runqemuos's image lock or tap.
  int kept = open("/dev/null", O_RDONLY);
  ASSERT_GE(kept, 0);
  int other = dup(kept);
  Child c;
  std::string err;
  ChildOptions o;
  o.out = ChildOutput::kToStderr;
  o.err = ChildOutput::kPipe;
  o.close_fds = {kept};
  const std::string script = "echo to-stdout; ls /proc/self/fd/" + std::to_string(kept) +
                             " 2>/dev/null || echo closed; " + "[ -e /proc/self/fd/" +
                             std::to_string(other) + " ] && echo other-open >&2";
  ASSERT_TRUE(StartChild({"/bin/sh", "-c", script}, o, &c, &err)) << err;
  EXPECT_EQ(-1, c.out_fd);
  EXPECT_EQ("to-stdout\nclosed\nother-open\n", ReadAllOf(c.err_fd));
  close(c.err_fd);
  EXPECT_EQ(0, Wait(c.pid));
  // Ours stays open.
  EXPECT_NE(-1, fcntl(kept, F_GETFD));
  close(kept);
  close(other);
}

TEST(DriveChild, PassesBothStreamsOnAndReapsTheChild) {
  Child c;
  std::string err;
  ChildOptions o;
  o.out = o.err = ChildOutput::kPipe;
  ASSERT_TRUE(StartChild({"/bin/sh", "-c", "echo a; echo b >&2; echo c; exit 7"}, o, &c, &err))
      << err;
  std::string out, errout;
  ChildIo io;
  io.on_out = [&](const char* d, size_t n) { out.append(d, n); };
  io.on_err = [&](const char* d, size_t n) { errout.append(d, n); };
  ChildEnd end = DriveChild(c, io);
  EXPECT_EQ("a\nc\n", out);
  EXPECT_EQ("b\n", errout);
  EXPECT_EQ(7, end.status.code());
  EXPECT_FALSE(end.timed_out);
  EXPECT_FALSE(end.stopped);
  EXPECT_EQ(-1, waitpid(c.pid, nullptr, WNOHANG));  // reaped already
}

TEST(DriveChild, StopsAChildThatOverstaysItsTimeoutWithSigterm) {
  Child c;
  std::string err;
  ChildOptions o;
  o.out = ChildOutput::kPipe;
  ASSERT_TRUE(StartChild({"/bin/sleep", "30"}, o, &c, &err)) << err;
  ChildIo io;
  io.timeout_ms = 50;
  ChildEnd end = DriveChild(c, io);
  EXPECT_TRUE(end.timed_out);
  EXPECT_TRUE(end.status.signaled());
  EXPECT_EQ(SIGTERM, end.status.number());
}

TEST(DriveChild, StopsTheChildWhenTheStopFdBecomesReadable) {
  int stop[2];
  ASSERT_EQ(0, pipe(stop));
  ASSERT_EQ(1, write(stop[1], "x", 1));
  Child c;
  std::string err;
  ChildOptions o;
  o.out = ChildOutput::kPipe;
  ASSERT_TRUE(StartChild({"/bin/sleep", "30"}, o, &c, &err)) << err;
  ChildIo io;
  io.stop_fd = stop[0];
  ChildEnd end = DriveChild(c, io);
  EXPECT_TRUE(end.stopped);
  EXPECT_FALSE(end.timed_out);
  EXPECT_EQ(128 + SIGTERM, end.status.code());
  close(stop[0]);
  close(stop[1]);
}

// As an ssh master holds a multiplexed session's descriptors: the child
// hands its pipes to a process that outlives it. Once the child is stopped
// and gone, the wait ends with what came so far.
TEST(DriveChild, AStoppedChildsPipesHeldByAnotherProcessDoNotKeepItWaiting) {
  Child c;
  std::string err;
  ChildOptions o;
  o.out = o.err = ChildOutput::kPipe;
  ASSERT_TRUE(StartChild({"/bin/sh", "-c", "echo before; sleep 30 & echo $! >&2; exec sleep 30"}, o,
                         &c, &err))
      << err;
  std::string out, holder;
  ChildIo io;
  io.on_out = [&](const char* d, size_t n) { out.append(d, n); };
  io.on_err = [&](const char* d, size_t n) { holder.append(d, n); };
  io.timeout_ms = 300;
  const int64_t start = MonotonicMs();
  ChildEnd end = DriveChild(c, io);
  EXPECT_LT(MonotonicMs() - start, 10000);
  EXPECT_TRUE(end.timed_out);
  EXPECT_EQ(128 + SIGTERM, end.status.code());
  EXPECT_EQ("before\n", out);
  pid_t other = static_cast<pid_t>(atoi(holder.c_str()));
  ASSERT_GT(other, 0);
  kill(other, SIGKILL);
}

namespace {

struct Handed {
  bool forked = false;
  pid_t pid = -1;
  Handoff how = Handoff::kExeced;
  int code = -1;
  ExitStatus status;
  std::string err;
};

Handed Hand(const std::function<int()>& child, bool new_session = false) {
  Handed h;
  h.forked = ForkToExec(child, new_session, &h.pid, &h.how, &h.code, &h.status, &h.err);
  return h;
}

}  // namespace

TEST(ForkToExec, ReportsAnExecThatHappened) {
  Handed h = Hand([]() { return ExecProgram("/bin/sleep", {"sleep", "5"}); }, true);
  ASSERT_TRUE(h.forked) << h.err;
  EXPECT_EQ(Handoff::kExeced, h.how);
  // It runs sleep now, in a session of its own, and is not reaped.
  EXPECT_EQ(h.pid, getsid(h.pid));
  EXPECT_EQ(0, kill(h.pid, SIGTERM));
  EXPECT_EQ(128 + SIGTERM, Wait(h.pid));
}

TEST(ForkToExec, PassesOnTheCodeOfAChildThatFailed) {
  Handed h = Hand([]() { return 42; });
  ASSERT_TRUE(h.forked) << h.err;
  EXPECT_EQ(Handoff::kFailed, h.how);
  EXPECT_EQ(42, h.code);
  EXPECT_EQ(-1, waitpid(h.pid, nullptr, WNOHANG));  // reaped already
  // An exec that fails is such a failure too.
  h = Hand([]() {
    int e = ExecProgram("/nonexistent/qemu", {"qemu"});
    return e == ENOENT ? 3 : 4;
  });
  EXPECT_EQ(Handoff::kFailed, h.how);
  EXPECT_EQ(3, h.code);
}

#ifdef __linux__
TEST(ForkToExec, TellsAChildThatDiedWithoutAWordFromAnExec) {
  Handed h = Hand([]() -> int {
    raise(SIGKILL);
    return 0;
  });
  ASSERT_TRUE(h.forked) << h.err;
  EXPECT_EQ(Handoff::kDied, h.how);
  EXPECT_TRUE(h.status.signaled());
  EXPECT_EQ(SIGKILL, h.status.number());
}
#endif

TEST(ExecProgram, GivesTheProgramOnlyTheEnvironmentAsked) {
  int out[2];
  ASSERT_EQ(0, pipe(out));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    const std::vector<std::string> env = {"ONLY=this"};
    ExecProgram("/usr/bin/env", {"env"}, &env);
    _exit(127);
  }
  close(out[1]);
  EXPECT_EQ("ONLY=this\n", ReadAllOf(out[0]));
  close(out[0]);
  EXPECT_EQ(0, Wait(pid));
  // A program that is not there: its errno comes back.
  EXPECT_EQ(ENOENT, ExecProgram("/nonexistent/x", {"x"}));
}
