#include "spawn.hpp"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <signal.h>

using namespace runall;

TEST(RunProgram, CollectsOutputAndStatus) {
  std::string out, err;
  int status = -1;
  ASSERT_TRUE(RunProgram({"/bin/sh", "-c", "echo 'a b'; exit 3"}, &out,
                         &status, &err))
      << err;
  EXPECT_EQ("a b\n", out);
  EXPECT_EQ(3, status);
}

TEST(RunProgram, ArgumentsAreNotSplitOrExpanded) {
  std::string out, err;
  int status = -1;
  ASSERT_TRUE(RunProgram({"/bin/echo", "$HOME; x", "*"}, &out, &status, &err));
  EXPECT_EQ("$HOME; x *\n", out);
  EXPECT_EQ(0, status);
}

TEST(RunProgram, ReportsSignalsAndMissingPrograms) {
  std::string out, err;
  int status = -1;
  ASSERT_TRUE(RunProgram({"/bin/sh", "-c", "kill -9 $$"}, nullptr, &status,
                         &err));
  EXPECT_EQ(128 + 9, status);
  EXPECT_FALSE(RunProgram({"/nonexistent/prog"}, &out, &status, &err));
  EXPECT_NE(std::string::npos, err.find("No such file")) << err;
  EXPECT_FALSE(RunProgram({"echo", "no path search"}, &out, &status, &err));
  EXPECT_FALSE(RunProgram({}, &out, &status, &err));
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

TEST(StartProgram, PipesStdoutAndStderrApart) {
  Child c;
  std::string err;
  StartOptions o;
  o.pipe_stdout = o.pipe_stderr = true;
  ASSERT_TRUE(StartProgram({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"},
                           o, &c, &err))
      << err;
  EXPECT_EQ(ReadAllOf(c.out_fd), "out\n");
  EXPECT_EQ(ReadAllOf(c.err_fd), "err\n");
  close(c.out_fd);
  close(c.err_fd);
  EXPECT_EQ(WaitProgram(c.pid), 4);
}

TEST(StartProgram, OwnProcessGroupAndStdinFromDevNull) {
  Child c;
  std::string err;
  StartOptions o;
  o.pipe_stdout = true;
  o.own_process_group = true;
  ASSERT_TRUE(StartProgram({"/bin/sh", "-c", "ps -o pgid= -p $$; cat"}, o, &c,
                           &err));
  std::string out = ReadAllOf(c.out_fd);
  close(c.out_fd);
  EXPECT_EQ(WaitProgram(c.pid), 0);
  EXPECT_EQ(atoi(out.c_str()), c.pid);  // its own group; cat read nothing
  EXPECT_EQ(c.err_fd, -1);
}

TEST(StartProgram, ExecFailureIsReportedAtOnce) {
  Child c;
  std::string err;
  EXPECT_FALSE(StartProgram({"/nonexistent/x"}, StartOptions(), &c, &err));
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
  EXPECT_FALSE(StartProgram({"relative"}, StartOptions(), &c, &err));
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
  int status = -1;
  EXPECT_FALSE(RunProgram({"/bin/true"}, nullptr, &status, &err));
  EXPECT_NE(std::string::npos, err.find("waitpid")) << err;

  ResetInheritedSignals();
  struct sigaction now;
  sigaction(SIGCHLD, nullptr, &now);
  EXPECT_EQ(SIG_DFL, now.sa_handler);
  sigset_t mask;
  sigprocmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGTERM));
  std::string out;
  ASSERT_TRUE(RunProgram({"/bin/sh", "-c", "grep '^SigBlk' /proc/self/status"},
                         &out, &status, &err))
      << err;
  EXPECT_EQ(0, status);
  EXPECT_EQ("SigBlk:\t0000000000000000\n", out);

  sigaction(SIGCHLD, &saved_chld, nullptr);
  sigprocmask(SIG_SETMASK, &saved_mask, nullptr);
}
