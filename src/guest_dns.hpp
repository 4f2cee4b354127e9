// guest_dns: which DNS servers a guest is offered. A resolver the guest
// cannot reach is worse than none: the guest's every lookup of a name not
// in its hosts file (sudo's of its own name, ssh's reverse lookups) then
// waits for the resolver's timeout, 5 to 40 s, where with no resolver it
// fails at once. Pure: the facts come from the caller.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace runall {

struct GuestDnsFacts {
  std::vector<uint32_t> configured;      ///< the `dns` setting, when it is set
  bool setting_given = false;            ///< `dns` is set (even to nothing)
  std::vector<uint32_t> resolv_conf;     ///< the host's /etc/resolv.conf servers
  bool host_forwards = false;            ///< net.ipv4.ip_forward is on
  std::vector<uint32_t> host_addresses;  ///< the host's own IPv4 addresses
};

struct GuestDns {
  std::vector<uint32_t> servers;  ///< what the DHCP server offers
  std::string note;               ///< why some or all were left out; empty if none were
};

/// The setting wins when given (the administrator knows the network); its
/// loopback and unspecified addresses are still left out. Otherwise the
/// host's resolvers, leaving out loopback ones (127.0.0.53, systemd's stub,
/// is the common case: on the guest it is the guest itself), and, when the
/// host does not forward the guest's packets, every one that is not an
/// address of the host itself.
GuestDns ChooseGuestDns(const GuestDnsFacts& facts);

/// Reads net.ipv4.ip_forward (Linux; false elsewhere or when unreadable).
bool HostForwardsIpv4();

}  // namespace runall
