// dhcp_daemon: the embedded DHCP server for one guest interface, in place
// of the article's udhcpd. Its program is runall-dhcpd, which
// start-tun-interface execs in a detached child and tests run in the
// foreground.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "dhcp_config.hpp"
#include "dhcp_packet.hpp"

namespace runall {

/// Appends the IPv4 nameservers of a resolv.conf-format file to *dns, as
/// NameserversFromResolvConf picks them. The file may be a symlink (as
/// /etc/resolv.conf is under resolvconf or systemd-resolved) and is read up
/// to 64 KiB. False with *err (naming the path) if it cannot be read.
bool ReadNameservers(const std::string& path, std::vector<uint32_t>* dns, std::string* err);

/// Serves cfg.interface until SIGTERM/SIGINT/SIGHUP or until the interface
/// disappears; logs to syslog (ident "runall-dhcpd", facility daemon);
/// returns an exit code: 0 after a signal or when the interface went away,
/// 100 for an invalid config, 111 when the socket cannot be set up (no such
/// interface, port 67 taken on it). SIGUSR1 logs the counters (packets
/// received, replies, malformed, ignored). For a single-threaded process
/// (the detached child): it installs handlers for those four signals,
/// ignores SIGPIPE, and puts the old dispositions back before returning.
int RunDhcpDaemon(const DhcpConfig& cfg);

// The daemon's pure parts, apart so that they are tested without a socket.
// They write into the caller's buffers: serving allocates nothing.

/// Rations per-packet log lines: `lines` per window of `window_s` seconds;
/// beyond them lines are only counted, and the count is logged when the
/// next window opens, so that a flood cannot fill the disk through syslog.
class LogLimiter {
 public:
  LogLimiter(int64_t window_s, unsigned lines) : window_s_(window_s), lines_(lines) {}
  /// Whether a line may be logged at `now_s` (monotonic seconds). When a
  /// window ends with lines dropped, *suppressed says how many, to be
  /// logged first; else it is 0.
  bool Allow(int64_t now_s, unsigned long* suppressed);

 private:
  int64_t window_s_;
  unsigned lines_;
  bool started_ = false;
  int64_t window_start_ = 0;
  unsigned logged_ = 0;
  unsigned long dropped_ = 0;
};

/// A client's hardware address as hex pairs joined by ':' (at most 16
/// bytes), cut to fit `cap` bytes with its terminating NUL.
void FormatHardwareAddress(const DhcpPacket& p, char* out, size_t cap);

/// A name a client sent, fit for a log line: printable ASCII only (others
/// become '?'), at most 63 characters, cut to fit `cap`.
void FormatClientName(const DhcpBytes& name, char* out, size_t cap);

/// The log line's reason for stopping on `sig`, or null for a signal that
/// does not stop the server (SIGUSR1: log the counters).
const char* StopReason(int sig);

}  // namespace runall
