// Fuzz target: whatever bytes arrive on port 67, the parser must refuse
// them or parse them, and a parsed packet must go through the server's
// decision and the encoder without harm. The replies are parsed back, so a
// reply the encoder writes but the parser refuses is a bug found too.
#include <stddef.h>
#include <stdint.h>

#include "dhcp_packet.hpp"
#include "dhcp_server.hpp"

using namespace runall;

namespace {

const DhcpConfig& Config() {
  static const DhcpConfig* cfg = [] {
    DhcpConfig* c = new DhcpConfig;
    c->interface = "tap3";
    c->server = 0xac140301;
    c->client = 0xac140302;
    c->netmask = 0xffffff00;
    c->dns = {0xc0000235, 0xc0000236};
    c->domain = "example.test";
    c->hostname = "guest3";
    return c;
  }();
  return *cfg;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DhcpPacket request;
  if (!ParseDhcpPacket(data, size, &request, nullptr)) return 0;

  static uint8_t out[kDhcpMaxSize];
  DhcpPacket again;
  size_t n = EncodeDhcpPacket(request, out, sizeof out);
  Check(n >= kDhcpMinEncodedSize && n <= sizeof out);
  Check(ParseDhcpPacket(out, n, &again, nullptr));
  Check(again.message_type == request.message_type && again.xid == request.xid);

  // The same packet twice, the second time later: decisions that change
  // state (ACK, DECLINE, RELEASE) meet their own consequences.
  DhcpServer server(Config());
  for (int64_t now : {1000, 1030}) {
    DhcpPacket reply;
    DhcpDecision d = server.Handle(request, now, &reply);
    if (d.outcome != DhcpOutcome::kReply) continue;
    size_t limit = DhcpServer::ReplyLimit(request);
    n = EncodeDhcpPacket(reply, out, limit);
    Check(n >= kDhcpMinEncodedSize && n <= limit);
    DhcpPacket parsed;
    Check(ParseDhcpPacket(out, n, &parsed, nullptr));
    Check(parsed.op == kBootReply && parsed.message_type == reply.message_type);
    Check(parsed.server_id == Config().server);
    Check(d.broadcast || d.destination != 0);
  }
  return 0;
}
