// guest_ops: the real operations of a guest's run (the GuestOps of
// guest_run): the image probe and the launch file, the port knock and the
// ssh connection test, runqemuos, the waits for the up-file and for QEMU,
// the script over ssh with its output on the terminal, and the ways to
// stop a guest. Each logs the commands it runs and what it saw.
#pragma once

#include <memory>
#include <string>

#include "console.hpp"
#include "guest_config.hpp"
#include "guest_log.hpp"
#include "guest_run.hpp"
#include "settings.hpp"
#include "ssh.hpp"

namespace runall {

/// What the operations of every guest of a run share: the settings and
/// what the driver resolved from them and from the command line.
struct GuestOpsSetup {
  Settings settings;
  std::string settings_path;  ///< -C as given; empty: the compiled-in file
  std::string runqemuos;      ///< the runqemuos program to launch with
  std::string log_dir;        ///< the per-guest logs (and consoles) directory
  std::string up_dir;         ///< where guests write their up-files
  SshConfig ssh;
  /// The run's directory of ssh control sockets (ssh_mux.hpp), one per
  /// guest; empty: every ssh makes its own connection.
  std::string ssh_control_dir;
  std::string script_name;  ///< under common_ro_guest; empty: no script
  bool root = false;        ///< we run as root (and may pass -C on)
  bool fresh = false;       ///< --fresh: boot, never resume; save the state anew
  /// A "-----HOST-----" line on stdout before each guest's script output
  /// (one guest at a time, the log lines going to a file).
  bool guest_headers = false;
  Console* console = nullptr;
};

/// Where QEMU writes `guest`'s serial console: the record's console_log,
/// else LOGDIR/HOST.console.
std::string ConsoleLogPath(const GuestRecord& guest, const std::string& log_dir);

/// The real operations for `guest`, logging to `log`; `setup`, `guest` and
/// `log` must outlive them.
std::unique_ptr<GuestOps> NewRealGuestOps(const GuestOpsSetup& setup, const GuestRecord& guest,
                                          GuestLog* log);

}  // namespace runall
