// dhcp_config: what one guest interface's DHCP server serves. Pure: the
// server's decisions (dhcp_server) and its command line (dhcpd_args) take
// it without any I/O; the daemon around them (dhcp_daemon) serves it.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace runall {

struct DhcpConfig {
  std::string interface;  ///< e.g. "tap3"
  uint32_t server = 0;    ///< host side address, host byte order (router and server id)
  uint32_t client = 0;    ///< the single address offered
  uint32_t netmask = 0;
  std::vector<uint32_t> dns;   ///< empty: none (the first eight are sent)
  std::string domain;          ///< empty: none
  std::string hostname;        ///< option 12; empty: none
  unsigned lease_time = 120;   ///< seconds, as the article's udhcpd
  bool log_to_stderr = false;  ///< copy every log line to stderr (foreground runs, tests)
};

/// Checks what the server (RunDhcpDaemon) would refuse: an interface name that is empty
/// or too long, a zero or non-contiguous netmask, server or client zero,
/// equal, outside one subnet or its network/broadcast address, a lease under
/// 10 s or over a year, a hostname or domain that is not RFC 1123.
bool ValidDhcpConfig(const DhcpConfig& cfg, std::string* err);

}  // namespace runall
