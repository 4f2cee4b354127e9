// dhcp_daemon: the embedded DHCP server for one guest interface, in place
// of the article's udhcpd. Its program is runall-dhcpd, which
// start-tun-interface execs in a detached child and tests run in the
// foreground.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace runall {

struct DhcpConfig {
  std::string interface;      ///< e.g. "tap3"
  uint32_t server = 0;        ///< host side address, host byte order (router and server id)
  uint32_t client = 0;        ///< the single address offered
  uint32_t netmask = 0;
  std::vector<uint32_t> dns;  ///< empty: none (the first eight are sent)
  std::string domain;         ///< empty: none
  std::string hostname;       ///< option 12; empty: none
  unsigned lease_time = 120;  ///< seconds, as the article's udhcpd
  bool log_to_stderr = false; ///< copy every log line to stderr (foreground runs, tests)
};

/// Appends the IPv4 nameservers of a resolv.conf-format file to *dns, as
/// NameserversFromResolvConf picks them. The file may be a symlink (as
/// /etc/resolv.conf is under resolvconf or systemd-resolved) and is read up
/// to 64 KiB. False with *err (naming the path) if it cannot be read.
bool ReadNameservers(const std::string& path, std::vector<uint32_t>* dns,
                     std::string* err);

/// Checks what RunDhcpDaemon would refuse: an interface name that is empty
/// or too long, a zero or non-contiguous netmask, server or client zero,
/// equal, outside one subnet or its network/broadcast address, a lease under
/// 10 s or over a year, a hostname or domain that is not RFC 1123.
bool ValidDhcpConfig(const DhcpConfig& cfg, std::string* err);

/// Serves cfg.interface until SIGTERM/SIGINT/SIGHUP or until the interface
/// disappears; logs to syslog (ident "runall-dhcpd", facility daemon);
/// returns an exit code: 0 after a signal or when the interface went away,
/// 100 for an invalid config, 111 when the socket cannot be set up (no such
/// interface, port 67 taken on it). SIGUSR1 logs the counters (packets
/// received, replies, malformed, ignored). For a single-threaded process
/// (the detached child): it installs handlers for those four signals,
/// ignores SIGPIPE, and puts the old dispositions back before returning.
int RunDhcpDaemon(const DhcpConfig& cfg);

}  // namespace runall
