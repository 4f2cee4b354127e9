#include "guest_dns.hpp"

#include <gtest/gtest.h>

#include "validate.hpp"

using namespace runall;

namespace {
uint32_t A(const char* text) {
  uint32_t a = 0;
  EXPECT_TRUE(ParseIPv4(text, &a, nullptr)) << text;
  return a;
}
std::string Show(const GuestDns& d) {
  std::string s;
  for (uint32_t a : d.servers) s += (s.empty() ? "" : " ") + FormatIPv4(a);
  return s;
}
}  // namespace

TEST(GuestDns, SystemdsStubIsNeverOffered) {
  GuestDnsFacts f;
  f.resolv_conf = {A("127.0.0.53")};
  f.host_forwards = true;
  GuestDns d = ChooseGuestDns(f);
  EXPECT_EQ(Show(d), "");
  EXPECT_NE(d.note.find("left out 127.0.0.53 of /etc/resolv.conf"), std::string::npos) << d.note;
  EXPECT_NE(d.note.find("offered no DNS server"), std::string::npos) << d.note;
}

TEST(GuestDns, AResolvConfWithOnlyTheStubIsExplained) {
  GuestDnsFacts f;  // NameserversFromResolvConf dropped 127.0.0.53
  f.host_forwards = true;
  GuestDns d = ChooseGuestDns(f);
  EXPECT_EQ(Show(d), "");
  EXPECT_NE(d.note.find("no resolver but loopback ones"), std::string::npos) << d.note;
  EXPECT_NE(d.note.find("offered no DNS server"), std::string::npos) << d.note;
}

TEST(GuestDns, AHostThatDoesNotForwardOffersOnlyItsOwnAddresses) {
  GuestDnsFacts f;
  f.resolv_conf = {A("10.0.0.1"), A("192.168.1.10"), A("8.8.8.8")};
  f.host_addresses = {A("192.168.1.10"), A("127.0.0.1")};
  GuestDns d = ChooseGuestDns(f);
  EXPECT_EQ(Show(d), "192.168.1.10");
  EXPECT_NE(d.note.find("left out 10.0.0.1 8.8.8.8"), std::string::npos) << d.note;
  EXPECT_NE(d.note.find("ip_forward = 0"), std::string::npos) << d.note;
  EXPECT_EQ(d.note.find("offered no DNS server"), std::string::npos) << d.note;
  f.host_forwards = true;
  d = ChooseGuestDns(f);
  EXPECT_EQ(Show(d), "10.0.0.1 192.168.1.10 8.8.8.8");
  EXPECT_EQ(d.note, "");
}

TEST(GuestDns, TheSettingWinsButNeverOffersLoopback) {
  GuestDnsFacts f;
  f.setting_given = true;
  f.configured = {A("192.0.2.53"), A("127.0.0.1"), A("192.0.2.53")};
  f.resolv_conf = {A("10.0.0.1")};
  GuestDns d = ChooseGuestDns(f);
  EXPECT_EQ(Show(d), "192.0.2.53");
  EXPECT_NE(d.note.find("left out 127.0.0.1 of the dns setting"), std::string::npos) << d.note;
  f.configured.clear();  // nothing usable given: none offered, nothing to say
  d = ChooseGuestDns(f);
  EXPECT_EQ(Show(d), "");
  EXPECT_EQ(d.note, "");
}
