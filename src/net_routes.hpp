// net_routes: the IPv4 networks already in use in this network namespace -
// the addresses of its interfaces (getifaddrs) and its routes - and whether
// a guest network of the address plan would overlap one of them. A tap whose
// /24 lies inside a network that exists (a Docker bridge's 172.20.0.0/16, a
// VPN's routes) would silently take its traffic over. The only module that
// reads the routing table (/proc/net/route on Linux).
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace runall {

/// An IPv4 network: an address and a prefix length (host byte order).
struct Ipv4Net {
  uint32_t addr = 0;
  unsigned prefix = 0;  ///< 0-32
};

/// A network something in the namespace already uses.
struct NetUse {
  enum Kind { kAddress, kRoute };
  Kind kind = kAddress;
  std::string iface;  ///< the interface; empty for a route without one
  Ipv4Net net;        ///< an address with its prefix, or a route's target
};

/// The prefix length of a contiguous netmask; false if it is not contiguous.
bool NetmaskPrefix(uint32_t netmask, unsigned* prefix);

/// True if the two networks share an address (one contains the other).
bool NetsOverlap(const Ipv4Net& a, const Ipv4Net& b);

/// "172.20.0.0/16" (the network, its host bits cleared), or for an address
/// "172.20.0.1/16".
std::string FormatNet(const Ipv4Net& net, bool as_address = false);

/// Parses the text of /proc/net/route: every route that is up, with its
/// interface ("*" becomes empty). False on a malformed table.
bool ParseProcNetRoute(const std::string& text, std::vector<NetUse>* routes, std::string* err);

/// The first use in `uses` that `wanted` overlaps, ignoring what is on
/// `own_iface` (the interface the network is meant for) and the default
/// route (0.0.0.0/0, or a VPN's halves of it, 0.0.0.0/1 and 128.0.0.0/1),
/// or nullptr.
const NetUse* FindOverlap(const Ipv4Net& wanted, const std::string& own_iface,
                          const std::vector<NetUse>& uses);

/// What `use` is, for a message: "172.20.0.1/16 on br0" or "the route to
/// 172.20.0.0/16 via br0".
std::string DescribeNetUse(const NetUse& use);

/// The IPv4 addresses of every interface, then every route of the main
/// table (Linux; elsewhere the addresses only), in this network namespace.
bool ReadNetUses(std::vector<NetUse>* uses, std::string* err);

}  // namespace runall
