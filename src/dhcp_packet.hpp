// dhcp_packet: the BOOTP/DHCP wire format (RFC 2131, RFC 2132), parsed into
// and encoded from one fixed-size struct. Pure: no system calls, no heap.
//
// The parser trusts nothing: every length is checked against the bytes that
// arrived before anything is read, and a packet that is ambiguous (an option
// running past its area, a message type given twice, a fixed-size option of
// the wrong size) is refused rather than guessed at.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace runall {

/// The fixed BOOTP header: op up to and including the 128-byte file field.
constexpr size_t kDhcpHeaderSize = 236;
/// Header plus the magic cookie: the smallest DHCP message.
constexpr size_t kDhcpMinSize = 240;
/// BOOTP relays and old clients drop anything shorter (RFC 1542).
constexpr size_t kDhcpMinEncodedSize = 300;
/// The options a client must always accept (RFC 2131 2: a 576-byte datagram).
constexpr size_t kDhcpDefaultMaxSize = 548;
/// The largest message we accept or send: one Ethernet frame's UDP payload.
constexpr size_t kDhcpMaxSize = 1472;

constexpr uint16_t kDhcpServerPort = 67;
constexpr uint16_t kDhcpClientPort = 68;
constexpr uint8_t kBootRequest = 1;
constexpr uint8_t kBootReply = 2;
constexpr uint8_t kHtypeEthernet = 1;
constexpr uint16_t kDhcpBroadcastFlag = 0x8000;

enum DhcpMessageType : uint8_t {
  kDhcpNone = 0,
  kDhcpDiscover = 1,
  kDhcpOffer = 2,
  kDhcpRequest = 3,
  kDhcpDecline = 4,
  kDhcpAck = 5,
  kDhcpNak = 6,
  kDhcpRelease = 7,
  kDhcpInform = 8,
};

/// "DHCPDISCOVER" and so on; "DHCP?" for anything else.
const char* DhcpMessageTypeName(uint8_t type);

/// Option codes (RFC 2132) this module reads or writes.
enum DhcpOption : uint8_t {
  kOptPad = 0,
  kOptSubnetMask = 1,
  kOptRouter = 3,
  kOptDnsServers = 6,
  kOptHostname = 12,
  kOptDomainName = 15,
  kOptRequestedAddress = 50,
  kOptLeaseTime = 51,
  kOptOverload = 52,
  kOptMessageType = 53,
  kOptServerId = 54,
  kOptParameterList = 55,
  kOptMessage = 56,
  kOptMaxMessageSize = 57,
  kOptRenewalTime = 58,
  kOptRebindingTime = 59,
  kOptClientId = 61,
  kOptEnd = 255,
};

/// A variable-length option value: at most 255 bytes, as one option holds.
struct DhcpBytes {
  uint8_t len = 0;
  uint8_t data[255] = {};
  bool empty() const { return len == 0; }
  /// Replaces the value; false (and the value unchanged) if over 255 bytes.
  bool Assign(const void* bytes, size_t n);
};

/// One DHCP message. Addresses are in host byte order; an option whose
/// field is zero (or empty) is absent - zero is never a meaningful value for
/// any of them.
struct DhcpPacket {
  // The BOOTP header.
  uint8_t op = 0;
  uint8_t htype = 0;
  uint8_t hlen = 0;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  uint32_t ciaddr = 0;
  uint32_t yiaddr = 0;
  uint32_t siaddr = 0;
  uint32_t giaddr = 0;
  uint8_t chaddr[16] = {};

  // The options. sname and file are read only as option overload areas;
  // encoding leaves them zero.
  uint8_t message_type = kDhcpNone;
  uint32_t requested_address = 0;
  uint32_t server_id = 0;
  uint32_t lease_time = 0;
  uint32_t renewal_time = 0;    ///< T1
  uint32_t rebinding_time = 0;  ///< T2
  uint32_t subnet_mask = 0;
  uint32_t router = 0;  ///< the first router listed
  uint8_t dns_count = 0;
  uint32_t dns[8] = {};  ///< the first eight servers listed
  uint16_t max_message_size = 0;
  DhcpBytes hostname;
  DhcpBytes domain;
  DhcpBytes message;     ///< option 56, the reason for a NAK
  DhcpBytes client_id;   ///< option 61, type byte included
  DhcpBytes parameters;  ///< option 55, codes in preference order

  bool Broadcast() const { return (flags & kDhcpBroadcastFlag) != 0; }
  /// True if option `code` appears in the parameter request list.
  bool Requests(uint8_t code) const;
};

/// Why a packet was refused. Counted, never allocated.
enum class DhcpParseError {
  kNone,
  kTruncated,       ///< shorter than header plus magic cookie
  kTooLong,         ///< longer than kDhcpMaxSize
  kBadOp,           ///< neither BOOTREQUEST nor BOOTREPLY
  kBadHardware,     ///< hlen 0 or over 16, or Ethernet without hlen 6
  kBadCookie,       ///< not a DHCP message (plain BOOTP is not served)
  kOptionOverflow,  ///< an option's length runs past the end of its area
  kBadOverload,     ///< option 52 malformed or outside the options field
  kBadLength,       ///< an option of a fixed size has another size
  kTooLongOption,   ///< a split option (RFC 3396) adds up to over 255 bytes
  kNoMessageType,   ///< option 53 missing
  kBadMessageType,  ///< option 53 not one of the eight DHCP messages
};

/// A short description ("option runs past the end of the packet").
const char* DhcpParseErrorText(DhcpParseError error);

/// Parses `len` bytes received from the network into *packet. On failure
/// returns false with *error set (if non-null); *packet is then unspecified.
bool ParseDhcpPacket(const uint8_t* data, size_t len, DhcpPacket* packet, DhcpParseError* error);

/// Encodes `packet` into `out` (room for `cap` bytes): the header, the magic
/// cookie, every option present in priority order (message type, server
/// identifier, lease times, subnet mask, router, client identifier, hostname,
/// DNS servers, domain, then the client-side options), the end option, and
/// zero padding up to kDhcpMinEncodedSize. An option that does not fit is
/// left out so that the ones before it still go. Returns the length, or 0
/// if `cap` is below kDhcpMinEncodedSize.
size_t EncodeDhcpPacket(const DhcpPacket& packet, uint8_t* out, size_t cap);

}  // namespace runall
