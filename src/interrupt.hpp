// interrupt: the signals a program that waits a lot must hear - ^C
// (SIGINT), SIGTERM, SIGHUP, and the DHCP server's SIGUSR1 - through one
// self-pipe per process (the busybox udhcpd pattern). The one handler notes
// the signal and writes its number to the pipe; waits poll the pipe's read
// end, so a signal ends any wait at once, and the program then acts on it
// by itself, outside the handler.
//
// A program uses the pipe one of two ways, never both:
//   - as a level (the driver and its threads): it is never read, so once an
//     interrupt came it stays readable for every wait in every thread;
//   - as a queue (the DHCP server): TakeSignals reads each signal, so that
//     every SIGUSR1 is acted on once.
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

namespace runall {

/// Catches `signals` with the handler (SA_RESTART, so plain reads and
/// writes elsewhere carry on) and unblocks them, keeping what it replaced
/// for ReleaseSignals. SIGINT, SIGTERM and SIGHUP among them make
/// Interrupted() true; any other (SIGUSR1) only goes into the pipe. Safe to
/// call more than once. False with *err if the pipe cannot be made.
bool CatchSignals(const std::vector<int>& signals, std::string* err);

/// CatchSignals for SIGINT, SIGTERM and SIGHUP: what stops the driver.
bool InstallInterruptHandlers(std::string* err);

/// Puts back the dispositions and the signal mask that CatchSignals found,
/// for a program that goes on after serving (RunDhcpDaemon's caller).
void ReleaseSignals();

/// True once SIGINT, SIGTERM or SIGHUP has arrived.
bool Interrupted();

/// The first of those signals that arrived, or 0.
int InterruptSignal();

/// The pipe's read end, for poll(): readable once a caught signal arrived.
/// -1 before CatchSignals.
int InterruptFd();

/// Reads the signals waiting in the pipe, oldest first, into `signals`, at
/// most `max`; returns how many. Never blocks.
size_t TakeSignals(int* signals, size_t max);

/// Sleeps `ms` milliseconds; false if an interrupt ended the sleep early.
bool SleepUnlessInterrupted(unsigned ms);

/// Forgets an interrupt (tests only: a program that is interrupted stops).
void ResetInterruptForTest();

}  // namespace runall
