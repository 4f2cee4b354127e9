// dhcpd_args: the command line of runall-dhcpd, the embedded DHCP server's
// own small program. start-tun-interface builds it (DhcpdArgv) and execs
// the server with it; runall-dhcpd parses it back (ParseDhcpdArgs). Pure,
// so the round trip is tested without root.
#pragma once

#include <string>
#include <vector>

#include "dhcp_config.hpp"

namespace runall {

/// The usage text of runall-dhcpd.
std::string DhcpdUsage();

struct DhcpdArgs {
  DhcpConfig cfg;
  std::vector<std::string> resolv_files;  ///< -r FILE: nameservers from it
  bool help = false;
};

/// Parses the arguments after argv[0]:
///   -i IFACE -s SERVER -c CLIENT [-m NETMASK] [-n HOSTNAME] [-d DOMAIN]
///   [-l LEASE_SECONDS] [-D DNS]... [-r RESOLV_CONF]... [-q] [-h|--help]
/// A value may follow its letter or be the next argument. Addresses are
/// dotted quads (ParseIPv4); the netmask defaults to 255.255.255.0; stderr
/// logging is on unless -q. False with *err on an unknown option, a missing
/// or bad value, a repeated single option, an operand, or no -i, -s or -c.
/// The configuration itself is judged by ValidDhcpConfig, not here.
bool ParseDhcpdArgs(const std::vector<std::string>& args, DhcpdArgs* out, std::string* err);

/// The arguments (after argv[0]) that make runall-dhcpd serve `cfg`, quiet
/// on stderr: ParseDhcpdArgs gives cfg back.
std::vector<std::string> DhcpdArgv(const DhcpConfig& cfg);

}  // namespace runall
