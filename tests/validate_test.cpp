#include "validate.hpp"

#include <gtest/gtest.h>

using namespace runall;

TEST(ValidHostname, AcceptsRfc1123Names) {
  for (const char* ok :
       {"netqemu", "a", "solqemu.local", "x-1.example.org", "0host", "123", "A-b-C"})
    EXPECT_TRUE(ValidHostname(ok, nullptr)) << ok;
  EXPECT_TRUE(ValidHostname(std::string(63, 'a'), nullptr));
}

TEST(ValidHostname, RefusesHostileNames) {
  std::string why;
  for (const char* bad : {"", "two words", "new\nline", "tab\tname", "a#b", "-leading", "trailing-",
                          "a..b", ".lead", "trail.", "under_score", "semi;colon", "dollar$",
                          "slash/x", "quote'", "star*", "a.-b", "\xc3\xa9t\xc3\xa9"})
    EXPECT_FALSE(ValidHostname(bad, &why)) << bad;
  EXPECT_FALSE(ValidHostname(std::string(64, 'a'), &why));
  EXPECT_NE(why.find("63"), std::string::npos);
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  long_name += "x";
  EXPECT_FALSE(ValidHostname(long_name, &why));
  EXPECT_NE(why.find("253"), std::string::npos);
  EXPECT_FALSE(ValidHostname(std::string("a\0b", 3), &why));
}

TEST(ParseIPv4, AcceptsDottedQuads) {
  uint32_t a = 0;
  ASSERT_TRUE(ParseIPv4("172.20.3.2", &a, nullptr));
  EXPECT_EQ(a, (172u << 24) | (20u << 16) | (3u << 8) | 2u);
  ASSERT_TRUE(ParseIPv4("0.0.0.0", &a, nullptr));
  EXPECT_EQ(a, 0u);
  ASSERT_TRUE(ParseIPv4("255.255.255.255", &a, nullptr));
  EXPECT_EQ(a, 0xffffffffu);
  EXPECT_EQ(FormatIPv4((10u << 24) | 1u), "10.0.0.1");
}

TEST(ParseIPv4, RefusesHostileAddresses) {
  std::string why;
  for (const char* bad : {"", "999.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4 evil", "1.2.3.4 ",
                          " 1.2.3.4", "1.2.3.4.5", "1..2.3", "0x1.2.3.4", "1.2.3.-4", "256.0.0.1",
                          "1.2.3.4\n", "a.b.c.d", "1.2.3.0004", "::1", "1.2.3.4/24"})
    EXPECT_FALSE(ParseIPv4(bad, nullptr, &why)) << bad;
  EXPECT_FALSE(ParseIPv4("01.2.3.4", nullptr, &why));
  EXPECT_NE(why.find("leading zero"), std::string::npos);
}

TEST(ValidTapName, AcceptsTapAndTun) {
  unsigned n = 99;
  EXPECT_TRUE(ValidTapName("tap0", &n, nullptr));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(ValidTapName("tun12", &n, nullptr));
  EXPECT_EQ(n, 12u);
  EXPECT_TRUE(ValidTapName("tap4294967295", &n, nullptr));
  EXPECT_EQ(n, 4294967295u);
}

TEST(ValidTapName, RefusesEverythingElse) {
  std::string why;
  for (const char* bad :
       {"", "tap", "tap00", "tap01", "eth0", "tap-1", "tap1a", "tap 1", "TAP1", "tap+1", "xtap1",
        "tap4294967296", "tap123456789012", "tap1\n", "../tap1", "tap1/", "lo"})
    EXPECT_FALSE(ValidTapName(bad, nullptr, &why)) << bad;
}

TEST(ParseUnsigned, StrictDecimal) {
  unsigned long v = 0;
  EXPECT_TRUE(ParseUnsigned("0", 10, &v));
  EXPECT_TRUE(ParseUnsigned("600", 1000, &v));
  EXPECT_EQ(v, 600u);
  EXPECT_FALSE(ParseUnsigned("1001", 1000, &v));
  EXPECT_FALSE(ParseUnsigned("-1", 1000, &v));
  EXPECT_FALSE(ParseUnsigned("+1", 1000, &v));
  EXPECT_FALSE(ParseUnsigned(" 1", 1000, &v));
  EXPECT_FALSE(ParseUnsigned("", 1000, &v));
  EXPECT_FALSE(ParseUnsigned("99999999999999999999999", ~0UL, &v));
}
