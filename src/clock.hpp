// clock: the monotonic milliseconds every wait and deadline in runall is
// measured in (never the wall clock, which an administrator or NTP may
// step), and a sleep that a signal does not cut short.
#pragma once

#include <stdint.h>

namespace runall {

/// Milliseconds of CLOCK_MONOTONIC.
int64_t MonotonicMs();

/// Sleeps `ms` milliseconds, resuming after signal handlers.
void SleepMs(int ms);

}  // namespace runall
