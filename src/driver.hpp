// driver: runall-os-test's work. For each guest, in config-file order (up
// to -j at once): test the connection, look at its image and launch file,
// boot it with runqemuos if it is down, wait for it to say it is up, run
// the script over ssh with its output on the terminal and in the guest's
// own log, optionally shut it down; then print a summary (and TAP) and
// return the exit status. What to do at each step is startup_decision's
// answer; this module gathers the facts and carries the answers out. See
// runall-os-test(1).
#pragma once

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

}  // namespace runall
