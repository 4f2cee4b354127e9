// The console logger as runqemuos uses it: what QEMU writes into the pipe
// comes out stamped in the console log, after the launch's header, also
// when it ends without a newline; and the logger holds nothing but its
// own two ends.
#include "console_logger.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "clock.hpp"
#include "console_stamp.hpp"
#include "file_io.hpp"

using namespace runall;

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/console_logger_test.XXXXXX";
    fd_ = mkstemp(name);
    path_ = name;
  }
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace

TEST(ConsoleLogger, LogConsoleStampsEveryLineAfterTheHeader) {
  TempFile log;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_TRUE(WriteAll(p[1], "SeaBIOS\r\n\x1b[2Jqemu-system-x86_64: warning: x\nno newline"));
  close(p[1]);
  EXPECT_EQ(LogConsole(p[0], log.fd(), MonotonicMs(), "--- QEMU for g, pid 1, started x ---"), 0);
  close(p[0]);
  std::string text = ReadAll(log.path());
  EXPECT_TRUE(
      std::regex_match(text, std::regex("--- QEMU for g, pid 1, started x ---\n"
                                        "\\[   0\\.0\\d\\d\\] SeaBIOS\n"
                                        "\\[   0\\.0\\d\\d\\] qemu-system-x86_64: warning: x\n"
                                        "\\[   0\\.0\\d\\d\\] no newline\n")))
      << text;
}

TEST(ConsoleLogger, RunsInAProcessOfItsOwnUntilThePipeEnds) {
  TempFile log;
  // Appended to, as every launch's logger does.
  ASSERT_TRUE(WriteAll(log.fd(), "earlier\n"));
  int write_fd = -1;
  std::string err;
  ASSERT_TRUE(StartConsoleLogger(log.fd(), ConsoleHeader("g", 42, 0), &write_fd, &err)) << err;
  ASSERT_GE(write_fd, 0);
  EXPECT_EQ(fcntl(write_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ASSERT_TRUE(WriteAll(write_fd, "line one\nline two\n"));
  // The logger's only writer is this end: closing it ends the logger,
  // which then writes what it has left.
  ASSERT_TRUE(WriteAll(write_fd, "last"));
  close(write_fd);
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text = ReadAll(log.path());
    if (text.find("] last\n") != std::string::npos) break;
    usleep(10000);
  }
  EXPECT_EQ(LastLaunchLines(text, 10).size(), 3u) << text;
  EXPECT_EQ(text.compare(0, 8, "earlier\n"), 0) << text;
  EXPECT_NE(text.find("--- QEMU for g, pid 42, started"), std::string::npos) << text;
  EXPECT_NE(text.find("] line one\n"), std::string::npos) << text;
  EXPECT_NE(text.find("] last\n"), std::string::npos) << text;
}
