#include "start_tun.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {

bool Parse(std::vector<std::string> args, StartTunArgs* out, std::string* err = nullptr) {
  std::string ignored;
  return ParseStartTunArgs(args, out, err ? err : &ignored);
}

}  // namespace

TEST(ParseStartTunArgs, TheQemuIfupCall) {
  StartTunArgs a;
  ASSERT_TRUE(Parse({"tap5"}, &a));
  EXPECT_EQ(StartTunMode::kConfigure, a.mode);
  EXPECT_EQ(std::vector<std::string>{"tap5"}, a.interfaces);
  EXPECT_EQ(std::vector<unsigned>{5}, a.numbers);
  EXPECT_EQ("", a.settings_path);
  ASSERT_TRUE(Parse({"-C", "/tmp/x.conf", "tun255"}, &a));
  EXPECT_EQ("/tmp/x.conf", a.settings_path);
  EXPECT_EQ(std::vector<unsigned>{255}, a.numbers);
}

TEST(ParseStartTunArgs, RefusesHostileAndOutOfPlanNames) {
  StartTunArgs a;
  std::string err;
  for (const char* bad :
       {"tap05", "tap", "eth0", "tap5 ", " tap5", "tap-1", "tap+1", "tap5x", "tap1.2",
        "tap5;reboot", "../tap5", "tap5/..", "TAP5", "tap0x10", "tap123456789012", ""}) {
    EXPECT_FALSE(Parse({bad}, &a, &err)) << bad;
  }
  EXPECT_FALSE(Parse({"tap256"}, &a, &err));
  EXPECT_NE(std::string::npos, err.find("address plan")) << err;
  EXPECT_TRUE(Parse({"tap0"}, &a));
}

TEST(ParseStartTunArgs, Usage) {
  StartTunArgs a;
  EXPECT_FALSE(Parse({}, &a));
  EXPECT_FALSE(Parse({"tap1", "tap2"}, &a));
  EXPECT_FALSE(Parse({"-x", "tap1"}, &a));
  EXPECT_FALSE(Parse({"-C"}, &a));
  EXPECT_FALSE(Parse({"-C", "relative.conf", "tap1"}, &a));
  EXPECT_FALSE(Parse({"-C", "/a", "-C", "/b", "tap1"}, &a));
  EXPECT_FALSE(Parse({"-c", "-k", "tap1"}, &a));
  EXPECT_FALSE(Parse({"-n", "2"}, &a));
  ASSERT_TRUE(Parse({"tap1", "--help"}, &a));
  EXPECT_EQ(StartTunMode::kHelp, a.mode);
  EXPECT_NE(std::string::npos, StartTunUsage().find("usage:"));
}

TEST(ParseStartTunArgs, CreateAndStop) {
  StartTunArgs a;
  std::string err;
  ASSERT_TRUE(Parse({"-c", "tap1", "tap2"}, &a));
  EXPECT_EQ(StartTunMode::kCreate, a.mode);
  EXPECT_EQ((std::vector<std::string>{"tap1", "tap2"}), a.interfaces);
  ASSERT_TRUE(Parse({"-c", "-n", "3"}, &a));
  EXPECT_EQ(3u, a.count);
  EXPECT_TRUE(a.interfaces.empty());
  EXPECT_FALSE(Parse({"-c", "-n", "0"}, &a));
  EXPECT_FALSE(Parse({"-c", "-n", "257"}, &a));
  EXPECT_FALSE(Parse({"-c", "-n", "2", "tap1"}, &a));
  EXPECT_FALSE(Parse({"-c"}, &a));
  EXPECT_FALSE(Parse({"-c", "tun1"}, &a, &err));
  EXPECT_NE(std::string::npos, err.find("tapN")) << err;
  EXPECT_FALSE(Parse({"-c", "tap1", "tap1"}, &a));
  ASSERT_TRUE(Parse({"-k", "tap1", "tun2"}, &a));
  EXPECT_EQ(StartTunMode::kStop, a.mode);
  EXPECT_EQ((std::vector<unsigned>{1, 2}), a.numbers);
  EXPECT_FALSE(Parse({"-k"}, &a));
  EXPECT_FALSE(Parse({"-k", "tap07"}, &a));
}

TEST(ParseDnsList, TakesTheValidAddresses) {
  EXPECT_EQ((std::vector<uint32_t>{0x01010101, 0x08080404}), ParseDnsList(" 1.1.1.1\t8.8.4.4 "));
  EXPECT_TRUE(ParseDnsList("").empty());
}

TEST(CreatedMark, RoundTripsAndRefusesJunk) {
  EXPECT_EQ("/run/runall/net-9/tap3.created", CreatedMarkPath("/run/runall/net-9", "tap3"));
  unsigned index = 0;
  uid_t owner = 0;
  ASSERT_TRUE(ParseCreatedMark(FormatCreatedMark(17, 1000), &index, &owner));
  EXPECT_EQ(17u, index);
  EXPECT_EQ(1000u, owner);
  EXPECT_FALSE(ParseCreatedMark("", &index, &owner));
  EXPECT_FALSE(ParseCreatedMark("ifindex 0 owner 1\n", &index, &owner));
  EXPECT_FALSE(ParseCreatedMark("ifindex 3 owner 1 more\n", &index, &owner));
  EXPECT_FALSE(ParseCreatedMark("owner 1 ifindex 3\n", &index, &owner));
}

namespace {

// alice's tap3, made by -c: what a sudo run may act on.
TapFacts AlicesTap() {
  TapFacts f;
  f.exists = f.tun_tap = f.tap_mode = true;
  f.owner = 61001;
  f.ifindex = 7;
  f.marked = true;
  f.mark_ifindex = 7;
  f.mark_owner = 61001;
  return f;
}

std::string Refusal(const TapFacts& f, bool missing_ok = false) {
  std::string why;
  EXPECT_FALSE(SudoMayActOn(f, 61001, missing_ok, &why));
  return why;
}

}  // namespace

TEST(SudoMayActOn, OnlyTheUsersOwnTapMadeByC) {
  std::string why;
  EXPECT_TRUE(SudoMayActOn(AlicesTap(), 61001, false, &why));
  EXPECT_TRUE(SudoMayActOn(AlicesTap(), 61001, true, &why));
  EXPECT_EQ("owned by uid 61001, not by uid 61002", [] {
    std::string w;
    SudoMayActOn(AlicesTap(), 61002, false, &w);
    return w;
  }());
}

TEST(SudoMayActOn, SaysWhyAnythingElseIsRefused) {
  TapFacts veth = AlicesTap();  // a veth or a bridge named tapN
  veth.tun_tap = veth.tap_mode = false;
  veth.owner = -1;
  EXPECT_EQ("not a tap (not a TUN/TAP device at all)", Refusal(veth));
  TapFacts tun = AlicesTap();  // a VPN's tun0
  tun.tap_mode = false;
  EXPECT_EQ("a TUN device in tun mode, not a tap", Refusal(tun));
  TapFacts unowned = AlicesTap();
  unowned.owner = -1;
  EXPECT_EQ("a tap without an owner, which only root may use", Refusal(unowned));
  TapFacts bobs = AlicesTap();
  bobs.owner = 61002;
  EXPECT_EQ("owned by uid 61002, not by uid 61001", Refusal(bobs));
  TapFacts unmarked = AlicesTap();  // `ip tuntap add ... user alice`
  unmarked.marked = false;
  EXPECT_EQ("not made by start-tun-interface -c in this network namespace", Refusal(unmarked));
  TapFacts remade = AlicesTap();  // the marked tap is gone, this is another
  remade.ifindex = 8;
  EXPECT_NE(std::string::npos, Refusal(remade).find("another tap or user"));
  TapFacts theirs_marked = AlicesTap();
  theirs_marked.mark_owner = 61002;
  EXPECT_NE(std::string::npos, Refusal(theirs_marked).find("another tap or user"));
}

TEST(SudoMayActOn, AMissingNameOnlyWithTheUsersOwnMark) {
  TapFacts gone = AlicesTap();
  gone.exists = gone.tun_tap = gone.tap_mode = false;
  gone.owner = -1;
  gone.ifindex = 0;
  std::string why;
  // -k cleans up alice's server and mark; configuring it is refused.
  EXPECT_TRUE(SudoMayActOn(gone, 61001, true, &why));
  EXPECT_EQ("no such interface in this network namespace", Refusal(gone));
  // Another user's mark, or none: never skipped because the name is missing.
  TapFacts bobs = gone;
  bobs.mark_owner = 61002;
  EXPECT_EQ(
      "no such interface in this network namespace, and its mark here "
      "is uid 61002's",
      Refusal(bobs, true));
  TapFacts none = gone;
  none.marked = false;
  EXPECT_EQ("no such interface in this network namespace", Refusal(none, true));
}

TEST(PlanNetFree, NamesTheCollisionAndTheSetting) {
  Settings s = DefaultSettings();
  NetUse bridge;
  bridge.kind = NetUse::kAddress;
  bridge.iface = "br-docker";
  bridge.net.addr = (172u << 24) | (20u << 16) | 1;
  bridge.net.prefix = 16;
  const std::vector<NetUse> uses = {bridge};
  EXPECT_EQ("172.20.6.0/24", FormatNet(PlanNet(s, 6)));
  std::string why;
  EXPECT_FALSE(PlanNetFree(s, "/etc/runall.conf", "tap6", 6, uses, &why));
  EXPECT_EQ(
      "tap6: its network 172.20.6.0/24 overlaps the address "
      "172.20.0.1/16 on br-docker; refused (the setting net_base in "
      "/etc/runall.conf moves the address plan)",
      why);
  s.net_base = (10u << 24) | (77u << 16);
  EXPECT_TRUE(PlanNetFree(s, "/etc/runall.conf", "tap6", 6, uses, &why));
}

TEST(TapsOwnedBy, CountsTheUsersTaps) {
  std::vector<TapInfo> taps(4);
  taps[0].owner = 61001;
  taps[1].owner = 61002;
  taps[2].owner = -1;
  taps[3].owner = 61001;
  EXPECT_EQ(2u, TapsOwnedBy(taps, 61001));
  EXPECT_EQ(0u, TapsOwnedBy(taps, 0));
}
