#include "sudo_hosts.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace runall;

namespace {

const uint32_t kBase = (172u << 24) | (20u << 16);

std::string NameRefused(const std::string& name, const std::string& domain = "",
                        const std::vector<std::string>& own = {}) {
  std::string why;
  EXPECT_FALSE(CheckGuestName(name, domain, own, &why)) << name;
  EXPECT_EQ(std::string::npos, why.find('\n')) << why;
  return why;
}

TEST(SudoHosts, GuestNamesAreSingleLabels) {
  std::string why;
  for (const char* name : {"alice-vm", "VM1", "a", "netqemu", "x86-64", "1vm", "ip6"})
    EXPECT_TRUE(CheckGuestName(name, "", {}, &why)) << name << ": " << why;
  // The names: public, and names the host resolves for itself.
  for (const char* name : {"www.example.com", "mirror.example.org", "localhost.localdomain",
                           "foo.localhost", "wpad.corp.example"})
    EXPECT_NE(std::string::npos, NameRefused(name).find("not a guest name")) << name;
  EXPECT_NE(std::string::npos, NameRefused("www.example.com").find("a single label"));
  EXPECT_NE(std::string::npos, NameRefused("12345").find("all digits"));
  EXPECT_NE(std::string::npos, NameRefused("bad_name").find("not a hostname"));
  EXPECT_NE(std::string::npos, NameRefused("").find("not a hostname"));
}

TEST(SudoHosts, NamesTheHostResolvesForItselfAreRefused) {
  for (const char* name : {"localhost", "LocalHost", "localdomain", "broadcasthost", "wpad", "WPAD",
                           "isatap", "ip6-localhost", "ip6-allnodes", "IP6-x"})
    EXPECT_NE(std::string::npos, NameRefused(name).find("a name the host resolves for itself"))
        << name;
  std::vector<std::string> own = OwnHostNames("buildhost.example.org");
  EXPECT_EQ((std::vector<std::string>{"buildhost.example.org", "buildhost"}), own);
  EXPECT_EQ((std::vector<std::string>{"buildhost"}), OwnHostNames("buildhost"));
  EXPECT_TRUE(OwnHostNames("").empty());
  EXPECT_NE(std::string::npos, NameRefused("BuildHost", "", own).find("this host's own name"));
  EXPECT_NE(std::string::npos,
            NameRefused("buildhost.example.org", "example.org", own).find("this host's own name"));
  EXPECT_NE(
      std::string::npos,
      NameRefused("buildhost.corp.example", "corp.example", own).find("this host's own name"));
  std::string why;
  EXPECT_TRUE(CheckGuestName("buildhost2", "", own, &why)) << why;
  EXPECT_TRUE(CheckGuestName("vm.corp.example", "corp.example", own, &why)) << why;
}

TEST(SudoHosts, GuestDomainAllowsOneLabelUnderIt) {
  std::string why;
  const std::string d = "corp.example";
  EXPECT_TRUE(CheckGuestName("vm1.corp.example", d, {}, &why)) << why;
  EXPECT_TRUE(CheckGuestName("VM1.Corp.Example", d, {}, &why)) << why;
  EXPECT_TRUE(CheckGuestName("vm1", d, {}, &why)) << why;
  EXPECT_NE(std::string::npos, NameRefused("wpad.corp.example", d).find("resolves for itself"));
  EXPECT_NE(std::string::npos,
            NameRefused("localhost.corp.example", d).find("resolves for itself"));
  EXPECT_NE(std::string::npos,
            NameRefused("a.b.corp.example", d).find("followed by .corp.example"));
  EXPECT_FALSE(CheckGuestName("vm1.other.example", d, {}, &why));
  EXPECT_FALSE(CheckGuestName("vm1.example", d, {}, &why));
  EXPECT_FALSE(CheckGuestName("corp.example", d, {}, &why));
  EXPECT_FALSE(CheckGuestName("123.corp.example", d, {}, &why));
}

TEST(SudoHosts, TheAddressIsTheGuestAddressOfTheUsersTap) {
  std::vector<unsigned> asked;
  OwnsTap owns = [&](unsigned n, std::string* why) {
    asked.push_back(n);
    if (n == 5) return true;
    if (why) *why = "tap" + std::to_string(n) + " belongs to uid 61002";
    return false;
  };
  std::string why;
  EXPECT_TRUE(CheckGuestAddress(kBase, "172.20.5.2", owns, &why)) << why;
  EXPECT_EQ((std::vector<unsigned>{5}), asked);
  EXPECT_FALSE(CheckGuestAddress(kBase, "172.20.6.2", owns, &why));
  EXPECT_EQ(
      "172.20.6.2 is the guest address of tap6, which is not yours: "
      "tap6 belongs to uid 61002",
      why);
  // Outside the plan: never asked about.
  asked.clear();
  for (const char* ip : {"172.20.5.1", "172.20.5.3", "10.1.2.3", "172.21.5.2", "192.0.2.2"}) {
    EXPECT_FALSE(CheckGuestAddress(kBase, ip, owns, &why)) << ip;
    EXPECT_NE(std::string::npos, why.find("not a guest address of the address plan (172.20.N.2"))
        << why;
  }
  EXPECT_TRUE(asked.empty());
  EXPECT_FALSE(CheckGuestAddress(kBase, "172.20.5.2 x", owns, &why));
  EXPECT_FALSE(CheckGuestAddress(kBase, "172.20.5.2", OwnsTap(), &why));
  // Another plan.
  EXPECT_TRUE(CheckGuestAddress((10u << 24) | (77u << 16), "10.77.5.2", owns, &why)) << why;
}

TEST(SudoHosts, OwnsGuestAddressForLinesWithoutOwner) {
  auto owns = OwnsGuestAddress(kBase, [](unsigned n, std::string*) { return n == 8; });
  EXPECT_TRUE(owns(kBase | (8u << 8) | 2u));
  EXPECT_FALSE(owns(kBase | (8u << 8) | 1u));
  EXPECT_FALSE(owns(kBase | (9u << 8) | 2u));
  EXPECT_FALSE(owns((10u << 24) | (8u << 8) | 2u));
}

}  // namespace
