// runqemuos_args: runqemuos's command line, built by the driver
// (RunqemuosArgs) and parsed by runqemuos (ParseLaunchArgs). Pure, so the
// round trip is tested without root.
//
//   runqemuos [-b] [-o CONSOLE_LOG] [-C SETTINGS] [-i IMAGE]
//             [-N NIC_MODEL [-M MAC] [-u [-p PORT]]] HOST HOSTNAMEDIR
//             LAUNCHDIR [QEMU] QEMU-ARGS...
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "guest_config.hpp"
#include "qemu_args.hpp"
#include "settings.hpp"

namespace runall {

/// runqemuos's exit status when the disk image is in use: another
/// runqemuos (or a QEMU runall did not start) holds it. For the driver this
/// is a lost start race, not a failure: it waits for that guest instead.
/// The other refusals (no free tap, start-tun-interface failed) exit
/// kExitRefused (1); see runqemuos(1).
constexpr int kRunqemuosImageInUse = 2;

/// The private directory of the QMP monitor sockets runqemuos gives the
/// guests of user `uid`: LAUNCHDIR/.monitor-UID, mode 0700, that user's.
/// Per user, so that users sharing a launch directory never share it.
std::string MonitorDirectory(const std::string& launch_dir, uid_t uid);

/// The monitor socket of guest `host`: MonitorDirectory/HOST.qmp. The
/// driver connects there to press the guest's power button.
std::string MonitorSocketPath(const std::string& launch_dir, const std::string& host, uid_t uid);

/// The usage text (--help on stdout, and after a usage error on stderr).
extern const char kRunqemuosUsage[];

/// What runqemuos was asked to do.
struct LaunchRequest {
  bool help = false;
  bool background = false;    ///< -b: own session, detached
  std::string console_log;    ///< -o: QEMU's stdout and stderr
  std::string settings_path;  ///< -C: passed on to start-tun-interface
  std::string image;          ///< -i, else found in the QEMU arguments
  std::string nic;            ///< -N: claim a tap, add this card
  std::string mac;            ///< -M: the card's address
  /// -u: the card on QEMU's user-mode network instead of a tap: no tap, no
  /// sudo, no hostname file (HOSTNAMEDIR is not used).
  bool user_net = false;
  unsigned ssh_port = 0;  ///< -p: with -u, the port to forward; 0: free
  std::string host;
  std::string hostname_dir;
  std::string launch_dir;
  std::vector<std::string> qemu_args;  ///< as given, perhaps the program first
};

/// Parses runqemuos's arguments (without argv[0]). Checks their form only:
/// the hostname, the MAC, the NIC model and the QEMU arguments
/// (CheckQemuArgs); not the files.
bool ParseLaunchArgs(const std::vector<std::string>& args, LaunchRequest* req, std::string* err);

/// The runqemuos arguments (after the program name and its -b/-o/-C) that
/// start `cmd` for `record`: -i IMAGE [-N NIC -M MAC [-u [-p PORT]]] HOST
/// HOSTNAMEDIR LAUNCHDIR QEMU ARGS... - with -u, "-" for HOSTNAMEDIR.
std::vector<std::string> RunqemuosArgs(const GuestRecord& record, const QemuCommand& cmd,
                                       const Settings& settings);

}  // namespace runall
