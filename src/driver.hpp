// driver: runall-os-test's work. Loads the settings and the guest config,
// copies the script, hands the guests to -j workers in config-file order -
// each guest's run is guest_run's loop over guest_ops' real operations,
// logged to its own log - then prints a summary (and TAP) and returns the
// exit status. See runall-os-test(1).
#pragma once

#include <string>
#include <vector>

#include "driver_args.hpp"
#include "guest_config.hpp"

namespace runall {

/// Runs runall-os-test with parsed arguments (not --help) and returns its
/// exit status: 100 on bad input and 111 on a system error before any
/// guest is touched (with a message on stderr), 1 when -s finds a different
/// script in the way and nobody to ask, else RunExitStatus's.
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
