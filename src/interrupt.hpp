// interrupt: ^C (SIGINT) and SIGTERM for a program that waits a lot. The
// handler only sets a flag and writes a byte to a self-pipe; every wait in
// the driver polls the pipe's read end, so an interrupt ends any wait at
// once, and the program then stops cleanly by itself (the busybox udhcpd
// pattern).
#pragma once

#include <string>

namespace runall {

/// Installs the SIGINT, SIGTERM and SIGHUP handlers (SA_RESTART, so plain
/// reads and writes elsewhere carry on). Safe to call more than once. False
/// with *err if the pipe cannot be made.
bool InstallInterruptHandlers(std::string* err);

/// True once one of those signals has arrived.
bool Interrupted();

/// The signal that arrived first, or 0.
int InterruptSignal();

/// A descriptor that becomes readable when an interrupt arrives and stays
/// readable (it is never drained), for poll(); -1 before installation.
int InterruptFd();

/// Sleeps `ms` milliseconds; false if an interrupt ended the sleep early.
bool SleepUnlessInterrupted(unsigned ms);

/// Forgets an interrupt (tests only: a program that is interrupted stops).
void ResetInterruptForTest();

}  // namespace runall
