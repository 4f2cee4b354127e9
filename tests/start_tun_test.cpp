#include "start_tun.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {

bool Parse(std::vector<std::string> args, StartTunArgs* out,
           std::string* err = nullptr) {
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
       {"tap05", "tap", "eth0", "tap5 ", " tap5", "tap-1", "tap+1", "tap5x",
        "tap1.2", "tap5;reboot", "../tap5", "tap5/..", "TAP5", "tap0x10",
        "tap123456789012", ""}) {
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
  EXPECT_EQ((std::vector<uint32_t>{0x01010101, 0x08080404}),
            ParseDnsList(" 1.1.1.1\t8.8.4.4 "));
  EXPECT_TRUE(ParseDnsList("").empty());
}

TEST(CreatedMark, RoundTripsAndRefusesJunk) {
  EXPECT_EQ("/run/runall/tap3.created", CreatedMarkPath("/run/runall", "tap3"));
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
