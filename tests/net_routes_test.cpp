#include "net_routes.hpp"

#include <arpa/inet.h>

#include <gtest/gtest.h>

using namespace runall;

namespace {

Ipv4Net Net(const char* dotted, unsigned prefix) {
  in_addr a;
  EXPECT_EQ(1, inet_pton(AF_INET, dotted, &a)) << dotted;
  Ipv4Net net;
  net.addr = ntohl(a.s_addr);
  net.prefix = prefix;
  return net;
}

NetUse Address(const char* iface, const char* dotted, unsigned prefix) {
  NetUse use;
  use.kind = NetUse::kAddress;
  use.iface = iface;
  use.net = Net(dotted, prefix);
  return use;
}

NetUse Route(const char* iface, const char* dotted, unsigned prefix) {
  NetUse use = Address(iface, dotted, prefix);
  use.kind = NetUse::kRoute;
  return use;
}

// A table as this machine's kernel prints it (little-endian hex, trailing
// blanks), with a bridge's /16, a host route, a down route and an
// unreachable one.
const char kTable[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
    "Window\tIRTT                                                       \n"
    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0          \n"
    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0          \n"
    "br-x\t000014AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0          \n"
    "tun0\t0708080A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0          \n"
    "eth1\t0000000A\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0          \n"
    "*\t0000A8C0\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0             \n";

}  // namespace

TEST(NetmaskPrefix, TakesOnlyContiguousMasks) {
  unsigned p = 99;
  ASSERT_TRUE(NetmaskPrefix(0xffffff00u, &p));
  EXPECT_EQ(24u, p);
  ASSERT_TRUE(NetmaskPrefix(0, &p));
  EXPECT_EQ(0u, p);
  ASSERT_TRUE(NetmaskPrefix(0xffffffffu, &p));
  EXPECT_EQ(32u, p);
  EXPECT_FALSE(NetmaskPrefix(0xff00ff00u, &p));
  EXPECT_FALSE(NetmaskPrefix(0x00ffffffu, &p));
}

TEST(NetsOverlap, OneInsideTheOtherOrApart) {
  const Ipv4Net tap6 = Net("172.20.6.0", 24);
  EXPECT_TRUE(NetsOverlap(tap6, Net("172.20.0.1", 16)));  // Docker's bridge
  EXPECT_TRUE(NetsOverlap(Net("172.20.0.1", 16), tap6));  // either order
  EXPECT_TRUE(NetsOverlap(tap6, Net("172.20.6.7", 32)));  // a host inside
  EXPECT_TRUE(NetsOverlap(tap6, Net("172.16.0.0", 12)));
  EXPECT_TRUE(NetsOverlap(tap6, tap6));
  EXPECT_FALSE(NetsOverlap(tap6, Net("172.20.7.0", 24)));  // the next tap
  EXPECT_FALSE(NetsOverlap(tap6, Net("172.20.5.255", 24)));
  EXPECT_FALSE(NetsOverlap(tap6, Net("10.8.0.6", 24)));  // a VPN's
  EXPECT_FALSE(NetsOverlap(tap6, Net("172.21.0.0", 16)));
  EXPECT_TRUE(NetsOverlap(tap6, Net("0.0.0.0", 0)));
}

TEST(FormatNet, NetworkOrAddress) {
  EXPECT_EQ("172.20.0.0/16", FormatNet(Net("172.20.0.1", 16)));
  EXPECT_EQ("172.20.0.1/16", FormatNet(Net("172.20.0.1", 16), true));
  EXPECT_EQ("0.0.0.0/0", FormatNet(Net("1.2.3.4", 0)));
}

TEST(ParseProcNetRoute, ReadsWhatTheKernelPrints) {
  std::vector<NetUse> routes;
  std::string err;
  ASSERT_TRUE(ParseProcNetRoute(kTable, &routes, &err)) << err;
  ASSERT_EQ(5u, routes.size());  // the route that is not up is left out
  EXPECT_EQ("eth0", routes[0].iface);
  EXPECT_EQ("0.0.0.0/0", FormatNet(routes[0].net));
  EXPECT_EQ("192.0.2.0/24", FormatNet(routes[1].net));
  EXPECT_EQ("br-x", routes[2].iface);
  EXPECT_EQ("172.20.0.0/16", FormatNet(routes[2].net));
  EXPECT_EQ("10.8.8.7/32", FormatNet(routes[3].net));
  EXPECT_EQ("", routes[4].iface);  // unreachable: no device
  EXPECT_EQ("192.168.0.0/16", FormatNet(routes[4].net));
  for (const NetUse& r : routes) EXPECT_EQ(NetUse::kRoute, r.kind);
}

TEST(ParseProcNetRoute, RefusesMalformedTables) {
  std::vector<NetUse> routes;
  std::string err;
  EXPECT_FALSE(ParseProcNetRoute("", &routes, &err));
  EXPECT_FALSE(ParseProcNetRoute("eth0\t00000000\n", &routes, &err));
  const std::string header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n";
  EXPECT_TRUE(ParseProcNetRoute(header, &routes, &err));
  EXPECT_TRUE(routes.empty());
  EXPECT_FALSE(ParseProcNetRoute(header + "eth0\tXYZ\t0\t1\t0\t0\t0\t0\n", &routes, &err));
  EXPECT_NE(std::string::npos, err.find("line 2")) << err;
  EXPECT_FALSE(ParseProcNetRoute(header + "eth0\t0\t0\t1\t0\t0\t0\t00FF00FF\n", &routes, &err));
  EXPECT_FALSE(ParseProcNetRoute(header + "eth0\t0\t0\t1\t0\t0\t0\n", &routes, &err));
}

TEST(FindOverlap, NamesWhatCollidesButNotTheTapItselfNorTheDefault) {
  const std::vector<NetUse> uses = {
      Address("lo", "127.0.0.1", 8),     Route("eth0", "0.0.0.0", 0),
      Address("tap6", "172.20.0.1", 16),  // the tap's own: replaced anyway
      Route("tap6", "172.20.0.0", 16),   Address("tun0", "10.8.0.6", 24),
      Address("tap5", "172.20.5.1", 24),  // another guest's network
      Address("br-x", "172.20.0.1", 16), Route("br-x", "172.20.0.0", 16),
  };
  const NetUse* hit = FindOverlap(Net("172.20.6.0", 24), "tap6", uses);
  ASSERT_NE(nullptr, hit);
  EXPECT_EQ("br-x", hit->iface);
  EXPECT_EQ("the address 172.20.0.1/16 on br-x", DescribeNetUse(*hit));
  EXPECT_EQ(nullptr, FindOverlap(Net("172.21.6.0", 24), "tap6", uses));
  // tun5 takes tap5's place in the plan, and collides with it.
  const std::vector<NetUse> guests = {uses[0], uses[1], uses[4], uses[5]};
  hit = FindOverlap(Net("172.20.5.0", 24), "tun5", guests);
  ASSERT_NE(nullptr, hit);
  EXPECT_EQ("tap5", hit->iface);
  // Only a route, no address: named as a route.
  const std::vector<NetUse> vpn = {Route("wg0", "10.0.0.0", 8), Route("", "10.9.0.0", 24)};
  hit = FindOverlap(Net("10.9.0.0", 24), "tap1", vpn);
  ASSERT_NE(nullptr, hit);
  EXPECT_EQ("the route to 10.0.0.0/8 via wg0", DescribeNetUse(*hit));
  EXPECT_EQ("the route to 10.9.0.0/24 (without an interface)",
            DescribeNetUse(Route("", "10.9.0.0", 24)));
}

TEST(FindOverlap, AVpnsTwoHalvesOfTheDefaultRouteAreADefaultRoute) {
  const std::vector<NetUse> uses = {Route("tun0", "0.0.0.0", 1), Route("tun0", "128.0.0.0", 1),
                                    Route("eth0", "0.0.0.0", 0)};
  EXPECT_EQ(nullptr, FindOverlap(Net("172.20.6.0", 24), "tap6", uses));
  // A VPN's real networks still collide.
  const std::vector<NetUse> corp = {Route("tun0", "128.0.0.0", 1), Route("tun0", "172.16.0.0", 12)};
  const NetUse* hit = FindOverlap(Net("172.20.6.0", 24), "tap6", corp);
  ASSERT_NE(nullptr, hit);
  EXPECT_EQ("the route to 172.16.0.0/12 via tun0", DescribeNetUse(*hit));
}

TEST(ReadNetUses, SeesTheLoopback) {
  std::vector<NetUse> uses;
  std::string err;
  ASSERT_TRUE(ReadNetUses(&uses, &err)) << err;
  bool loopback = false;
  for (const NetUse& use : uses)
    if (use.kind == NetUse::kAddress && use.iface == "lo" &&
        FormatNet(use.net, true) == "127.0.0.1/8")
      loopback = true;
  EXPECT_TRUE(loopback);
}
