// driver: runall-os-test's work. For each guest, in config-file order (up
// to -j at once): test the connection, look at its image and launch file,
// boot it with runqemuos if it is down, wait for it to say it is up, run
// the script over ssh with its output on the terminal and in the guest's
// own log, optionally shut it down; then print a summary (and TAP) and
// return the exit status. What to do at each step is startup_decision's
// answer; this module gathers the facts and carries the answers out. See
// runall-os-test(1).
#pragma once

#include <stdint.h>
#include <time.h>

#include <string>
#include <vector>

#include "driver_args.hpp"
#include "guest_config.hpp"

namespace runall {

/// Runs runall-os-test with parsed arguments (not --help) and returns its
/// exit status; exits through Fatal on bad input (100) or a system error
/// (111) before any guest is touched.
int RunDriver(const DriverArgs& args);

// --- pure helpers, exposed for the unit tests --------------------------------

/// The guests to handle, as indices into `records`: every one when `names`
/// is empty, else the named ones, always in config-file order (the
/// article's rule). Names found nowhere go to *missing in the order given.
std::vector<size_t> SelectGuests(const std::vector<GuestRecord>& records,
                                 const std::vector<std::string>& names,
                                 std::vector<std::string>* missing);

/// Where the per-guest logs go by default: $XDG_STATE_HOME/runall/logs,
/// else HOME/.local/state/runall/logs (the XDG base directory rule; an
/// XDG_STATE_HOME that is not absolute is ignored).
std::string DefaultLogDir(const char* xdg_state_home, const std::string& home);

/// Cuts a stream of output into whole lines, each written with `prefix`
/// before it ("[host] " when guests run side by side), so that lines of two
/// guests never mix; a last line without a newline comes out of Flush.
class LinePrefixer {
 public:
  explicit LinePrefixer(std::string prefix) : prefix_(std::move(prefix)) {}
  /// The complete lines in `data` (plus what was held back before).
  std::string Feed(const char* data, size_t size);
  /// What is held back, as a line of its own; empty if nothing.
  std::string Flush();

 private:
  std::string prefix_;
  std::string partial_;
};

/// One guest being waited on, for the terminal's progress line.
struct ProgressItem {
  std::string what;   ///< "booting", "stopping", ...
  std::string host;
  int64_t waited_s = 0;
  unsigned limit_s = 0;  ///< 0: no limit shown
};

/// "booting netqemu 12s/240s, stopping solqemu 3s/60s", cut to `width`
/// columns (at least 10) so that it never wraps.
std::string ProgressLine(const std::vector<ProgressItem>& items, size_t width);

/// Milliseconds from `from` to `to` (CLOCK_REALTIME times, such as file
/// modification times).
int64_t MillisBetween(const struct timespec& from, const struct timespec& to);

}  // namespace runall
