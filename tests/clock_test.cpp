#include "clock.hpp"

#include <gtest/gtest.h>

using namespace runall;

// Only what holds on any machine, however loaded: the clock never goes
// back, and a sleep lasts at least as long as asked.
TEST(Clock, MonotonicMsNeverGoesBackAndSleepMsSleepsAtLeastThatLong) {
  int64_t a = MonotonicMs();
  int64_t b = MonotonicMs();
  EXPECT_LE(a, b);
  SleepMs(20);
  EXPECT_GE(MonotonicMs() - b, 20);
  SleepMs(0);  // returns at once
}
