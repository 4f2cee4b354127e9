// dhcp_server: the decisions of RFC 2131 for one interface that has one
// guest and one address to give. Pure: the caller passes the time and sends
// what it is told to send.
//
// One address, one guest: whichever client asks gets the address. A client
// with another hardware address or client identifier that asks while an
// earlier client's lease is still running gets it too (and the decision says
// so, to be logged): the link is point-to-point with one guest, and a guest
// rebooted with a new MAC must not be locked out for a lease time.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "dhcp_config.hpp"
#include "dhcp_packet.hpp"

namespace runall {

/// How long an address declined by a client (RFC 2131 4.3.3: someone else
/// answers ARP for it) is not offered again.
constexpr int64_t kDhcpDeclineHoldSeconds = 60;

/// The IPv4 addresses of the `nameserver` lines of resolv.conf text, in
/// order. IPv6 and malformed lines are skipped, and so are loopback
/// addresses (127.0.0.53 of systemd-resolved, a local dnsmasq): a guest
/// reaches the host through the tap, and its own 127/8 is not the host's.
std::vector<uint32_t> NameserversFromResolvConf(const std::string& text);

enum class DhcpOutcome {
  kReply,     ///< send *reply (an OFFER, ACK or NAK)
  kDeclined,  ///< the client declined the address; it is held back a while
  kReleased,  ///< the client gave the address back
  kIgnored,   ///< stay silent, as RFC 2131 asks
};

struct DhcpDecision {
  DhcpOutcome outcome = DhcpOutcome::kIgnored;
  /// For kReply: to 255.255.255.255:68 when true, else to `destination`:68.
  bool broadcast = false;
  uint32_t destination = 0;
  /// The address went to a new client while another client's lease ran.
  bool took_over = false;
  /// Why a NAK was sent or a packet ignored, in words (a static string).
  const char* reason = "";
};

class DhcpServer {
 public:
  /// Copies what it needs from `cfg`, which ValidDhcpConfig accepted.
  explicit DhcpServer(const DhcpConfig& cfg);

  /// Decides what to do with `request`, received at `now` (seconds on a
  /// monotonic clock). For DhcpOutcome::kReply, *reply is the answer.
  DhcpDecision Handle(const DhcpPacket& request, int64_t now, DhcpPacket* reply);

  /// The size the sender of `request` accepts for a reply (option 57, less
  /// the IP and UDP headers it counts; 548 when not given).
  static size_t ReplyLimit(const DhcpPacket& request);

  /// True while a lease given by an ACK runs.
  bool LeaseHeld(int64_t now) const { return leased_ && now < lease_expires_; }
  /// True while a declined address is held back.
  bool Declined(int64_t now) const { return now < declined_until_; }

 private:
  // Who a client is: its client identifier when it sends one, else its
  // hardware type and address (RFC 2131 4.2), after a byte saying which.
  // A 255-byte identifier makes a 256-byte key, so the length is wider
  // than a byte: one byte would wrap to 0 and make every such key equal.
  struct ClientKey {
    uint16_t len = 0;
    uint8_t bytes[1 + 255] = {};
    bool operator==(const ClientKey& o) const;
  };
  static ClientKey KeyOf(const DhcpPacket& p);

  void StartReply(const DhcpPacket& request, uint8_t type, DhcpPacket* reply) const;
  void AddConfiguration(const DhcpPacket& request, DhcpPacket* reply) const;
  DhcpDecision Nak(const DhcpPacket& request, const char* reason, DhcpPacket* reply) const;
  DhcpDecision Send(const DhcpPacket& request) const;

  uint32_t server_;
  uint32_t client_;
  uint32_t netmask_;
  uint32_t lease_time_;
  uint8_t dns_count_ = 0;
  uint32_t dns_[8] = {};
  DhcpBytes hostname_;
  DhcpBytes domain_;

  bool leased_ = false;
  ClientKey holder_;
  int64_t lease_expires_ = 0;
  int64_t declined_until_ = 0;
};

}  // namespace runall
