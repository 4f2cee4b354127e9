#include "log.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

using namespace runall;

namespace {

// 2005-08-09 12:34:56 UTC, the article's "Last updated" day.
time_t FixedClock() { return 1123590896; }

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_F(LogTest, ArticleFormat) {
  EXPECT_EQ(FormatLogLine(FixedClock(), "netqemu", "Testing connection"),
            "2005/08/09-12:34.56 netqemu:: Testing connection\n");
  EXPECT_EQ(FormatLogLine(FixedClock(), "", "No operating systems specified"),
            "2005/08/09-12:34.56 No operating systems specified\n");
}

TEST_F(LogTest, CmdAndErrorMarkersToFile) {
  char path[] = "/tmp/runall-log-test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    Log log;
    log.SetClock(FixedClock);
    std::string err;
    ASSERT_TRUE(log.OpenFile(path, &err)) << err;
    log.Cmd("netqemu", {"ssh", "-q", "netqemu", "/netshare-ro/my script"});
    log.Error("netqemu", "ssh returned 255");
    log.Msg("", "All specified OSes done");
  }
  EXPECT_EQ(ReadAll(path),
            "2005/08/09-12:34.56 netqemu:: CMD:: ssh -q netqemu "
            "'/netshare-ro/my script'\n"
            "2005/08/09-12:34.56 netqemu:: ERROR:: ssh returned 255\n"
            "2005/08/09-12:34.56 All specified OSes done\n");
  unlink(path);
}

TEST_F(LogTest, AppendsAndNeverTruncates) {
  char path[] = "/tmp/runall-log-test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "old\n", 4), 4);
  close(fd);
  Log log;
  log.SetClock(FixedClock);
  std::string err;
  ASSERT_TRUE(log.OpenFile(path, &err));
  log.Msg("h", "new");
  EXPECT_EQ(ReadAll(path), "old\n2005/08/09-12:34.56 h:: new\n");
  unlink(path);
}

TEST_F(LogTest, UnopenableFileIsAnError) {
  Log log;
  std::string err;
  EXPECT_FALSE(log.OpenFile("/nonexistent-dir/log", &err));
  EXPECT_NE(err.find("/nonexistent-dir/log"), std::string::npos);
}

TEST(FormatCommand, QuotesWhatAShellWouldSplit) {
  EXPECT_EQ(FormatCommand({"cp", "-i", "a b", "it's", ""}), "cp -i 'a b' 'it'\\''s' ''");
}

TEST(LogWriter, TakesEveryLineInsteadOfTheFd) {
  Log log;
  std::vector<std::string> lines;
  log.SetWriter([&](const std::string& line) { lines.push_back(line); });
  EXPECT_TRUE(log.ToStderr());
  log.Msg("netqemu", "Testing connection");
  log.Error("", "Not found: x");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" netqemu:: Testing connection\n"), std::string::npos);
  EXPECT_NE(lines[1].find(" ERROR:: Not found: x\n"), std::string::npos);
}

TEST(IsLogLine, KnowsTheStampAndTheHost) {
  EXPECT_TRUE(IsLogLine("2005/08/09-12:34.56 netqemu:: Testing connection\n", "netqemu"));
  EXPECT_TRUE(IsLogLine("2005/08/09-12:34.56 netqemu:: ERROR:: x", "netqemu"));
  EXPECT_TRUE(IsLogLine(FormatLogLine(1123590896, "h", "m"), "h"));
  EXPECT_FALSE(IsLogLine("2005/08/09-12:34.56 other:: Testing connection\n", "netqemu"));
  EXPECT_FALSE(IsLogLine("2005/08/09-12:34.56 netqemu: not ours\n", "netqemu"));
  EXPECT_FALSE(IsLogLine("2005/08/09 12:34.56 netqemu:: x\n", "netqemu"));
  EXPECT_FALSE(IsLogLine("2005/0a/09-12:34.56 netqemu:: x\n", "netqemu"));
  EXPECT_FALSE(IsLogLine("netqemu:: x\n", "netqemu"));
  EXPECT_FALSE(IsLogLine("", "netqemu"));
}

TEST(WithoutLogLines, KeepsWhatTheScriptPrinted) {
  const std::string log =
      "2005/08/09-12:34.56 g:: START\n"
      "2005/08/09-12:34.56 g:: Running script...\n"
      "hello from g\n"
      "2005/08/09-12:34.56 other:: a line the script printed\n"
      "\n"
      "2005/08/09-12:34.57 g:: ERROR:: ssh returned 3\n"
      "2005/08/09-12:34.57 g:: END\n"
      "partial";
  EXPECT_EQ(WithoutLogLines(log, "g"),
            "hello from g\n"
            "2005/08/09-12:34.56 other:: a line the script printed\n"
            "\n"
            "partial");
  EXPECT_EQ(WithoutLogLines("", "g"), "");
  EXPECT_EQ(WithoutLogLines("2005/08/09-12:34.56 g:: END\n", "g"), "");
}
