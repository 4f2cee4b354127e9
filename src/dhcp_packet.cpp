#include "dhcp_packet.hpp"

#include <string.h>

namespace runall {

namespace {

constexpr uint8_t kMagicCookie[4] = {99, 130, 83, 99};

// Where the fields sit in the BOOTP header.
constexpr size_t kSnameOffset = 44;
constexpr size_t kFileOffset = 108;

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// One stretch of bytes that holds options: the options field, or the file
// and sname fields when option 52 lends them.
struct Area {
  size_t begin;
  size_t end;
};

// Calls visit(code, value, length) for each option of one area, in order,
// skipping pads and stopping at the end option. Anything after the end
// option is padding by RFC 2131 and is not looked at. An area may also end
// without an end option when its last option fills it exactly; an option
// whose length byte or value lies past the area is an error.
template <typename Visit>
bool WalkArea(const uint8_t* data, Area area, Visit visit) {
  size_t i = area.begin;
  while (i < area.end) {
    uint8_t code = data[i];
    if (code == kOptPad) {
      ++i;
      continue;
    }
    if (code == kOptEnd) return true;
    if (i + 1 >= area.end) return false;
    size_t n = data[i + 1];
    if (i + 2 + n > area.end) return false;
    visit(code, data + i + 2, n);
    i += 2 + n;
  }
  return true;
}

// How many bytes an option we read must have, once its pieces are joined
// (RFC 3396). Returns false if `total` is not acceptable for `code`.
bool LengthFits(uint8_t code, size_t total) {
  switch (code) {
    case kOptMessageType:
    case kOptOverload: return total == 1;
    case kOptMaxMessageSize: return total == 2;
    case kOptSubnetMask:
    case kOptRequestedAddress:
    case kOptLeaseTime:
    case kOptServerId:
    case kOptRenewalTime:
    case kOptRebindingTime: return total == 4;
    case kOptRouter:
    case kOptDnsServers: return total >= 4 && total % 4 == 0;
    case kOptClientId: return total >= 2;  // a type byte and at least one byte (RFC 2132 9.14)
    case kOptHostname:
    case kOptDomainName:
    case kOptMessage:
    case kOptParameterList: return total >= 1;
    default: return true;  // options we do not read may be any length
  }
}

bool StoredVariable(uint8_t code) {
  switch (code) {
    case kOptRouter:
    case kOptDnsServers:
    case kOptClientId:
    case kOptHostname:
    case kOptDomainName:
    case kOptMessage:
    case kOptParameterList: return true;
    default: return false;
  }
}

// Fixed-size values are gathered here before being decoded, so that a
// value split over two pieces (legal, if odd) reads the same as one piece.
struct Fixed {
  uint8_t bytes[4];
  size_t len;
  void Add(const uint8_t* p, size_t n) {
    for (size_t k = 0; k < n && len < sizeof bytes; ++k) bytes[len++] = p[k];
  }
};

void Append(DhcpBytes* b, const uint8_t* p, size_t n) {
  size_t room = sizeof b->data - b->len;
  if (n > room) n = room;  // cannot happen: totals were checked first
  memcpy(b->data + b->len, p, n);
  b->len = static_cast<uint8_t>(b->len + n);
}

// Says why the packet is refused, and returns false.
bool Malformed(DhcpParseError* error, DhcpParseError why) {
  if (error) *error = why;
  return false;
}

// Appends options to an outgoing packet, always keeping one byte for the
// end option.
class OptionWriter {
 public:
  OptionWriter(uint8_t* out, size_t pos, size_t cap) : out_(out), pos_(pos), cap_(cap) {}
  void Put(uint8_t code, const uint8_t* value, size_t n) {
    if (n > 255 || pos_ + 2 + n + 1 > cap_) return;
    out_[pos_] = code;
    out_[pos_ + 1] = static_cast<uint8_t>(n);
    if (n) memcpy(out_ + pos_ + 2, value, n);
    pos_ += 2 + n;
  }
  void Put32(uint8_t code, uint32_t v) {
    if (v == 0) return;
    uint8_t b[4];
    runall::Put32(b, v);
    Put(code, b, 4);
  }
  void PutBytes(uint8_t code, const DhcpBytes& b) {
    if (!b.empty()) Put(code, b.data, b.len);
  }
  size_t End() {
    out_[pos_++] = kOptEnd;
    return pos_;
  }

 private:
  uint8_t* out_;
  size_t pos_;
  size_t cap_;
};

}  // namespace

bool DhcpBytes::Assign(const void* bytes, size_t n) {
  if (n > sizeof data) return false;
  if (n) memcpy(data, bytes, n);
  len = static_cast<uint8_t>(n);
  return true;
}

bool DhcpPacket::Requests(uint8_t code) const {
  return memchr(parameters.data, code, parameters.len) != nullptr;
}

const char* DhcpMessageTypeName(uint8_t type) {
  switch (type) {
    case kDhcpDiscover: return "DHCPDISCOVER";
    case kDhcpOffer: return "DHCPOFFER";
    case kDhcpRequest: return "DHCPREQUEST";
    case kDhcpDecline: return "DHCPDECLINE";
    case kDhcpAck: return "DHCPACK";
    case kDhcpNak: return "DHCPNAK";
    case kDhcpRelease: return "DHCPRELEASE";
    case kDhcpInform: return "DHCPINFORM";
    default: return "DHCP?";
  }
}

const char* DhcpParseErrorText(DhcpParseError error) {
  switch (error) {
    case DhcpParseError::kNone: return "no error";
    case DhcpParseError::kTruncated: return "shorter than a DHCP header";
    case DhcpParseError::kTooLong: return "longer than a DHCP message may be";
    case DhcpParseError::kBadOp: return "op is neither request nor reply";
    case DhcpParseError::kBadHardware: return "bad hardware address length";
    case DhcpParseError::kBadCookie: return "no DHCP magic cookie";
    case DhcpParseError::kOptionOverflow: return "an option runs past the end of its field";
    case DhcpParseError::kBadOverload: return "bad option overload";
    case DhcpParseError::kBadLength: return "an option has a wrong length";
    case DhcpParseError::kTooLongOption: return "a split option is longer than 255 bytes";
    case DhcpParseError::kNoMessageType: return "no message type";
    case DhcpParseError::kBadMessageType: return "unknown message type";
  }
  return "unknown error";
}

bool ParseDhcpPacket(const uint8_t* data, size_t len, DhcpPacket* packet, DhcpParseError* error) {
  if (len < kDhcpMinSize) return Malformed(error, DhcpParseError::kTruncated);
  if (len > kDhcpMaxSize) return Malformed(error, DhcpParseError::kTooLong);
  if (data[0] != kBootRequest && data[0] != kBootReply)
    return Malformed(error, DhcpParseError::kBadOp);
  if (data[2] == 0 || data[2] > 16 || (data[1] == kHtypeEthernet && data[2] != 6))
    return Malformed(error, DhcpParseError::kBadHardware);
  if (memcmp(data + kDhcpHeaderSize, kMagicCookie, 4) != 0)
    return Malformed(error, DhcpParseError::kBadCookie);

  // First pass: check the structure of every area and add up each option's
  // length, so that no value is read before all of it is known to be there.
  bool seen[256] = {};
  uint16_t total[256] = {};
  bool overflow = false;
  bool overload_misplaced = false;
  auto measure = [&](uint8_t code, const uint8_t*, size_t n) {
    seen[code] = true;
    total[code] = static_cast<uint16_t>(total[code] + n);
  };
  Area areas[3] = {{kDhcpMinSize, len}, {0, 0}, {0, 0}};
  size_t area_count = 1;
  if (!WalkArea(data, areas[0], measure)) return Malformed(error, DhcpParseError::kOptionOverflow);
  uint8_t overload = 0;
  if (seen[kOptOverload]) {
    if (total[kOptOverload] != 1) return Malformed(error, DhcpParseError::kBadOverload);
    // Gathered like any other value: the one byte may follow an empty
    // piece, which has nothing to read.
    Fixed value = {};
    WalkArea(data, areas[0], [&](uint8_t code, const uint8_t* p, size_t n) {
      if (code == kOptOverload) value.Add(p, n);
    });
    overload = value.bytes[0];
    if (overload < 1 || overload > 3) return Malformed(error, DhcpParseError::kBadOverload);
    // RFC 2131 4.1: file is read before sname.
    if (overload & 1) areas[area_count++] = {kFileOffset, kDhcpHeaderSize};
    if (overload & 2) areas[area_count++] = {kSnameOffset, kFileOffset};
    for (size_t a = 1; a < area_count; ++a) {
      overflow |= !WalkArea(data, areas[a], [&](uint8_t code, const uint8_t* p, size_t n) {
        if (code == kOptOverload) overload_misplaced = true;
        measure(code, p, n);
      });
    }
    if (overflow) return Malformed(error, DhcpParseError::kOptionOverflow);
    if (overload_misplaced) return Malformed(error, DhcpParseError::kBadOverload);
  }
  for (int code = 1; code < 255; ++code) {
    if (!seen[code]) continue;
    if (!LengthFits(static_cast<uint8_t>(code), total[code]))
      return Malformed(error, DhcpParseError::kBadLength);
    if (StoredVariable(static_cast<uint8_t>(code)) && total[code] > 255)
      return Malformed(error, DhcpParseError::kTooLongOption);
  }
  if (!seen[kOptMessageType]) return Malformed(error, DhcpParseError::kNoMessageType);

  // Second pass: gather the values, joining split options in area order.
  DhcpPacket& p = *packet;
  p = DhcpPacket();
  p.op = data[0];
  p.htype = data[1];
  p.hlen = data[2];
  p.hops = data[3];
  p.xid = Get32(data + 4);
  p.secs = Get16(data + 8);
  p.flags = Get16(data + 10);
  p.ciaddr = Get32(data + 12);
  p.yiaddr = Get32(data + 16);
  p.siaddr = Get32(data + 20);
  p.giaddr = Get32(data + 24);
  memcpy(p.chaddr, data + 28, sizeof p.chaddr);

  Fixed fixed[8] = {};
  const uint8_t fixed_codes[8] = {kOptMessageType, kOptRequestedAddress, kOptServerId,
                                  kOptLeaseTime,   kOptRenewalTime,      kOptRebindingTime,
                                  kOptSubnetMask,  kOptMaxMessageSize};
  DhcpBytes routers, dns;
  auto gather = [&](uint8_t code, const uint8_t* v, size_t n) {
    for (size_t k = 0; k < 8; ++k)
      if (fixed_codes[k] == code) fixed[k].Add(v, n);
    switch (code) {
      case kOptRouter: Append(&routers, v, n); break;
      case kOptDnsServers: Append(&dns, v, n); break;
      case kOptHostname: Append(&p.hostname, v, n); break;
      case kOptDomainName: Append(&p.domain, v, n); break;
      case kOptMessage: Append(&p.message, v, n); break;
      case kOptClientId: Append(&p.client_id, v, n); break;
      case kOptParameterList: Append(&p.parameters, v, n); break;
      default: break;
    }
  };
  for (size_t a = 0; a < area_count; ++a) WalkArea(data, areas[a], gather);

  p.message_type = fixed[0].bytes[0];
  if (p.message_type < kDhcpDiscover || p.message_type > kDhcpInform)
    return Malformed(error, DhcpParseError::kBadMessageType);
  if (fixed[1].len == 4) p.requested_address = Get32(fixed[1].bytes);
  if (fixed[2].len == 4) p.server_id = Get32(fixed[2].bytes);
  if (fixed[3].len == 4) p.lease_time = Get32(fixed[3].bytes);
  if (fixed[4].len == 4) p.renewal_time = Get32(fixed[4].bytes);
  if (fixed[5].len == 4) p.rebinding_time = Get32(fixed[5].bytes);
  if (fixed[6].len == 4) p.subnet_mask = Get32(fixed[6].bytes);
  if (fixed[7].len == 2) p.max_message_size = Get16(fixed[7].bytes);
  if (routers.len >= 4) p.router = Get32(routers.data);
  for (size_t k = 0; k + 4 <= dns.len && p.dns_count < 8; k += 4)
    p.dns[p.dns_count++] = Get32(dns.data + k);
  if (error) *error = DhcpParseError::kNone;
  return true;
}

size_t EncodeDhcpPacket(const DhcpPacket& p, uint8_t* out, size_t cap) {
  if (cap < kDhcpMinEncodedSize) return 0;
  if (cap > kDhcpMaxSize) cap = kDhcpMaxSize;
  memset(out, 0, kDhcpMinEncodedSize);
  out[0] = p.op;
  out[1] = p.htype;
  out[2] = p.hlen;
  out[3] = p.hops;
  Put32(out + 4, p.xid);
  Put16(out + 8, p.secs);
  Put16(out + 10, p.flags);
  Put32(out + 12, p.ciaddr);
  Put32(out + 16, p.yiaddr);
  Put32(out + 20, p.siaddr);
  Put32(out + 24, p.giaddr);
  memcpy(out + 28, p.chaddr, sizeof p.chaddr);
  memcpy(out + kDhcpHeaderSize, kMagicCookie, 4);

  // The order is the order of importance: when a client's size limit cuts
  // the list short, what it cannot work without has already gone in.
  OptionWriter w(out, kDhcpMinSize, cap);
  if (p.message_type != kDhcpNone) w.Put(kOptMessageType, &p.message_type, 1);
  w.Put32(kOptServerId, p.server_id);
  w.Put32(kOptLeaseTime, p.lease_time);
  w.Put32(kOptRenewalTime, p.renewal_time);
  w.Put32(kOptRebindingTime, p.rebinding_time);
  w.Put32(kOptSubnetMask, p.subnet_mask);
  w.Put32(kOptRouter, p.router);
  w.PutBytes(kOptClientId, p.client_id);
  w.PutBytes(kOptHostname, p.hostname);
  if (p.dns_count > 0) {
    uint8_t list[sizeof p.dns];
    size_t n = p.dns_count > 8 ? 8 : p.dns_count;
    for (size_t k = 0; k < n; ++k) Put32(list + 4 * k, p.dns[k]);
    w.Put(kOptDnsServers, list, 4 * n);
  }
  w.PutBytes(kOptDomainName, p.domain);
  w.PutBytes(kOptMessage, p.message);
  w.Put32(kOptRequestedAddress, p.requested_address);
  w.PutBytes(kOptParameterList, p.parameters);
  if (p.max_message_size != 0) {
    uint8_t b[2];
    Put16(b, p.max_message_size);
    w.Put(kOptMaxMessageSize, b, 2);
  }
  size_t len = w.End();
  if (len < kDhcpMinEncodedSize) {
    memset(out + len, 0, kDhcpMinEncodedSize - len);
    len = kDhcpMinEncodedSize;
  }
  return len;
}

}  // namespace runall
