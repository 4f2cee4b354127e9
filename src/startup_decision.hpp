// startup_decision: the article's main_os_startup_function as a pure
// function. The driver gathers facts about one guest (can we reach it, who
// has its disk image, what its launch file and up-file say), asks what to do
// next, does it (launch, wait, run the script), and asks again with the
// outcome of the wait - until the answer is to run the script or to stop.
// No system calls here, so every branch is unit-tested.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <string>
#include <vector>

namespace runall {

/// What the connection test (`ssh HOST ./hostname`) found.
enum class Reach {
  kNo,              ///< no answer, or a different hostname answered
  kYes,             ///< reachable, and ./hostname printed the configured name
  kHostKeyChanged,  ///< ssh refused: the guest's host key is not the known one
};

/// Who has the guest's disk image (image_lock's ImageInUse, as a fact).
enum class ImageFact {
  kFree,         ///< nobody: the article's "not open for writing"
  kRunall,       ///< runall's lock (byte 0): a QEMU that runqemuos started
  kForeignQemu,  ///< QEMU's own write lock only: a QEMU runall did not start
  kProbeError,   ///< could not tell
};

/// Where the driver is in the flow when it asks.
enum class Stage {
  kFirstLook,            ///< nothing done yet for this guest
  kAfterInitWait,        ///< waited for a QEMU to open its image (kWaitQemuInit)
  kAfterLaunchFileWait,  ///< waited for a locked image's launch file (kWaitLaunchFile)
  kAfterLaunchWait,      ///< launched the guest and waited for its up-file
  kAfterLostRace,        ///< runqemuos found the image taken by a launch racing ours
  kAfterBootWait,        ///< waited for the up-file of a guest launched before
  kAfterShutdownWait,    ///< waited for a guest going down to exit or answer
};

/// How the wait that led to this stage ended.
enum class WaitEnd {
  kNone,       ///< no wait, or the stage needs no outcome
  kUp,         ///< boot waits: the up-file appeared (or sshd answered)
  kConnected,  ///< shutdown wait: the guest answered the connection test
  kExited,     ///< QEMU exited, or its pid stopped being our QEMU
  kTimedOut,   ///< the deadline passed (start or stop timeout)
};

/// Everything the decision looks at. The driver fills in what it knows at
/// each stage: `reach` is read only at kFirstLook (the article tests the
/// connection once, up front); `wait_end` only after a wait.
struct StartupFacts {
  Reach reach = Reach::kNo;
  ImageFact image = ImageFact::kFree;
  /// The launch file exists and its pid is a live QEMU that started no later
  /// than the file was written (see IsLaunchedQemu).
  bool launch_names_live_qemu = false;
  /// The launch file exists and the up-file is newer than it.
  bool later_up_file = false;
  struct timespec up_file_mtime = {0, 0};  ///< for the log, with later_up_file
  /// The launch file is older than the start timeout.
  bool start_timeout_expired = false;
  WaitEnd wait_end = WaitEnd::kNone;
};

/// The guest's timeouts, in seconds (for the log lines that quote them).
struct StartupLimits {
  unsigned start_timeout = 600;
  unsigned stop_timeout = 600;
  unsigned qemu_init_period = 20;
};

/// What the driver does next.
enum class Action {
  kRunScript,       ///< the guest is up: run the script (after ssh readiness)
  kLaunch,          ///< boot it: runqemuos, then wait for the up-file
  kWaitUpFile,      ///< a guest launched before is booting: wait for its up-file
  kWaitQemuInit,    ///< wait up to qemu_init_period for its QEMU to open the image
  kWaitLaunchFile,  ///< wait up to qemu_init_period for the launch file to name
                    ///< the QEMU that holds runall's lock
  kWaitShutdown,    ///< a guest that was up is going down: wait up to the stop
                    ///< timeout for QEMU to exit or the guest to answer
  kRefuse,          ///< leave the guest alone; `refusal` says why
  kBootTimeout,     ///< no up-file within the start timeout
  kBootFailed,      ///< QEMU exited before the guest finished booting
  kError,           ///< could not tell whether the image is in use, or a bug
};

/// Why the driver refuses to touch a guest.
enum class Refusal {
  kNone,
  kHostKeyChanged,    ///< ssh says the guest's host key changed
  kImageHeldByOther,  ///< the image is open, and not by our launched QEMU
  kImageNotOpened,    ///< a launched QEMU never opened the image
  kUpButImageClosed,  ///< the article's case (b): a QEMU that came up has
                      ///< the image closed and might reopen it
  kNoBootAdvice,      ///< a booting guest missed its start timeout
  kImageStillOpen,    ///< QEMU exited but the image is still open
  kShutdownStuck,     ///< a guest going down neither exited nor answered
};

/// One log line of the decision, in the article's words.
struct LogNote {
  bool error = false;  ///< an ERROR:: line
  std::string text;
};

struct StartupDecision {
  Action action = Action::kError;
  Refusal refusal = Refusal::kNone;
  /// The branch taken, numbered as in startup_decision.cpp's table, so that
  /// a test names the branch it means.
  int branch = 0;
  std::vector<LogNote> notes;
};

/// The log line the driver writes before it gathers the first facts.
extern const char kTestingConnection[];

/// The next step for a guest at `stage` given `facts`.
StartupDecision DecideStartup(Stage stage, const StartupFacts& facts, const StartupLimits& limits);

/// A process as /proc (or ps) describes it, for IsLaunchedQemu.
struct ProcessFacts {
  bool exists = false;
  std::string exe;   ///< the executable's path; empty if unreadable
  std::string comm;  ///< the kernel's command name (at most 15 characters)
  bool start_known = false;
  struct timespec start = {0, 0};  ///< when it started (CLOCK_REALTIME)
};

/// How much later than the launch file's mtime a process may seem to have
/// started and still be the one that wrote it: the start time is counted in
/// clock ticks and the mtime taken from a coarse clock, so they can disagree
/// by a few milliseconds either way.
constexpr long kStartSlackNs = 100 * 1000 * 1000L;

/// True if `proc` is plausibly the QEMU that a launch file written at
/// `launch_mtime` names: it exists, its executable's name starts with
/// "qemu-system" (or its command name does: a QEMU program that is a
/// wrapper script, between its interpreter's start and its exec of the real
/// QEMU; or, when the executable is unreadable, its command name starts
/// with "qemu"), and it started no later than the file was written.
/// A pid reused by a process started after the launch file is not our QEMU.
/// An unknown start time (no /proc) is given the benefit of the doubt.
bool IsLaunchedQemu(const ProcessFacts& proc, const struct timespec& launch_mtime);

/// Why `proc` is not the QEMU a launch file written at `launch_mtime`
/// names, in words for the guest's log ("pid 7 is /bin/sh, not a QEMU");
/// empty when it is (IsLaunchedQemu). With `launched_here` the caller
/// started that pid itself and runqemuos told it the exec happened: only
/// that it is a live QEMU is checked, not its start time, which a wall
/// clock stepped forward since the launch would make look later than the
/// launch file.
std::string LaunchedQemuProblem(const ProcessFacts& proc, const struct timespec& launch_mtime,
                                bool launched_here);

/// The refusal in words, for the summary's detail ("host key changed").
const char* RefusalText(Refusal refusal);

/// Formats an mtime as stat(1)'s %y does, in local time:
/// "2005-08-09 12:34:56.123456789 +0000".
std::string FormatFileTime(const struct timespec& t);

}  // namespace runall
