// start_tun: what start-tun-interface does - give a guest's tap its host
// address, (re)start the tap's DHCP server, map the guest's hostname; create
// persistent taps for an unprivileged QEMU user; stop a tap's server.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "net_routes.hpp"
#include "settings.hpp"
#include "tun.hpp"

namespace runall {

enum class StartTunMode {
  kConfigure,  ///< start-tun-interface IFACE
  kCreate,     ///< start-tun-interface -c TAP... | -c -n COUNT
  kStop,       ///< start-tun-interface -k IFACE...
  kHelp,       ///< --help
};

struct StartTunArgs {
  StartTunMode mode = StartTunMode::kConfigure;
  std::string settings_path;            ///< -C FILE; empty: the default
  std::vector<std::string> interfaces;  ///< validated tapN/tunN names
  std::vector<unsigned> numbers;        ///< N of each name
  unsigned count = 0;                   ///< -c -n COUNT
};

/// The usage text (--help).
std::string StartTunUsage();

/// Parses the arguments after argv[0]. Every interface name must be tapN or
/// tunN (ValidTapName) with N in the address plan (0-255); -c makes taps
/// only, so it takes tapN names. False with *err on anything else.
bool ParseStartTunArgs(const std::vector<std::string>& args, StartTunArgs* out, std::string* err);

/// Parses the settings' `dns` value (space-separated addresses).
std::vector<uint32_t> ParseDnsList(const std::string& text);

/// NS_DIR/IFACE.created: the mark that -c created the tap, so that -k
/// removes only taps it made and a sudo user acts only on taps -c made for
/// them. NS_DIR is the network namespace's directory in the run directory.
std::string CreatedMarkPath(const std::string& ns_dir, const std::string& iface);

/// Formats and parses the mark's content: the tap's ifindex (so a tap
/// made later under the same name is not taken for ours) and its owner.
std::string FormatCreatedMark(unsigned ifindex, uid_t owner);
bool ParseCreatedMark(const std::string& text, unsigned* ifindex, uid_t* owner);

/// What is known about an interface and its mark when deciding whether a
/// run through sudo may act on it.
struct TapFacts {
  bool exists = false;    ///< an interface of that name in this namespace
  bool tun_tap = false;   ///< it is a TUN/TAP device
  bool tap_mode = false;  ///< in tap mode (IFF_TAP), not tun mode
  long owner = -1;        ///< TUNSETOWNER's uid, -1 for none
  unsigned ifindex = 0;
  bool marked = false;  ///< this namespace holds a -c mark for the name
  unsigned mark_ifindex = 0;
  uid_t mark_owner = 0;
};

/// Under sudo a member acts only on their own taps: a TUN/TAP device in tap
/// mode owned by `uid` whose -c mark in this namespace names its ifindex and
/// `uid`. With `missing_ok` (-k) a name with no interface is accepted when
/// the mark says `uid` made it (its server and mark are cleaned up). False
/// with *why (to follow "IFACE: ") otherwise.
bool SudoMayActOn(const TapFacts& facts, uid_t uid, bool missing_ok, std::string* why);

/// The network of tapN in the plan: net_base.N.0/24.
Ipv4Net PlanNet(const Settings& s, unsigned number);

/// False with *why if tapN's network overlaps a network in `uses` (other
/// than what is on `iface` itself): it names what it collides with and
/// the setting net_base of `settings_path` that moves the plan.
bool PlanNetFree(const Settings& s, const std::string& settings_path, const std::string& iface,
                 unsigned number, const std::vector<NetUse>& uses, std::string* why);

/// How many of `taps` belong to `uid`.
unsigned TapsOwnedBy(const std::vector<TapInfo>& taps, uid_t uid);

/// What a run needs besides the arguments.
struct StartTunContext {
  Settings settings;
  std::string settings_path;  ///< passed on to update-dynamic-hosts if set
  uid_t invoking_uid = 0;
  bool through_sudo = false;  ///< acting for invoking_uid, not for root
  std::string self_exe;       ///< our program: the daemon must run it too
  std::string ns_name;        ///< our network namespace (NetNamespaceName)
};

/// The actions; each returns the tool's exit status and prints its own
/// messages.
int ConfigureTapInterface(const StartTunContext& ctx, const std::string& iface, unsigned number);
int CreateTaps(const StartTunContext& ctx, const StartTunArgs& args);
int StopTaps(const StartTunContext& ctx, const StartTunArgs& args);

}  // namespace runall
