// start_tun: what start-tun-interface does - give a guest's tap its host
// address, (re)start the tap's DHCP server, map the guest's hostname; create
// persistent taps for an unprivileged QEMU user; stop a tap's server.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "settings.hpp"

namespace runall {

enum class StartTunMode {
  kConfigure,  ///< start-tun-interface IFACE
  kCreate,     ///< start-tun-interface -c TAP... | -c -n COUNT
  kStop,       ///< start-tun-interface -k IFACE...
  kHelp,       ///< --help
};

struct StartTunArgs {
  StartTunMode mode = StartTunMode::kConfigure;
  std::string settings_path;             ///< -C FILE; empty: the default
  std::vector<std::string> interfaces;   ///< validated tapN/tunN names
  std::vector<unsigned> numbers;         ///< N of each name
  unsigned count = 0;                    ///< -c -n COUNT
};

/// The usage text (--help).
std::string StartTunUsage();

/// Parses the arguments after argv[0]. Every interface name must be tapN or
/// tunN (ValidTapName) with N in the address plan (0-255); -c makes taps
/// only, so it takes tapN names. False with *err on anything else.
bool ParseStartTunArgs(const std::vector<std::string>& args,
                       StartTunArgs* out, std::string* err);

/// Parses the settings' `dns` value (space-separated addresses).
std::vector<uint32_t> ParseDnsList(const std::string& text);

/// RUN_DIR/IFACE.created: the mark that -c created the tap, so that -k
/// removes only taps it made.
std::string CreatedMarkPath(const std::string& run_dir,
                            const std::string& iface);

/// Formats and parses the mark's content: the tap's ifindex (so a tap
/// made later under the same name is not taken for ours) and its owner.
std::string FormatCreatedMark(unsigned ifindex, uid_t owner);
bool ParseCreatedMark(const std::string& text, unsigned* ifindex,
                      uid_t* owner);

/// What a run needs besides the arguments.
struct StartTunContext {
  Settings settings;
  std::string settings_path;  ///< passed on to update-dynamic-hosts if set
  uid_t invoking_uid = 0;
  bool through_sudo = false;  ///< acting for invoking_uid, not for root
  std::string self_exe;       ///< our program: the daemon must run it too
};

/// The actions; each returns the tool's exit status and prints its own
/// messages.
int ConfigureTapInterface(const StartTunContext& ctx, const std::string& iface,
                          unsigned number);
int CreateTaps(const StartTunContext& ctx, const StartTunArgs& args);
int StopTaps(const StartTunContext& ctx, const StartTunArgs& args);

}  // namespace runall
