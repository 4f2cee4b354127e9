#include "fail.hpp"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

using namespace runall;

TEST(Fail, SetsTheReasonAndReturnsFalse) {
  std::string why = "old";
  EXPECT_FALSE(Fail(&why, "bad name"));
  EXPECT_EQ("bad name", why);
  EXPECT_FALSE(Fail(nullptr, "nobody asked"));  // a caller that needs no reason
}

TEST(ErrnoMessage, NamesWhatAndWhy) {
  EXPECT_EQ("/x: No such file or directory", ErrnoMessage("/x", ENOENT));
  errno = EACCES;
  EXPECT_EQ("open: Permission denied", ErrnoMessage("open"));
}

TEST(ProgramName, IsTheLastComponentOfArgv0) {
  const std::string before = ProgramName();
  SetProgramName("/usr/local/sbin/start-tun-interface");
  EXPECT_STREQ("start-tun-interface", ProgramName());
  SetProgramName("");  // ignored
  EXPECT_STREQ("start-tun-interface", ProgramName());
  SetProgramName(before.c_str());
}

// Warn and Fatal print "prog: message" as one line on stderr; Fatal exits.
TEST(Fatal, PrintsOneLineAndExitsWithTheCode) {
  int err[2];
  ASSERT_EQ(0, pipe(err));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(err[1], STDERR_FILENO);
    SetProgramName("tool");
    Warn("a warning");
    Fatal(kExitSystem, "cannot go on");
  }
  close(err[1]);
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = read(err[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(err[0]);
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_EQ("tool: a warning\ntool: cannot go on\n", text);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(kExitSystem, WEXITSTATUS(status));
}
