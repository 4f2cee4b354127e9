#include "dhcpd_args.hpp"

#include <gtest/gtest.h>

#include "validate.hpp"

using namespace runall;

namespace {

uint32_t Ip(const char* text) {
  uint32_t a = 0;
  std::string why;
  EXPECT_TRUE(ParseIPv4(text, &a, &why)) << text;
  return a;
}

// The plan's configuration for tapN: nothing optional set.
DhcpConfig PlanConfig(unsigned n) {
  const std::string net = "172.20." + std::to_string(n) + ".";
  DhcpConfig cfg;
  cfg.interface = "tap" + std::to_string(n);
  cfg.server = Ip((net + "1").c_str());
  cfg.client = Ip((net + "2").c_str());
  cfg.netmask = Ip("255.255.255.0");
  return cfg;
}

std::string ParseError(const std::vector<std::string>& args) {
  DhcpdArgs out;
  std::string err;
  EXPECT_FALSE(ParseDhcpdArgs(args, &out, &err)) << "accepted";
  return err;
}

}  // namespace

TEST(ParseDhcpdArgs, ReadsEveryOption) {
  DhcpdArgs a;
  std::string err;
  ASSERT_TRUE(ParseDhcpdArgs({"-i",
                              "tap3",
                              "-s",
                              "172.20.3.1",
                              "-c172.20.3.2",
                              "-m",
                              "255.255.255.128",
                              "-n",
                              "netbsd",
                              "-d",
                              "example.test",
                              "-l",
                              "300",
                              "-D",
                              "192.0.2.53",
                              "-D",
                              "192.0.2.54",
                              "-r",
                              "/etc/resolv.conf",
                              "-q"},
                             &a, &err))
      << err;
  EXPECT_EQ("tap3", a.cfg.interface);
  EXPECT_EQ(Ip("172.20.3.1"), a.cfg.server);
  EXPECT_EQ(Ip("172.20.3.2"), a.cfg.client);
  EXPECT_EQ(Ip("255.255.255.128"), a.cfg.netmask);
  EXPECT_EQ("netbsd", a.cfg.hostname);
  EXPECT_EQ("example.test", a.cfg.domain);
  EXPECT_EQ(300u, a.cfg.lease_time);
  EXPECT_EQ((std::vector<uint32_t>{Ip("192.0.2.53"), Ip("192.0.2.54")}), a.cfg.dns);
  EXPECT_EQ(std::vector<std::string>{"/etc/resolv.conf"}, a.resolv_files);
  EXPECT_FALSE(a.cfg.log_to_stderr);
  EXPECT_FALSE(a.help);
}

TEST(ParseDhcpdArgs, DefaultsAreTheArticles) {
  DhcpdArgs a;
  std::string err;
  ASSERT_TRUE(ParseDhcpdArgs({"-i", "tap0", "-s", "172.20.0.1", "-c", "172.20.0.2"}, &a, &err))
      << err;
  EXPECT_EQ(0xffffff00u, a.cfg.netmask);
  EXPECT_EQ(120u, a.cfg.lease_time);
  EXPECT_TRUE(a.cfg.log_to_stderr);
  EXPECT_TRUE(a.cfg.dns.empty());
  EXPECT_TRUE(a.cfg.hostname.empty());
}

TEST(ParseDhcpdArgs, Help) {
  DhcpdArgs a;
  std::string err;
  ASSERT_TRUE(ParseDhcpdArgs({"--help"}, &a, &err));
  EXPECT_TRUE(a.help);
  EXPECT_NE(std::string::npos, DhcpdUsage().find("usage: runall-dhcpd"));
}

TEST(ParseDhcpdArgs, RefusesBadCommandLines) {
  const std::vector<std::string> base = {"-i", "tap0", "-s", "172.20.0.1", "-c", "172.20.0.2"};
  EXPECT_EQ("-i is required", ParseError({"-s", "172.20.0.1", "-c", "172.20.0.2"}));
  EXPECT_EQ("-s is required", ParseError({"-i", "tap0", "-c", "172.20.0.2"}));
  EXPECT_EQ("-c is required", ParseError({"-i", "tap0", "-s", "172.20.0.1"}));
  EXPECT_EQ("-i needs a value", ParseError({"-s", "1.2.3.4", "-i"}));
  EXPECT_EQ("-i needs a value", ParseError({"-i", "-q", "-s", "1.2.3.4"}));
  std::vector<std::string> twice = base;
  twice.insert(twice.end(), {"-s", "172.20.0.3"});
  EXPECT_EQ("-s given twice", ParseError(twice));
  std::vector<std::string> operand = base;
  operand.push_back("tap1");
  EXPECT_EQ("unexpected argument: tap1", ParseError(operand));
  std::vector<std::string> unknown = base;
  unknown.push_back("-x");
  EXPECT_EQ("unknown option -x", ParseError(unknown));
  std::vector<std::string> lease = base;
  lease.insert(lease.end(), {"-l", "12x"});
  EXPECT_EQ("-l 12x: not a number of seconds", ParseError(lease));
  std::vector<std::string> dns = base;
  dns.insert(dns.end(), {"-D", "192.0.2.300"});
  EXPECT_EQ(0u, ParseError(dns).find("-D 192.0.2.300: "));
  EXPECT_EQ(0u, ParseError({"-i", "tap0", "-s", "1.2.3", "-c", "1.2.3.4"}).find("-s 1.2.3: "));
}

TEST(DhcpdArgv, RoundTrips) {
  DhcpConfig cfg = PlanConfig(17);
  cfg.dns = {Ip("192.0.2.53"), Ip("198.51.100.9")};
  cfg.domain = "example.test";
  cfg.hostname = "openbsd";
  cfg.lease_time = 600;
  DhcpdArgs back;
  std::string err;
  ASSERT_TRUE(ParseDhcpdArgs(DhcpdArgv(cfg), &back, &err)) << err;
  EXPECT_EQ(cfg.interface, back.cfg.interface);
  EXPECT_EQ(cfg.server, back.cfg.server);
  EXPECT_EQ(cfg.client, back.cfg.client);
  EXPECT_EQ(cfg.netmask, back.cfg.netmask);
  EXPECT_EQ(cfg.dns, back.cfg.dns);
  EXPECT_EQ(cfg.domain, back.cfg.domain);
  EXPECT_EQ(cfg.hostname, back.cfg.hostname);
  EXPECT_EQ(cfg.lease_time, back.cfg.lease_time);
  EXPECT_FALSE(back.cfg.log_to_stderr) << "the detached server writes to syslog only";
  EXPECT_TRUE(back.resolv_files.empty());
}

TEST(DhcpdArgv, LeavesOutWhatIsNotSet) {
  std::vector<std::string> argv = DhcpdArgv(PlanConfig(0));
  for (const char* opt : {"-D", "-d", "-n", "-r"})
    EXPECT_EQ(argv.end(), std::find(argv.begin(), argv.end(), opt)) << opt;
}
