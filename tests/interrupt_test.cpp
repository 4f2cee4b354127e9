#include "interrupt.hpp"

#include <poll.h>
#include <signal.h>

#include <string>

#include <gtest/gtest.h>

using namespace runall;

namespace {

bool Readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void NoteUsr2(int) {}

// Each test starts from no interrupt and leaves the dispositions it found.
class Interrupt : public ::testing::Test {
 protected:
  void SetUp() override { ResetInterruptForTest(); }
  void TearDown() override {
    ReleaseSignals();
    ResetInterruptForTest();
  }
};

}  // namespace

// The driver's way: the pipe is a level every wait of every thread sees.
TEST_F(Interrupt, AStopSignalStaysReadableForEveryWait) {
  std::string err;
  ASSERT_TRUE(InstallInterruptHandlers(&err)) << err;
  ASSERT_GE(InterruptFd(), 0);
  EXPECT_FALSE(Interrupted());
  EXPECT_FALSE(Readable(InterruptFd()));
  EXPECT_TRUE(SleepUnlessInterrupted(1));
  raise(SIGTERM);
  EXPECT_TRUE(Interrupted());
  EXPECT_EQ(SIGTERM, InterruptSignal());
  EXPECT_TRUE(Readable(InterruptFd()));
  EXPECT_TRUE(Readable(InterruptFd()));  // polling does not use it up
  EXPECT_FALSE(SleepUnlessInterrupted(60 * 1000));
  // The first stop signal is the one reported.
  raise(SIGINT);
  EXPECT_EQ(SIGTERM, InterruptSignal());
}

// The DHCP server's way: every signal read once, in order; SIGUSR1 is not
// an interrupt.
TEST_F(Interrupt, TakeSignalsReadsEachCaughtSignalOnce) {
  std::string err;
  ASSERT_TRUE(CatchSignals({SIGTERM, SIGUSR1}, &err)) << err;
  raise(SIGUSR1);
  raise(SIGUSR1);
  EXPECT_FALSE(Interrupted());
  ASSERT_TRUE(Readable(InterruptFd()));
  int sigs[8];
  ASSERT_EQ(2u, TakeSignals(sigs, 8));
  EXPECT_EQ(SIGUSR1, sigs[0]);
  EXPECT_EQ(SIGUSR1, sigs[1]);
  EXPECT_FALSE(Readable(InterruptFd()));
  EXPECT_EQ(0u, TakeSignals(sigs, 8));
  raise(SIGUSR1);
  raise(SIGTERM);
  ASSERT_EQ(1u, TakeSignals(sigs, 1));  // no more than asked
  EXPECT_EQ(SIGUSR1, sigs[0]);
  ASSERT_EQ(1u, TakeSignals(sigs, 8));
  EXPECT_EQ(SIGTERM, sigs[0]);
  EXPECT_TRUE(Interrupted());
}

TEST_F(Interrupt, ReleaseSignalsGivesBackWhatCatchSignalsFound) {
  // A handler of the caller's, and the signal blocked, as a parent may
  // leave it around a fork.
  struct sigaction mine = {}, saved_usr2;
  mine.sa_handler = NoteUsr2;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(0, sigaction(SIGUSR2, &mine, &saved_usr2));
  sigset_t usr2, saved_mask, now;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &usr2, &saved_mask));

  std::string err;
  ASSERT_TRUE(CatchSignals({SIGUSR2}, &err)) << err;
  ASSERT_TRUE(CatchSignals({SIGUSR2}, &err)) << err;  // twice: still ours to give back
  sigprocmask(SIG_SETMASK, nullptr, &now);
  EXPECT_FALSE(sigismember(&now, SIGUSR2)) << "a caught signal must not stay blocked";
  raise(SIGUSR2);
  int sig = 0;
  EXPECT_EQ(1u, TakeSignals(&sig, 1));
  EXPECT_EQ(SIGUSR2, sig);

  ReleaseSignals();
  struct sigaction after;
  sigaction(SIGUSR2, nullptr, &after);
  EXPECT_EQ(NoteUsr2, after.sa_handler);
  sigprocmask(SIG_SETMASK, nullptr, &now);
  EXPECT_TRUE(sigismember(&now, SIGUSR2));

  sigaction(SIGUSR2, &saved_usr2, nullptr);
  sigprocmask(SIG_SETMASK, &saved_mask, nullptr);
}
