#include "dhcp_daemon.hpp"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace runall;

// The clock is the caller's: a window is counted in the seconds it passes.
TEST(LogLimiter, AllowsSoManyLinesPerWindowAndCountsTheRest) {
  LogLimiter limiter(10, 3);
  unsigned long suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Allow(1000 + i, &suppressed)) << i;
    EXPECT_EQ(0u, suppressed);
  }
  EXPECT_FALSE(limiter.Allow(1005, &suppressed));
  EXPECT_FALSE(limiter.Allow(1009, &suppressed));
  EXPECT_EQ(0u, suppressed);
  // The next window opens at 1010 and first says how many were dropped.
  EXPECT_TRUE(limiter.Allow(1010, &suppressed));
  EXPECT_EQ(2u, suppressed);
  EXPECT_TRUE(limiter.Allow(1011, &suppressed));
  EXPECT_EQ(0u, suppressed);
  // A window with nothing dropped reports nothing.
  EXPECT_TRUE(limiter.Allow(2000, &suppressed));
  EXPECT_EQ(0u, suppressed);
}

TEST(LogLimiter, TheFirstLineOpensAWindowWhateverTheClockSays) {
  // The monotonic clock may be small just after boot.
  LogLimiter limiter(10, 1);
  unsigned long suppressed = 0;
  EXPECT_TRUE(limiter.Allow(3, &suppressed));
  EXPECT_FALSE(limiter.Allow(4, &suppressed));
  EXPECT_TRUE(limiter.Allow(13, &suppressed));
  EXPECT_EQ(1u, suppressed);
}

TEST(FormatHardwareAddress, HexPairsCutToTheBuffer) {
  DhcpPacket p;
  p.hlen = 6;
  const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0x0c, 0xff};
  memcpy(p.chaddr, mac, sizeof mac);
  char out[64];
  FormatHardwareAddress(p, out, sizeof out);
  EXPECT_STREQ("52:54:00:ab:0c:ff", out);
  // A malformed length never reads past chaddr.
  p.hlen = 200;
  FormatHardwareAddress(p, out, sizeof out);
  EXPECT_EQ(16u * 3 - 1, strlen(out));
  // Only whole pairs that fit.
  p.hlen = 6;
  char fits[9], short_of_one[8];
  FormatHardwareAddress(p, fits, sizeof fits);
  EXPECT_STREQ("52:54:00", fits);
  FormatHardwareAddress(p, short_of_one, sizeof short_of_one);
  EXPECT_STREQ("52:54", short_of_one);
  p.hlen = 0;
  FormatHardwareAddress(p, out, sizeof out);
  EXPECT_STREQ("", out);
}

TEST(FormatClientName, PrintableAsciiOnlyAndShort) {
  DhcpBytes name;
  const char raw[] = "guest\n\x1b[31m x\xff";
  ASSERT_TRUE(name.Assign(raw, sizeof raw - 1));
  char out[64];
  FormatClientName(name, out, sizeof out);
  EXPECT_STREQ("guest??[31m?x?", out);
  std::string longer(200, 'a');
  ASSERT_TRUE(name.Assign(longer.data(), longer.size()));
  FormatClientName(name, out, sizeof out);
  EXPECT_EQ(63u, strlen(out));
  char small[4];
  FormatClientName(name, small, sizeof small);
  EXPECT_STREQ("aaa", small);
}

TEST(StopReason, TheThreeStopSignalsAndNotUsr1) {
  EXPECT_STREQ("stopping on SIGTERM", StopReason(SIGTERM));
  EXPECT_STREQ("stopping on SIGINT", StopReason(SIGINT));
  EXPECT_STREQ("stopping on SIGHUP", StopReason(SIGHUP));
  EXPECT_EQ(nullptr, StopReason(SIGUSR1));
}

TEST(ReadNameservers, AppendsTheUsableOnesAndNamesAMissingFile) {
  char tmpl[] = "/tmp/dhcp_daemon_test.XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(tmpl));
  const std::string dir = tmpl, path = dir + "/resolv.conf";
  std::ofstream(path) << "# comment\nnameserver 192.0.2.53\nnameserver ::1\n"
                         "nameserver 127.0.0.53\nsearch example.test\n";
  std::vector<uint32_t> dns = {0x01020304};
  std::string err;
  ASSERT_TRUE(ReadNameservers(path, &dns, &err)) << err;
  EXPECT_EQ((std::vector<uint32_t>{0x01020304, 0xc0000235}), dns);
  // resolv.conf is often a symlink (resolvconf, systemd-resolved).
  ASSERT_EQ(0, symlink(path.c_str(), (dir + "/link").c_str()));
  dns.clear();
  ASSERT_TRUE(ReadNameservers(dir + "/link", &dns, &err)) << err;
  EXPECT_EQ(1u, dns.size());
  EXPECT_FALSE(ReadNameservers(dir + "/none", &dns, &err));
  EXPECT_NE(std::string::npos, err.find(dir + "/none")) << err;
  std::string cmd = "rm -rf '" + dir + "'";
  ASSERT_EQ(0, system(cmd.c_str()));
}
