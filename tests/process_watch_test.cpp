#include "process_watch.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "interrupt.hpp"

using namespace runall;

namespace {

double Now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// A process that is not our child, as a guest's QEMU is not the driver's:
// a grandchild whose parent has exited. Its pid arrives through a pipe.
pid_t StartOrphan(const char* seconds) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t mid = fork();
  if (mid == 0) {
    pid_t g = fork();
    if (g == 0) {
      close(p[0]);
      close(p[1]);
      execl("/bin/sleep", "sleep", seconds, static_cast<char*>(nullptr));
      _exit(127);
    }
    ssize_t ignored = write(p[1], &g, sizeof g);
    (void)ignored;
    _exit(0);
  }
  close(p[1]);
  pid_t g = -1;
  if (read(p[0], &g, sizeof g) != sizeof g) g = -1;
  close(p[0]);
  waitpid(mid, nullptr, 0);
  return g;
}

}  // namespace

TEST(ProcessWatch, SeesANonChildExitAtOnce) {
  pid_t pid = StartOrphan("0.3");
  ASSERT_GT(pid, 1);
  ProcessWatch w(pid);
  EXPECT_TRUE(w.Alive());
  double start = Now();
  EXPECT_EQ(w.WaitExit(5000), ExitWait::kExited);
  double took = Now() - start;
  EXPECT_LT(took, 2.0);
  EXPECT_FALSE(w.Alive());
}

TEST(ProcessWatch, TimesOutAndSignals) {
  pid_t pid = StartOrphan("30");
  ASSERT_GT(pid, 1);
  ProcessWatch w(pid);
  int ticks = 0;
  EXPECT_EQ(w.WaitExit(
                250,
                [&](int64_t) {
                  ++ticks;
                  return true;
                },
                50),
            ExitWait::kTimedOut);
  EXPECT_GE(ticks, 2);
  EXPECT_EQ(w.WaitExit(
                5000, [](int64_t) { return false; }, 10),
            ExitWait::kStopped);
  std::string err;
  ASSERT_TRUE(w.Signal(SIGTERM, &err)) << err;
  EXPECT_EQ(w.WaitExit(5000), ExitWait::kExited);
}

TEST(ProcessWatch, NoProcess) {
  ProcessWatch w(0);
  EXPECT_FALSE(w.Alive());
  EXPECT_EQ(w.WaitExit(1000), ExitWait::kExited);
}

TEST(ProcessWatch, InterruptEndsTheWait) {
  std::string err;
  ASSERT_TRUE(InstallInterruptHandlers(&err)) << err;
  pid_t pid = StartOrphan("30");
  ASSERT_GT(pid, 1);
  ProcessWatch w(pid);
  raise(SIGHUP);
  EXPECT_EQ(w.WaitExit(5000), ExitWait::kInterrupted);
  ResetInterruptForTest();
  EXPECT_TRUE(w.Signal(SIGKILL, &err));
  EXPECT_EQ(w.WaitExit(5000), ExitWait::kExited);
}
