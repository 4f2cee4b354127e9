#include "wait_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "interrupt.hpp"

using namespace runall;

namespace {

int64_t NowMs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

struct timespec RealNow() {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

void Append(const std::string& path, const char* text) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, text, strlen(text)), static_cast<ssize_t>(strlen(text)));
  close(fd);
}

class WaitFileTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runall-wait-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string err;
    ASSERT_TRUE(InstallInterruptHandlers(&err)) << err;
    ResetInterruptForTest();
  }
  void TearDown() override {
    ResetInterruptForTest();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  FileWait Wait(int64_t timeout_ms) {
    FileWait w;
    w.dir = dir_;
    w.name = "netqemu";
    w.newer_than = launched_;
    w.timeout_ms = timeout_ms;
    w.use_inotify = GetParam();
    return w;
  }

  // After `delay_ms`, `write` runs on another thread; returns when it ran.
  std::thread Later(int delay_ms, std::function<void()> write) {
    return std::thread([this, delay_ms, write] {
      usleep(delay_ms * 1000);
      write();
      written_at_ = NowMs();
    });
  }

  // How late the wait noticed: inotify within a few ms, polling within its
  // interval (the inotify bound is far below the 1 s safety-net stat, so
  // passing it shows the event woke the wait). Generous, for busy machines.
  int64_t Allowed() const { return GetParam() ? 100 : 400; }

  std::string dir_;
  struct timespec launched_ = RealNow();
  std::atomic<int64_t> written_at_{0};
};

}  // namespace

TEST_P(WaitFileTest, FileWrittenLaterIsSeenAtOnce) {
  std::string path = dir_ + "/netqemu";
  std::thread t = Later(300, [&] { Append(path, "Tue Aug  9 2005\n"); });
  struct timespec mtime;
  WaitResult r = WaitForFile(Wait(5000), &mtime);
  int64_t returned = NowMs();
  t.join();
  EXPECT_EQ(r, WaitResult::kAppeared);
  EXPECT_LT(returned - written_at_, Allowed());
  EXPECT_TRUE(TimespecAfter(mtime, launched_));
}

TEST_P(WaitFileTest, OldFileAppendedToCounts) {
  // The article's guests append `date` to the same file at every boot.
  std::string path = dir_ + "/netqemu";
  Append(path, "an earlier boot\n");
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
  std::thread t = Later(200, [&] { Append(path, "this boot\n"); });
  WaitResult r = WaitForFile(Wait(5000), nullptr);
  int64_t returned = NowMs();
  t.join();
  EXPECT_EQ(r, WaitResult::kAppeared);
  EXPECT_LT(returned - written_at_, Allowed());
}

TEST_P(WaitFileTest, FileRenamedIntoPlaceCounts) {
  std::string tmp = dir_ + "/.netqemu.tmp", path = dir_ + "/netqemu";
  std::thread t = Later(200, [&] {
    Append(tmp, "up\n");
    rename(tmp.c_str(), path.c_str());
  });
  WaitResult r = WaitForFile(Wait(5000), nullptr);
  int64_t returned = NowMs();
  t.join();
  EXPECT_EQ(r, WaitResult::kAppeared);
  EXPECT_LT(returned - written_at_, Allowed());
}

TEST_P(WaitFileTest, FileAlreadyNewerReturnsImmediately) {
  // File times come from a coarse clock and can read a few ms earlier than
  // clock_gettime did just before; the driver compares file with file.
  launched_.tv_sec -= 1;
  Append(dir_ + "/netqemu", "up\n");
  int64_t start = NowMs();
  EXPECT_EQ(WaitForFile(Wait(5000), nullptr), WaitResult::kAppeared);
  EXPECT_LT(NowMs() - start, 20);
}

TEST_P(WaitFileTest, OtherFilesAndOldFilesDoNotCount) {
  std::string path = dir_ + "/netqemu";
  Append(path, "old\n");
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
  std::thread t = Later(50, [&] { Append(dir_ + "/solqemu", "up\n"); });
  int64_t start = NowMs();
  EXPECT_EQ(WaitForFile(Wait(400), nullptr), WaitResult::kTimedOut);
  int64_t took = NowMs() - start;
  t.join();
  EXPECT_GE(took, 400);
  EXPECT_LT(took, 400 + Allowed());
}

TEST_P(WaitFileTest, TickReportsProgressAndCanStopTheWait) {
  FileWait w = Wait(5000);
  w.tick_ms = 50;
  std::vector<int64_t> ticks;
  w.tick = [&ticks](int64_t waited) {
    ticks.push_back(waited);
    return ticks.size() < 4;
  };
  int64_t start = NowMs();
  EXPECT_EQ(WaitForFile(w, nullptr), WaitResult::kStopped);
  EXPECT_EQ(ticks.size(), 4u);
  EXPECT_GE(ticks[0], 50);
  EXPECT_GT(ticks[3], ticks[2]);
  EXPECT_LT(NowMs() - start, 1000);
}

TEST_P(WaitFileTest, InterruptEndsTheWaitAtOnce) {
  std::thread t = Later(200, [] { kill(getpid(), SIGINT); });
  int64_t start = NowMs();
  WaitResult r = WaitForFile(Wait(5000), nullptr);
  int64_t returned = NowMs();
  t.join();
  EXPECT_EQ(r, WaitResult::kInterrupted);
  EXPECT_TRUE(Interrupted());
  EXPECT_EQ(InterruptSignal(), SIGINT);
  EXPECT_LT(returned - start, 1000);
  EXPECT_LT(returned - written_at_, 100);
}

TEST_P(WaitFileTest, MissingDirectoryIsWaitedOnByPolling) {
  // inotify cannot watch a directory that is not there yet.
  FileWait w = Wait(3000);
  w.dir = dir_ + "/later";
  std::thread t = Later(200, [&] {
    mkdir((dir_ + "/later").c_str(), 0755);
    Append(dir_ + "/later/netqemu", "up\n");
  });
  WaitResult r = WaitForFile(w, nullptr);
  int64_t returned = NowMs();
  t.join();
  EXPECT_EQ(r, WaitResult::kAppeared);
  EXPECT_LT(returned - written_at_, 250);
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPolling, WaitFileTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "inotify" : "polling";
                         });

TEST(InterruptTest, SleepEndsEarlyOnInterrupt) {
  std::string err;
  ASSERT_TRUE(InstallInterruptHandlers(&err)) << err;
  ResetInterruptForTest();
  int64_t start = NowMs();
  EXPECT_TRUE(SleepUnlessInterrupted(30));
  EXPECT_GE(NowMs() - start, 30);
  std::thread t([] {
    usleep(100 * 1000);
    kill(getpid(), SIGTERM);
  });
  start = NowMs();
  EXPECT_FALSE(SleepUnlessInterrupted(5000));
  EXPECT_LT(NowMs() - start, 1000);
  t.join();
  EXPECT_EQ(InterruptSignal(), SIGTERM);
  ResetInterruptForTest();
  EXPECT_FALSE(Interrupted());
}
