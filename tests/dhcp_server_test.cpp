#include "dhcp_server.hpp"

#include <gtest/gtest.h>
#include <string.h>

#include <string>

#include "dhcp_config.hpp"
#include "dhcp_packet.hpp"

using namespace runall;

namespace {

constexpr uint32_t kServer = 0xac140301;  // 172.20.3.1
constexpr uint32_t kClient = 0xac140302;  // 172.20.3.2
constexpr uint32_t kOther = 0xac140307;   // 172.20.3.7
constexpr uint32_t kDns1 = 0xc0000235;    // 192.0.2.53
constexpr uint32_t kDns2 = 0xc0000236;

DhcpConfig Config() {
  DhcpConfig cfg;
  cfg.interface = "tap3";
  cfg.server = kServer;
  cfg.client = kClient;
  cfg.netmask = 0xffffff00;
  cfg.dns = {kDns1, kDns2};
  cfg.domain = "example.test";
  cfg.hostname = "guest3";
  cfg.lease_time = 120;
  return cfg;
}

DhcpPacket Request(uint8_t type, uint8_t mac_last = 0x01) {
  DhcpPacket p;
  p.op = kBootRequest;
  p.htype = kHtypeEthernet;
  p.hlen = 6;
  p.xid = 0x1000 + type;
  const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, mac_last};
  memcpy(p.chaddr, mac, 6);
  p.message_type = type;
  return p;
}

DhcpPacket Selecting(uint8_t mac_last = 0x01) {
  DhcpPacket p = Request(kDhcpRequest, mac_last);
  p.server_id = kServer;
  p.requested_address = kClient;
  return p;
}

DhcpPacket Renewing(uint8_t mac_last = 0x01) {
  DhcpPacket p = Request(kDhcpRequest, mac_last);
  p.ciaddr = kClient;
  return p;
}

std::string Str(const DhcpBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data), b.len);
}

class DhcpServerTest : public ::testing::Test {
 protected:
  DhcpServerTest() : server(Config()) {}
  DhcpDecision Handle(const DhcpPacket& p, int64_t now = 1000) {
    reply = DhcpPacket();
    return server.Handle(p, now, &reply);
  }
  void ExpectLeaseOptions() {
    EXPECT_EQ(reply.lease_time, 120u);
    EXPECT_EQ(reply.renewal_time, 60u);     // T1 = lease / 2
    EXPECT_EQ(reply.rebinding_time, 105u);  // T2 = lease * 7 / 8
  }
  DhcpServer server;
  DhcpPacket reply;
};

}  // namespace

TEST_F(DhcpServerTest, OffersTheAddressWithEverythingTheGuestNeeds) {
  DhcpPacket d = Request(kDhcpDiscover);
  DhcpDecision r = Handle(d);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_TRUE(r.broadcast);  // the client has no address yet
  EXPECT_FALSE(r.took_over);
  EXPECT_EQ(reply.op, kBootReply);
  EXPECT_EQ(reply.message_type, kDhcpOffer);
  EXPECT_EQ(reply.xid, d.xid);
  EXPECT_EQ(memcmp(reply.chaddr, d.chaddr, 16), 0);
  EXPECT_EQ(reply.yiaddr, kClient);
  EXPECT_EQ(reply.ciaddr, 0u);
  EXPECT_EQ(reply.giaddr, 0u);
  EXPECT_EQ(reply.server_id, kServer);
  ExpectLeaseOptions();
  EXPECT_EQ(reply.subnet_mask, 0xffffff00u);
  EXPECT_EQ(reply.router, kServer);
  EXPECT_EQ(Str(reply.hostname), "guest3");
  ASSERT_EQ(reply.dns_count, 2);  // no request list: everything
  EXPECT_EQ(reply.dns[0], kDns1);
  EXPECT_EQ(reply.dns[1], kDns2);
  EXPECT_EQ(Str(reply.domain), "example.test");
  EXPECT_TRUE(reply.client_id.empty());
  EXPECT_FALSE(server.LeaseHeld(1000));  // an offer is not a lease
}

TEST_F(DhcpServerTest, OfferSurvivesTheWire) {
  DhcpPacket d = Request(kDhcpDiscover);
  ASSERT_EQ(Handle(d).outcome, DhcpOutcome::kReply);
  uint8_t buf[kDhcpMaxSize];
  size_t n = EncodeDhcpPacket(reply, buf, DhcpServer::ReplyLimit(d));
  ASSERT_GE(n, kDhcpMinEncodedSize);
  ASSERT_LE(n, kDhcpDefaultMaxSize);
  DhcpPacket out;
  ASSERT_TRUE(ParseDhcpPacket(buf, n, &out, nullptr));
  EXPECT_EQ(out.message_type, kDhcpOffer);
  EXPECT_EQ(out.yiaddr, kClient);
  EXPECT_EQ(out.lease_time, 120u);
  EXPECT_EQ(Str(out.hostname), "guest3");
}

TEST_F(DhcpServerTest, HonoursTheRequestListButAlwaysSendsTheEssentials) {
  DhcpPacket d = Request(kDhcpDiscover);
  d.parameters.Assign("\x01\x03", 2);  // mask and router only
  ASSERT_EQ(Handle(d).outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.dns_count, 0);
  EXPECT_TRUE(reply.domain.empty());
  EXPECT_EQ(reply.subnet_mask, 0xffffff00u);
  EXPECT_EQ(reply.router, kServer);
  EXPECT_EQ(reply.server_id, kServer);
  EXPECT_EQ(reply.lease_time, 120u);
  EXPECT_EQ(Str(reply.hostname), "guest3");  // the guest learns its name here

  d.parameters.Assign("\x06", 1);
  ASSERT_EQ(Handle(d).outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.dns_count, 2);
  EXPECT_TRUE(reply.domain.empty());
  EXPECT_EQ(reply.subnet_mask, 0xffffff00u);

  d.parameters.Assign("\x0f\x06", 2);
  ASSERT_EQ(Handle(d).outcome, DhcpOutcome::kReply);
  EXPECT_EQ(Str(reply.domain), "example.test");
}

TEST(DhcpServer, SendsNoHostnameDnsOrDomainWhenNoneIsConfigured) {
  DhcpConfig cfg = Config();
  cfg.hostname.clear();
  cfg.domain.clear();
  cfg.dns.clear();
  DhcpServer server(cfg);
  DhcpPacket reply;
  ASSERT_EQ(server.Handle(Request(kDhcpDiscover), 0, &reply).outcome, DhcpOutcome::kReply);
  EXPECT_TRUE(reply.hostname.empty());
  EXPECT_TRUE(reply.domain.empty());
  EXPECT_EQ(reply.dns_count, 0);
}

TEST(DhcpServer, SendsAtMostEightDnsServers) {
  DhcpConfig cfg = Config();
  cfg.dns.assign(12, kDns1);
  DhcpServer server(cfg);
  DhcpPacket reply;
  server.Handle(Request(kDhcpDiscover), 0, &reply);
  EXPECT_EQ(reply.dns_count, 8);
}

TEST_F(DhcpServerTest, EchoesTheClientIdentifier) {
  const char id[] = "\x01\x52\x54\x00\x12\x34\x01";
  DhcpPacket d = Request(kDhcpDiscover);
  d.client_id.Assign(id, 7);
  Handle(d);
  EXPECT_EQ(reply.client_id.len, 7);
  EXPECT_EQ(memcmp(reply.client_id.data, id, 7), 0);
  DhcpPacket s = Selecting();
  s.client_id.Assign(id, 7);
  Handle(s);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  EXPECT_EQ(reply.client_id.len, 7);
  s.requested_address = kOther;
  Handle(s);
  EXPECT_EQ(reply.message_type, kDhcpNak);
  EXPECT_EQ(reply.client_id.len, 7);
}

TEST_F(DhcpServerTest, AcksARequestForItsOffer) {
  DhcpDecision r = Handle(Selecting(), 1000);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_TRUE(r.broadcast);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  EXPECT_EQ(reply.yiaddr, kClient);
  EXPECT_EQ(reply.server_id, kServer);
  ExpectLeaseOptions();
  EXPECT_EQ(Str(reply.hostname), "guest3");
  EXPECT_TRUE(server.LeaseHeld(1000));
  EXPECT_TRUE(server.LeaseHeld(1119));
  EXPECT_FALSE(server.LeaseHeld(1120));
}

TEST_F(DhcpServerTest, StaysSilentWhenTheClientChoseAnotherServer) {
  DhcpPacket s = Selecting();
  s.server_id = 0xc0a80101;
  DhcpDecision r = Handle(s);
  EXPECT_EQ(r.outcome, DhcpOutcome::kIgnored);
  EXPECT_NE(std::string(r.reason).find("another server"), std::string::npos);
  EXPECT_FALSE(server.LeaseHeld(1000));
}

TEST_F(DhcpServerTest, NaksARequestForAnotherAddress) {
  DhcpPacket s = Selecting();
  s.requested_address = kOther;
  DhcpDecision r = Handle(s);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_TRUE(r.broadcast);
  EXPECT_EQ(reply.message_type, kDhcpNak);
  EXPECT_EQ(reply.yiaddr, 0u);
  EXPECT_EQ(reply.ciaddr, 0u);
  EXPECT_EQ(reply.server_id, kServer);
  EXPECT_EQ(reply.lease_time, 0u);
  EXPECT_EQ(reply.subnet_mask, 0u);
  EXPECT_TRUE(reply.hostname.empty());
  EXPECT_FALSE(reply.message.empty());
  EXPECT_FALSE(server.LeaseHeld(1000));
}

TEST_F(DhcpServerTest, InitRebootAcksTheRightAddressAndNaksAnyOther) {
  DhcpPacket p = Request(kDhcpRequest);  // no server id, no ciaddr
  p.requested_address = kClient;
  ASSERT_EQ(Handle(p).outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  p.requested_address = 0x0a000005;  // moved from another network
  DhcpDecision r = Handle(p);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.message_type, kDhcpNak);
  EXPECT_TRUE(r.broadcast);
}

TEST_F(DhcpServerTest, RenewingGetsAUnicastAck) {
  DhcpDecision r = Handle(Renewing(), 1000);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_FALSE(r.broadcast);
  EXPECT_EQ(r.destination, kClient);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  EXPECT_EQ(reply.ciaddr, kClient);
  EXPECT_EQ(reply.yiaddr, kClient);
  ExpectLeaseOptions();
  EXPECT_TRUE(server.LeaseHeld(1100));
}

TEST_F(DhcpServerTest, BroadcastFlagWinsOverUnicast) {
  DhcpPacket p = Renewing();
  p.flags = kDhcpBroadcastFlag;
  DhcpDecision r = Handle(p);
  EXPECT_TRUE(r.broadcast);
  EXPECT_EQ(reply.flags, kDhcpBroadcastFlag);
}

TEST_F(DhcpServerTest, RebindingWithAnotherAddressIsNaked) {
  DhcpPacket p = Renewing();
  p.ciaddr = kOther;
  DhcpDecision r = Handle(p);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.message_type, kDhcpNak);
  EXPECT_TRUE(r.broadcast);
}

TEST_F(DhcpServerTest, NaksARequestWithNoAddressOrTwoDifferentOnes) {
  Handle(Request(kDhcpRequest));
  EXPECT_EQ(reply.message_type, kDhcpNak);
  DhcpPacket p = Renewing();
  p.requested_address = kOther;
  Handle(p);
  EXPECT_EQ(reply.message_type, kDhcpNak);
  p.requested_address = kClient;  // the same twice is fine
  Handle(p);
  EXPECT_EQ(reply.message_type, kDhcpAck);
}

TEST_F(DhcpServerTest, InformGetsConfigurationWithoutALease) {
  DhcpPacket p = Request(kDhcpInform);
  p.ciaddr = kClient;
  DhcpDecision r = Handle(p);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_FALSE(r.broadcast);
  EXPECT_EQ(r.destination, kClient);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  EXPECT_EQ(reply.yiaddr, 0u);
  EXPECT_EQ(reply.ciaddr, kClient);
  EXPECT_EQ(reply.lease_time, 0u);
  EXPECT_EQ(reply.renewal_time, 0u);
  EXPECT_EQ(reply.rebinding_time, 0u);
  EXPECT_EQ(reply.server_id, kServer);
  EXPECT_EQ(reply.router, kServer);
  EXPECT_EQ(reply.dns_count, 2);
  EXPECT_EQ(Str(reply.hostname), "guest3");
  EXPECT_FALSE(server.LeaseHeld(1000));

  p.ciaddr = kOther;  // a hand-configured neighbour is not the guest
  r = Handle(p);
  EXPECT_EQ(r.destination, kOther);
  EXPECT_TRUE(reply.hostname.empty());
  EXPECT_EQ(reply.router, kServer);
}

TEST_F(DhcpServerTest, DeclineHoldsTheAddressBackForAWhile) {
  Handle(Selecting(), 1000);
  ASSERT_TRUE(server.LeaseHeld(1000));
  DhcpPacket d = Request(kDhcpDecline);
  d.server_id = kServer;
  d.requested_address = kClient;
  DhcpDecision r = Handle(d, 1001);
  EXPECT_EQ(r.outcome, DhcpOutcome::kDeclined);
  EXPECT_FALSE(server.LeaseHeld(1001));
  EXPECT_TRUE(server.Declined(1001));
  EXPECT_EQ(Handle(Request(kDhcpDiscover), 1002).outcome, DhcpOutcome::kIgnored);
  ASSERT_EQ(Handle(Selecting(), 1003).outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.message_type, kDhcpNak);
  int64_t later = 1001 + kDhcpDeclineHoldSeconds;
  EXPECT_FALSE(server.Declined(later));
  ASSERT_EQ(Handle(Request(kDhcpDiscover), later).outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.message_type, kDhcpOffer);
}

TEST_F(DhcpServerTest, IgnoresADeclineOfSomethingElse) {
  DhcpPacket d = Request(kDhcpDecline);
  d.requested_address = kOther;
  EXPECT_EQ(Handle(d).outcome, DhcpOutcome::kIgnored);
  d.requested_address = kClient;
  d.server_id = 0xc0a80101;
  EXPECT_EQ(Handle(d).outcome, DhcpOutcome::kIgnored);
  EXPECT_FALSE(server.Declined(1000));
}

TEST_F(DhcpServerTest, ReleaseForgetsTheLeaseOfItsHolderOnly) {
  Handle(Selecting(0x01), 1000);
  DhcpPacket rel = Request(kDhcpRelease, 0x02);  // not the holder
  rel.ciaddr = kClient;
  rel.server_id = kServer;
  EXPECT_EQ(Handle(rel, 1001).outcome, DhcpOutcome::kIgnored);
  EXPECT_TRUE(server.LeaseHeld(1001));
  DhcpPacket wrong = Request(kDhcpRelease, 0x01);
  wrong.ciaddr = kOther;
  EXPECT_EQ(Handle(wrong, 1001).outcome, DhcpOutcome::kIgnored);
  rel = Request(kDhcpRelease, 0x01);
  rel.ciaddr = kClient;
  EXPECT_EQ(Handle(rel, 1002).outcome, DhcpOutcome::kReleased);
  EXPECT_FALSE(server.LeaseHeld(1002));
  EXPECT_EQ(Handle(rel, 1003).outcome, DhcpOutcome::kIgnored);  // nothing left
}

TEST_F(DhcpServerTest, DropsRelayedPacketsOfEveryKind) {
  for (uint8_t t : {kDhcpDiscover, kDhcpRequest, kDhcpInform, kDhcpRelease, kDhcpDecline}) {
    DhcpPacket p = Request(t);
    p.giaddr = 0x0a000001;
    p.requested_address = kClient;
    p.ciaddr = kClient;
    DhcpDecision r = Handle(p);
    EXPECT_EQ(r.outcome, DhcpOutcome::kIgnored) << int(t);
    EXPECT_NE(std::string(r.reason).find("relayed"), std::string::npos);
  }
  EXPECT_FALSE(server.LeaseHeld(1000));
}

TEST_F(DhcpServerTest, IgnoresRepliesAndServerMessages) {
  DhcpPacket reply_op = Request(kDhcpDiscover);
  reply_op.op = kBootReply;
  EXPECT_EQ(Handle(reply_op).outcome, DhcpOutcome::kIgnored);
  for (uint8_t t : {kDhcpOffer, kDhcpAck, kDhcpNak})
    EXPECT_EQ(Handle(Request(t)).outcome, DhcpOutcome::kIgnored) << int(t);
}

TEST_F(DhcpServerTest, ANewClientGetsTheAddressWhileAnotherLeaseRuns) {
  // The guest rebooted with another MAC: it must not wait out the lease.
  Handle(Selecting(0x01), 1000);
  DhcpDecision r = Handle(Request(kDhcpDiscover, 0x02), 1010);
  ASSERT_EQ(r.outcome, DhcpOutcome::kReply);
  EXPECT_EQ(reply.message_type, kDhcpOffer);
  EXPECT_EQ(reply.yiaddr, kClient);
  EXPECT_TRUE(r.took_over);
  r = Handle(Selecting(0x02), 1011);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  EXPECT_TRUE(r.took_over);
  // Now the second client holds it: its renewal is no takeover.
  r = Handle(Renewing(0x02), 1050);
  EXPECT_EQ(reply.message_type, kDhcpAck);
  EXPECT_FALSE(r.took_over);
}

TEST_F(DhcpServerTest, NoTakeoverOnceTheLeaseHasRunOut) {
  Handle(Selecting(0x01), 1000);
  DhcpDecision r = Handle(Request(kDhcpDiscover, 0x02), 1000 + 120);
  EXPECT_EQ(reply.message_type, kDhcpOffer);
  EXPECT_FALSE(r.took_over);
}

TEST_F(DhcpServerTest, TheClientIdentifierNamesTheClientRatherThanItsMac) {
  DhcpPacket a = Selecting(0x01);
  a.client_id.Assign("\xff\x00\x00\x00\x01", 5);
  Handle(a, 1000);
  DhcpPacket b = Request(kDhcpDiscover, 0x02);  // new NIC, same identity
  b.client_id = a.client_id;
  EXPECT_FALSE(Handle(b, 1001).took_over);
  DhcpPacket c = Request(kDhcpDiscover, 0x01);  // same NIC, new identity
  c.client_id.Assign("\xff\x00\x00\x00\x02", 5);
  EXPECT_TRUE(Handle(c, 1001).took_over);
}

TEST_F(DhcpServerTest, TwoLongestClientIdentifiersAreTwoClients) {
  // 255 bytes is the most option 61 can hold; with the key's type byte the
  // key is 256 bytes long, one more than a byte can count.
  std::string id_a(255, 'a'), id_b(255, 'b');
  DhcpPacket a = Selecting(0x01);
  a.client_id.Assign(id_a.data(), id_a.size());
  ASSERT_EQ(Handle(a, 1000).outcome, DhcpOutcome::kReply);
  ASSERT_EQ(reply.message_type, kDhcpAck);
  // The same identifier from another NIC is the same client...
  DhcpPacket same = Request(kDhcpDiscover, 0x02);
  same.client_id = a.client_id;
  EXPECT_FALSE(Handle(same, 1001).took_over);
  // ...a different one of the same length is another client, ...
  DhcpPacket b = Request(kDhcpDiscover, 0x01);
  b.client_id.Assign(id_b.data(), id_b.size());
  EXPECT_TRUE(Handle(b, 1001).took_over);
  // ...whose RELEASE does not free the first client's lease.
  DhcpPacket rel = Request(kDhcpRelease, 0x01);
  rel.client_id = b.client_id;
  rel.ciaddr = kClient;
  rel.server_id = kServer;
  EXPECT_EQ(Handle(rel, 1002).outcome, DhcpOutcome::kIgnored);
  EXPECT_TRUE(server.LeaseHeld(1002));
  // Identifiers that differ only in their last byte differ too.
  std::string id_c = id_a;
  id_c.back() = 'c';
  rel.client_id.Assign(id_c.data(), id_c.size());
  EXPECT_EQ(Handle(rel, 1003).outcome, DhcpOutcome::kIgnored);
  EXPECT_TRUE(server.LeaseHeld(1003));
  // The holder's own RELEASE frees it.
  rel.client_id = a.client_id;
  EXPECT_EQ(Handle(rel, 1004).outcome, DhcpOutcome::kReleased);
  EXPECT_FALSE(server.LeaseHeld(1004));
}

TEST(DhcpServer, ReplyLimitFollowsTheMaximumMessageSizeOption) {
  DhcpPacket p = Request(kDhcpDiscover);
  EXPECT_EQ(DhcpServer::ReplyLimit(p), kDhcpDefaultMaxSize);
  p.max_message_size = 100;  // below the legal minimum: ignored
  EXPECT_EQ(DhcpServer::ReplyLimit(p), kDhcpDefaultMaxSize);
  p.max_message_size = 576;
  EXPECT_EQ(DhcpServer::ReplyLimit(p), kDhcpDefaultMaxSize);
  p.max_message_size = 1000;
  EXPECT_EQ(DhcpServer::ReplyLimit(p), 972u);
  p.max_message_size = 1500;
  EXPECT_EQ(DhcpServer::ReplyLimit(p), kDhcpMaxSize);
  p.max_message_size = 65535;
  EXPECT_EQ(DhcpServer::ReplyLimit(p), kDhcpMaxSize);
}

TEST(DhcpServer, AReplyToAHugeClientIdentifierStillFitsAndKeepsTheEssentials) {
  DhcpConfig cfg = Config();
  cfg.hostname = std::string(63, 'h');
  cfg.domain = std::string(63, 'd') + "." + std::string(63, 'e') + "." + std::string(63, 'f');
  DhcpServer server(cfg);
  DhcpPacket d = Request(kDhcpDiscover);
  std::string id(255, 'i');
  d.client_id.Assign(id.data(), id.size());
  DhcpPacket reply;
  ASSERT_EQ(server.Handle(d, 0, &reply).outcome, DhcpOutcome::kReply);
  uint8_t buf[kDhcpMaxSize];
  size_t n = EncodeDhcpPacket(reply, buf, DhcpServer::ReplyLimit(d));
  EXPECT_LE(n, kDhcpDefaultMaxSize);
  DhcpPacket out;
  ASSERT_TRUE(ParseDhcpPacket(buf, n, &out, nullptr));
  EXPECT_EQ(out.message_type, kDhcpOffer);
  EXPECT_EQ(out.server_id, kServer);
  EXPECT_EQ(out.lease_time, 120u);
  EXPECT_EQ(out.subnet_mask, 0xffffff00u);
  EXPECT_EQ(out.router, kServer);
  EXPECT_EQ(out.client_id.len, 255);
}

TEST(NameserversFromResolvConf, TakesIPv4NameserverLinesOnly) {
  const char text[] =
      "# generated\n"
      "search example.test\n"
      "nameserver 192.0.2.53\n"
      "  nameserver\t198.51.100.1  # the second\n"
      "nameserver 2001:db8::1\n"
      "nameserver 127.0.0.53\n"
      "nameserver 10.1.2\n"
      "nameserver 10.1.2.300\n"
      "nameservers 10.9.9.9\n"
      "nameserver\n"
      "options edns0\n"
      "; nameserver 10.8.8.8\n"
      "nameserver 203.0.113.7;comment\n"
      "nameserver 203.0.113.8\r\n"
      "nameserver 203.0.113.9";
  std::vector<uint32_t> ns = NameserversFromResolvConf(text);
  std::vector<uint32_t> want = {0xc0000235, 0xc6336401, 0xcb007107, 0xcb007108, 0xcb007109};
  EXPECT_EQ(ns, want);
  EXPECT_TRUE(NameserversFromResolvConf("").empty());
  EXPECT_TRUE(NameserversFromResolvConf("nameserver 127.0.0.1\n").empty());
}
