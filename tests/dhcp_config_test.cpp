#include "dhcp_config.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace runall;

namespace {

// tap3 of the address plan, as start-tun-interface configures it.
DhcpConfig Config() {
  DhcpConfig cfg;
  cfg.interface = "tap3";
  cfg.server = 0xac140301;  // 172.20.3.1
  cfg.client = 0xac140302;  // 172.20.3.2
  cfg.netmask = 0xffffff00;
  cfg.dns = {0xc0000235, 0xc0000236};
  cfg.domain = "example.test";
  cfg.hostname = "guest3";
  cfg.lease_time = 120;
  return cfg;
}

}  // namespace

TEST(ValidDhcpConfig, AcceptsTheAddressPlan) {
  std::string err;
  EXPECT_TRUE(ValidDhcpConfig(Config(), &err)) << err;
  DhcpConfig bare;
  bare.interface = "tap0";
  bare.server = 0xac140001;
  bare.client = 0xac140002;
  bare.netmask = 0xffffff00;
  EXPECT_TRUE(ValidDhcpConfig(bare, &err)) << err;
}

TEST(ValidDhcpConfig, RefusesWhatCannotBeServed) {
  std::string err;
  auto refused = [&](void (*change)(DhcpConfig*)) {
    DhcpConfig c = Config();
    change(&c);
    err.clear();
    bool ok = ValidDhcpConfig(c, &err);
    return !ok && !err.empty();
  };
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->interface = ""; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->interface = "tap0123456789012"; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->netmask = 0; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->netmask = 0xff00ff00; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->netmask = 0xffffffff; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->server = 0; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->client = 0; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->client = c->server; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->client = 0xac140402; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->client = 0xac1403ff; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->server = 0xac140300; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->lease_time = 0; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->lease_time = 9; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->lease_time = 400u * 24 * 3600; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->hostname = "bad name"; }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->hostname = std::string(64, 'a'); }));
  EXPECT_TRUE(refused([](DhcpConfig* c) { c->domain = "a..b"; }));
}
