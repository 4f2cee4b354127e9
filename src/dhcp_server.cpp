#include "dhcp_server.hpp"

#include <arpa/inet.h>
#include <string.h>

namespace runall {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

std::vector<uint32_t> NameserversFromResolvConf(const std::string& text) {
  std::vector<uint32_t> servers;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    size_t i = pos;
    pos = eol + 1;
    while (i < eol && IsBlank(text[i])) ++i;
    static const char kKeyword[] = "nameserver";
    const size_t klen = sizeof kKeyword - 1;
    if (eol - i <= klen || text.compare(i, klen, kKeyword) != 0 || !IsBlank(text[i + klen]))
      continue;
    i += klen;
    while (i < eol && IsBlank(text[i])) ++i;
    size_t end = i;
    while (end < eol && !IsBlank(text[end]) && text[end] != '#' && text[end] != ';') ++end;
    std::string word = text.substr(i, end - i);
    struct in_addr a;
    if (word.empty() || inet_pton(AF_INET, word.c_str(), &a) != 1) continue;
    uint32_t addr = ntohl(a.s_addr);
    if ((addr >> 24) == 127 || addr == 0) continue;
    servers.push_back(addr);
  }
  return servers;
}

bool DhcpServer::ClientKey::operator==(const ClientKey& o) const {
  return len == o.len && memcmp(bytes, o.bytes, len) == 0;
}

DhcpServer::ClientKey DhcpServer::KeyOf(const DhcpPacket& p) {
  static_assert(
      sizeof(ClientKey::bytes) >= 1 + sizeof(DhcpBytes::data) && sizeof(ClientKey::bytes) >= 2 + 16,
      "a key holds the longest identifier and hardware address");
  static_assert(sizeof(ClientKey::bytes) <= UINT16_MAX, "len counts them all");
  ClientKey key;
  if (!p.client_id.empty()) {
    key.bytes[0] = 1;
    memcpy(key.bytes + 1, p.client_id.data, p.client_id.len);
    key.len = static_cast<uint16_t>(1 + p.client_id.len);
  } else {
    size_t hlen = p.hlen > 16 ? 16 : p.hlen;
    key.bytes[0] = 2;
    key.bytes[1] = p.htype;
    memcpy(key.bytes + 2, p.chaddr, hlen);
    key.len = static_cast<uint16_t>(2 + hlen);
  }
  return key;
}

DhcpServer::DhcpServer(const DhcpConfig& cfg)
    : server_(cfg.server),
      client_(cfg.client),
      netmask_(cfg.netmask),
      lease_time_(cfg.lease_time ? cfg.lease_time : 120) {
  for (uint32_t a : cfg.dns) {
    if (dns_count_ == 8) break;
    dns_[dns_count_++] = a;
  }
  // ValidDhcpConfig keeps both within one option; Assign refuses otherwise.
  hostname_.Assign(cfg.hostname.data(), cfg.hostname.size());
  domain_.Assign(cfg.domain.data(), cfg.domain.size());
}

size_t DhcpServer::ReplyLimit(const DhcpPacket& request) {
  size_t limit = kDhcpDefaultMaxSize;
  if (request.max_message_size >= 576) {
    size_t offered = request.max_message_size - 28u;  // IP and UDP headers
    if (offered > kDhcpMaxSize) offered = kDhcpMaxSize;
    if (offered > limit) limit = offered;
  }
  return limit;
}

void DhcpServer::StartReply(const DhcpPacket& request, uint8_t type, DhcpPacket* reply) const {
  *reply = DhcpPacket();
  reply->op = kBootReply;
  reply->htype = request.htype;
  reply->hlen = request.hlen;
  reply->xid = request.xid;
  reply->flags = request.flags;
  memcpy(reply->chaddr, request.chaddr, sizeof reply->chaddr);
  reply->message_type = type;
  reply->server_id = server_;
  // RFC 6842: a client that identifies itself must see its identifier in
  // the reply, or it may take the reply for someone else's.
  reply->client_id = request.client_id;
}

void DhcpServer::AddConfiguration(const DhcpPacket& request, DhcpPacket* reply) const {
  // The mask, router and hostname are what the guest cannot work without,
  // so they go whatever the client asked for; the rest follows its
  // parameter request list, or goes in full when it sent none.
  reply->subnet_mask = netmask_;
  reply->router = server_;
  reply->hostname = hostname_;
  bool all = request.parameters.empty();
  if (all || request.Requests(kOptDnsServers)) {
    reply->dns_count = dns_count_;
    memcpy(reply->dns, dns_, sizeof dns_);
  }
  if (all || request.Requests(kOptDomainName)) reply->domain = domain_;
}

DhcpDecision DhcpServer::Nak(const DhcpPacket& request, const char* reason,
                             DhcpPacket* reply) const {
  StartReply(request, kDhcpNak, reply);
  reply->message.Assign(reason, strlen(reason));
  DhcpDecision d;
  d.outcome = DhcpOutcome::kReply;
  // RFC 2131 4.3.2: the client may have no usable address, so a NAK is
  // always broadcast.
  d.broadcast = true;
  d.reason = reason;
  return d;
}

DhcpDecision DhcpServer::Send(const DhcpPacket& request) const {
  DhcpDecision d;
  d.outcome = DhcpOutcome::kReply;
  // RFC 2131 4.1: a client that has an address and did not ask for
  // broadcast gets its answer there; one without an address gets a
  // broadcast (instead of a unicast to an address it does not have yet,
  // which would need an ARP entry forged by hand).
  if (request.ciaddr != 0 && !request.Broadcast()) {
    d.destination = request.ciaddr;
  } else {
    d.broadcast = true;
  }
  return d;
}

DhcpDecision DhcpServer::Handle(const DhcpPacket& request, int64_t now, DhcpPacket* reply) {
  DhcpDecision ignore;
  ignore.outcome = DhcpOutcome::kIgnored;
  if (request.op != kBootRequest) {
    ignore.reason = "not a client request";
    return ignore;
  }
  if (request.giaddr != 0) {
    // We serve our own link only; a relayed request is for another subnet.
    ignore.reason = "relayed (giaddr set): this server is on-link only";
    return ignore;
  }
  ClientKey key = KeyOf(request);
  bool other_holder = LeaseHeld(now) && !(holder_ == key);

  switch (request.message_type) {
    case kDhcpDiscover: {
      if (Declined(now)) {
        ignore.reason = "address declined recently, not offered";
        return ignore;
      }
      StartReply(request, kDhcpOffer, reply);
      reply->yiaddr = client_;
      reply->lease_time = lease_time_;
      reply->renewal_time = lease_time_ / 2;
      reply->rebinding_time = static_cast<uint32_t>(uint64_t{lease_time_} * 7 / 8);
      AddConfiguration(request, reply);
      DhcpDecision d = Send(request);
      d.took_over = other_holder;
      return d;
    }

    case kDhcpRequest: {
      if (request.server_id != 0 && request.server_id != server_) {
        // SELECTING state, and the client took another server's offer.
        ignore.reason = "client chose another server";
        return ignore;
      }
      // SELECTING and INIT-REBOOT name the address in option 50, RENEWING
      // and REBINDING in ciaddr (RFC 2131 4.3.2). A client that gives both
      // must give the same one.
      uint32_t wanted = request.requested_address ? request.requested_address : request.ciaddr;
      if (request.requested_address != 0 && request.ciaddr != 0 &&
          request.requested_address != request.ciaddr)
        return Nak(request, "requested address differs from ciaddr", reply);
      if (wanted == 0) return Nak(request, "no address requested", reply);
      // RFC 2131 4.3.2 has a server with no record of an INIT-REBOOT
      // client stay silent, for servers sharing a wire. This one is alone
      // on a point-to-point link with one address to give: a guest asking
      // for anything else (a lease from another host network) is wrong for
      // sure, and a NAK sends it to DISCOVER at once instead of after its
      // retries time out.
      if (wanted != client_) return Nak(request, "address not valid on this interface", reply);
      if (Declined(now)) return Nak(request, "address declined recently", reply);
      StartReply(request, kDhcpAck, reply);
      reply->ciaddr = request.ciaddr;
      reply->yiaddr = client_;
      reply->lease_time = lease_time_;
      reply->renewal_time = lease_time_ / 2;
      reply->rebinding_time = static_cast<uint32_t>(uint64_t{lease_time_} * 7 / 8);
      AddConfiguration(request, reply);
      leased_ = true;
      holder_ = key;
      lease_expires_ = now + lease_time_;
      DhcpDecision d = Send(request);
      d.took_over = other_holder;
      return d;
    }

    case kDhcpDecline: {
      if (request.server_id != 0 && request.server_id != server_) {
        ignore.reason = "declines another server's address";
        return ignore;
      }
      if (request.requested_address != client_) {
        ignore.reason = "declines an address this server does not give";
        return ignore;
      }
      leased_ = false;
      declined_until_ = now + kDhcpDeclineHoldSeconds;
      DhcpDecision d;
      d.outcome = DhcpOutcome::kDeclined;
      d.reason = "address in use by another host on the link";
      return d;
    }

    case kDhcpRelease: {
      if (request.server_id != 0 && request.server_id != server_) {
        ignore.reason = "releases another server's lease";
        return ignore;
      }
      if (request.ciaddr != client_) {
        ignore.reason = "releases an address this server does not give";
        return ignore;
      }
      if (!LeaseHeld(now)) {
        ignore.reason = "no lease to release";
        return ignore;
      }
      if (!(holder_ == key)) {
        ignore.reason = "releases another client's lease";
        return ignore;
      }
      leased_ = false;
      DhcpDecision d;
      d.outcome = DhcpOutcome::kReleased;
      return d;
    }

    case kDhcpInform: {
      // RFC 2131 4.3.5: configuration only - no address, no lease.
      StartReply(request, kDhcpAck, reply);
      reply->ciaddr = request.ciaddr;
      AddConfiguration(request, reply);
      // The hostname belongs to the guest at our address, not to whoever
      // configured another address by hand.
      if (request.ciaddr != client_) reply->hostname = DhcpBytes();
      return Send(request);
    }

    default: ignore.reason = "a server's message: another DHCP server on the link?"; return ignore;
  }
}

}  // namespace runall
