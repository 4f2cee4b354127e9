#include "guest_log.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

using namespace runall;

namespace {

time_t Epoch() { return 0; }

class GuestLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    char tmpl[] = "/tmp/runall-guest-log.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
    path_ = dir_ + "/netqemu.log";
    log_.SetClock(Epoch);
    log_.SetWriter([this](const std::string& line) { run_log_ += line; });
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
  }
  std::string File() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void WriteFile(const std::string& text) { std::ofstream(path_) << text; }
  // Another run of the driver on this guest: its log holding `text`, and
  // the shared lock it holds for as long as it writes. The descriptor is
  // the caller's to close.
  int AnotherRunWrote(const std::string& text) {
    WriteFile(text);
    int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(0, flock(fd, LOCK_SH));
    return fd;
  }

  std::string dir_, path_, run_log_;
  Log log_;
};

}  // namespace

TEST_F(GuestLogTest, ARunAloneStartsTheGuestsLogAfresh) {
  WriteFile("the last run's lines\n");
  GuestLog g(&log_, "netqemu");
  g.SetClock(Epoch);
  std::string err;
  ASSERT_TRUE(g.Open(path_, &err)) << err;
  EXPECT_FALSE(g.appending());
  EXPECT_EQ(g.path(), path_);
  g.Msg("START");
  g.Cmd({"ssh", "netqemu", "echo hi"});
  g.Error("ssh returned 3");
  const std::string lines =
      "1970/01/01-00:00.00 netqemu:: START\n"
      "1970/01/01-00:00.00 netqemu:: CMD:: ssh netqemu 'echo hi'\n"
      "1970/01/01-00:00.00 netqemu:: ERROR:: ssh returned 3\n";
  EXPECT_EQ(File(), lines);
  EXPECT_EQ(run_log_, lines);
}

TEST_F(GuestLogTest, ARunBesideAnotherAppendsAndSaysSo) {
  int other = AnotherRunWrote("the other run's lines\n");
  ASSERT_GE(other, 0);
  GuestLog g(&log_, "netqemu");
  g.SetClock(Epoch);
  std::string err;
  ASSERT_TRUE(g.Open(path_, &err)) << err;
  EXPECT_TRUE(g.appending());
  g.Msg("START");
  EXPECT_EQ(File(), "the other run's lines\n1970/01/01-00:00.00 netqemu:: START\n");
  close(other);
}

TEST_F(GuestLogTest, ScriptOutputGoesToTheGuestsLogOnlyAndNeverSwallowsALine) {
  GuestLog g(&log_, "netqemu");
  g.SetClock(Epoch);
  std::string err;
  ASSERT_TRUE(g.Open(path_, &err)) << err;
  g.Output("no newline", 10);
  g.Msg("Script ran OK");
  EXPECT_EQ(File(), "no newline\n1970/01/01-00:00.00 netqemu:: Script ran OK\n");
  EXPECT_EQ(run_log_, "1970/01/01-00:00.00 netqemu:: Script ran OK\n");
}

TEST_F(GuestLogTest, UnwritableLogLeavesTheRunsLog) {
  GuestLog g(&log_, "netqemu");
  std::string err;
  std::string missing = dir_ + "/no/such/dir/netqemu.log";
  EXPECT_FALSE(g.Open(missing, &err));
  EXPECT_EQ(err, "cannot write the guest's log " + missing + ": No such file or directory");
  EXPECT_EQ(g.path(), "");
  g.Msg("START");
  g.Output("x\n", 2);
  EXPECT_EQ(run_log_, "1970/01/01-00:00.00 netqemu:: START\n");
}

TEST_F(GuestLogTest, ThisRunsOutputIsItsPartOfTheLogLessTheLogLines) {
  GuestLog g(&log_, "netqemu");
  g.SetClock(Epoch);
  std::string err;
  ASSERT_TRUE(g.Open(path_, &err)) << err;
  EXPECT_EQ(g.run_start(), 0);
  g.Msg("Running script...");
  g.Output("one\ntwo", 7);
  g.Error("ssh returned 3");
  std::string out;
  ASSERT_TRUE(ReadRunOutput(path_, "netqemu", g.run_start(), 1 << 20, &out, &err)) << err;
  EXPECT_EQ(out, "one\ntwo\n");
}

TEST_F(GuestLogTest, BesideAnotherRunOnlyWhatFollowsTheOpenIsThisRuns) {
  int other = AnotherRunWrote("the other run's output\n");
  ASSERT_GE(other, 0);
  GuestLog g(&log_, "netqemu");
  g.SetClock(Epoch);
  std::string err;
  ASSERT_TRUE(g.Open(path_, &err)) << err;
  EXPECT_EQ(g.run_start(), 23);
  g.Msg("START");
  g.Output("mine\n", 5);
  std::string out;
  ASSERT_TRUE(ReadRunOutput(path_, "netqemu", g.run_start(), 1 << 20, &out, &err)) << err;
  EXPECT_EQ(out, "mine\n");
  close(other);
}

TEST_F(GuestLogTest, ALongRunsOutputKeepsItsEndFromALinesStart) {
  WriteFile(
      "2005/08/09-12:34.56 netqemu:: START\n"  // 36 bytes
      "first line\n"                           // 11
      "second line\n"                          // 12
      "2005/08/09-12:34.56 netqemu:: END\n");  // 34
  std::string out, err;
  // The last 50 bytes begin inside "first line": from the next line on.
  ASSERT_TRUE(ReadRunOutput(path_, "netqemu", 0, 50, &out, &err)) << err;
  EXPECT_EQ(out, "[runall: the first 47 bytes of this run's log are left out]\nsecond line\n");
  ASSERT_TRUE(ReadRunOutput(path_, "netqemu", 36, 1000, &out, &err)) << err;
  EXPECT_EQ(out, "first line\nsecond line\n");
  // A log that a later run emptied: nothing of this run is left.
  ASSERT_TRUE(ReadRunOutput(path_, "netqemu", 5000, 1000, &out, &err)) << err;
  EXPECT_EQ(out, "");
  EXPECT_FALSE(ReadRunOutput(dir_ + "/missing.log", "netqemu", 0, 1000, &out, &err));
  EXPECT_EQ(err, "cannot read the guest's log " + dir_ + "/missing.log: No such file or directory");
}
