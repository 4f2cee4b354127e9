// report: what happened to each guest, as a summary table for people, TAP
// for CI systems, and an exit status. Pure: formats strings.
#pragma once

#include <string>
#include <vector>

namespace runall {

enum class GuestStatus {
  kPassed,          ///< the script exited 0
  kUp,              ///< no script was given: the guest is up
  kStopped,         ///< --stop: the guest is down (or was not running)
  kKilled,          ///< --stop or --shutdown: QEMU had to be killed
  kFailed,          ///< the script exited non-zero (exit_code)
  kBootTimeout,     ///< no boot signal within the start timeout
  kBootFailed,      ///< the launch failed or QEMU exited during boot
  kUnreachable,     ///< booted, but ssh could not connect in time
  kRefused,         ///< left alone for a reason (detail): see startup_decision
  kHostKeyChanged,  ///< ssh refused the guest's new host key
  kError,           ///< could not tell what state the guest is in (detail)
  kNotFound,        ///< named on the command line, not in the guest config
  kInterrupted,     ///< ^C while it was being handled
  kNotRun,          ///< ^C before its turn came
};

struct GuestResult {
  std::string host;
  GuestStatus status = GuestStatus::kNotRun;
  int exit_code = 0;         ///< the script's, for kFailed
  std::string detail;        ///< why, in words, for the not-passed kinds
  bool launched = false;     ///< this run booted it
  bool resumed = false;      ///< ... from the guest's saved state, not by booting
  double boot_seconds = -1;  ///< from launch (or from starting to wait) to up
  double script_seconds = -1;
  /// How it was stopped (--stop, --shutdown): "power button", "shutdown
  /// command", "exited" (by itself), "SIGTERM", "SIGKILL"; empty if it was
  /// not stopped.
  std::string stopped_by;
  std::string log_path;  ///< the guest's own log (the script's output)
};

/// True for the statuses that count as a pass: passed, up, stopped.
bool Passed(const GuestResult& result);

/// "passed", "failed (exit 3)", "boot timeout", "refused", ...
std::string StatusText(const GuestResult& result);

/// "12.3s", or "-" for a negative (not measured) duration.
std::string FormatSeconds(double seconds);

/// The table printed at the end of a run: a header and one line per guest in
/// aligned columns (GUEST RESULT BOOT SCRIPT DETAIL), then a count line.
std::string SummaryTable(const std::vector<GuestResult>& results);

/// The results as TAP version 13: the plan, "ok N - host" or "not ok N -
/// host # why", each followed by a YAML block with status and durations.
std::string TapReport(const std::vector<GuestResult>& results);

/// The driver's exit status: 130 if interrupted, 0 if there were guests and
/// every one passed, 1 otherwise.
int RunExitStatus(const std::vector<GuestResult>& results, bool interrupted);

}  // namespace runall
