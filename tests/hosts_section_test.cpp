#include "hosts_section.hpp"

#include <strings.h>

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace runall;

namespace {

const char kStatic[] =
    "127.0.0.1\tlocalhost\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "# the file server\n"
    "10.0.0.5 server.example.org server fs   # main\n"
    "\n";

// Maps and expects a change; returns the new text.
std::string Map(const std::string& before, const std::string& host, const std::string& ip) {
  std::string out = "unset", why;
  EXPECT_EQ(SectionEdit::kChanged, MapDynamicHost(before, host, ip, &out, &why)) << why;
  return out;
}

// Maps and expects a refusal; returns the reason.
std::string Refused(const std::string& before, const std::string& host, const std::string& ip) {
  std::string out = "unset", why;
  EXPECT_EQ(SectionEdit::kRefused, MapDynamicHost(before, host, ip, &out, &why));
  EXPECT_EQ("unset", out);
  return why;
}

// --- the article's behaviour -----------------------------------------------

TEST(HostsSection, CreatesTheSectionAtTheEndWhenMissing) {
  EXPECT_EQ(std::string(kStatic) + "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map(kStatic, "guest1", "172.20.1.2"));
}

TEST(HostsSection, EmptyFileGetsASection) {
  EXPECT_EQ("##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map("", "guest1", "172.20.1.2"));
}

TEST(HostsSection, AddsBeforeTheEndMarkerAndKeepsWhatFollows) {
  std::string before = std::string(kStatic) +
                       "##STARTDYNAMIC\n172.20.1.2 guest1\n##ENDDYNAMIC\n"
                       "192.168.1.1 router\n";
  EXPECT_EQ(std::string(kStatic) +
                "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2 # uid=0\n"
                "##ENDDYNAMIC\n192.168.1.1 router\n",
            Map(before, "guest2", "172.20.2.2"));
}

TEST(HostsSection, ReplacesTheLineWithTheSameHostname) {
  std::string before = "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2\n##ENDDYNAMIC\n";
  EXPECT_EQ(
      "##STARTDYNAMIC\n172.20.2.2 guest2\n172.20.7.2 guest1 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map(before, "guest1", "172.20.7.2"));
}

TEST(HostsSection, ReplacesTheLineWithTheSameAddress) {
  std::string before = "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2\n##ENDDYNAMIC\n";
  EXPECT_EQ(
      "##STARTDYNAMIC\n172.20.2.2 guest2\n172.20.1.2 guest9 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map(before, "guest9", "172.20.1.2"));
}

TEST(HostsSection, ReplacesBothTheNameLineAndTheAddressLine) {
  std::string before =
      "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2\n"
      "172.20.3.2 guest3\n##ENDDYNAMIC\n";
  EXPECT_EQ(
      "##STARTDYNAMIC\n172.20.3.2 guest3\n172.20.2.2 guest1 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map(before, "guest1", "172.20.2.2"));
}

TEST(HostsSection, HostnamesMatchCaseInsensitivelyAndAsAliases) {
  std::string before = "##STARTDYNAMIC\n172.20.1.2 Guest1.local GUEST1 g1\n##ENDDYNAMIC\n";
  EXPECT_EQ("##STARTDYNAMIC\n172.20.4.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map(before, "guest1", "172.20.4.2"));
}

TEST(HostsSection, ClosesAnUnterminatedSection) {
  std::string before = std::string(kStatic) + "##STARTDYNAMIC\n172.20.1.2 guest1\n";
  EXPECT_EQ(std::string(kStatic) +
                "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2 # uid=0\n"
                "##ENDDYNAMIC\n",
            Map(before, "guest2", "172.20.2.2"));
}

TEST(HostsSection, UnterminatedSectionWithoutFinalNewline) {
  EXPECT_EQ(
      "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map("##STARTDYNAMIC\n172.20.1.2 guest1", "guest2", "172.20.2.2"));
  // The unterminated last line is the one replaced.
  EXPECT_EQ("##STARTDYNAMIC\n172.20.9.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map("##STARTDYNAMIC\n172.20.1.2 guest1", "guest1", "172.20.9.2"));
}

TEST(HostsSection, KeepsCommentsAndBlankLinesInTheSection) {
  std::string before =
      "##STARTDYNAMIC guests of runall\n# do not edit\n\n"
      "172.20.1.2 guest1  # booted today\n##ENDDYNAMIC -- end\n";
  EXPECT_EQ(
      "##STARTDYNAMIC guests of runall\n# do not edit\n\n"
      "172.20.1.2 guest1 # booted today\n172.20.2.2 guest2 # uid=0\n"
      "##ENDDYNAMIC -- end\n",
      Map("##STARTDYNAMIC guests of runall\n# do not edit\n\n"
          "172.20.1.2 guest1 # booted today\n##ENDDYNAMIC -- end\n",
          "guest2", "172.20.2.2"));
  // A comment mentioning the name is not a mapping of it.
  EXPECT_EQ(
      "##STARTDYNAMIC guests of runall\n# do not edit\n\n"
      "172.20.9.2 guest1 # uid=0\n##ENDDYNAMIC -- end\n",
      Map(before, "guest1", "172.20.9.2"));
}

TEST(HostsSection, AlreadyMappedIsUnchanged) {
  std::string before = std::string(kStatic) +
                       "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n"
                       "172.20.2.2 guest2\n##ENDDYNAMIC\n";
  std::string out = "unset", why;
  EXPECT_EQ(SectionEdit::kUnchanged, MapDynamicHost(before, "guest1", "172.20.1.2", &out, &why));
  EXPECT_EQ("unset", out);
  // A different spelling is rewritten, so the file says what was asked.
  EXPECT_EQ(SectionEdit::kChanged, MapDynamicHost(before, "Guest1", "172.20.1.2", &out, &why));
  // So is a section still to be closed.
  EXPECT_EQ(SectionEdit::kChanged, MapDynamicHost("##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n",
                                                  "guest1", "172.20.1.2", &out, &why));
  // So is a line without its owner (written before lines had one), or
  // another owner's: the file then says whose the line is now.
  EXPECT_EQ("##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map("##STARTDYNAMIC\n172.20.1.2 guest1\n##ENDDYNAMIC\n", "guest1", "172.20.1.2"));
  EXPECT_EQ(
      "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
      Map("##STARTDYNAMIC\n172.20.1.2 guest1 # uid=7\n##ENDDYNAMIC\n", "guest1", "172.20.1.2"));
}

// --- refusals: the name or the address outside the section ------------------

TEST(HostsSection, RefusesAHostnameOutsideTheSection) {
  std::string before = std::string(kStatic) + "##STARTDYNAMIC\n##ENDDYNAMIC\n";
  EXPECT_NE(std::string::npos, Refused(before, "server", "172.20.1.2").find("line 4"));
  EXPECT_FALSE(Refused(before, "fs", "172.20.1.2").empty());  // an alias
  EXPECT_FALSE(Refused(before, "SERVER", "172.20.1.2").empty());
  EXPECT_FALSE(Refused(before, "server.example.org", "172.20.1.2").empty());
  // In an IPv6 line.
  EXPECT_FALSE(Refused(before, "ip6-loopback", "172.20.1.2").empty());
  EXPECT_FALSE(Refused(before, "localhost", "172.20.1.2").empty());
}

TEST(HostsSection, RefusesAHostnameAfterTheSection) {
  std::string before = "##STARTDYNAMIC\n##ENDDYNAMIC\n10.1.1.1 late guest1\n";
  EXPECT_FALSE(Refused(before, "guest1", "172.20.1.2").empty());
}

TEST(HostsSection, RefusesTheAbsoluteFormOfAName) {
  EXPECT_FALSE(Refused("10.1.1.1 guest1.\n", "guest1", "172.20.1.2").empty());
}

TEST(HostsSection, RefusesAnAddressOutsideTheSection) {
  std::string why = Refused(kStatic, "guest1", "10.0.0.5");
  EXPECT_NE(std::string::npos, why.find("10.0.0.5 appears outside")) << why;
  EXPECT_FALSE(Refused("  10.0.0.5\tx\n", "guest1", "10.0.0.5").empty());
  // The same address written as IPv4-mapped IPv6.
  EXPECT_FALSE(Refused("::ffff:172.20.1.2 printer\n", "guest1", "172.20.1.2").empty());
  EXPECT_FALSE(Refused("::FFFF:ac14:102 printer\n", "guest1", "172.20.1.2").empty());
}

TEST(HostsSection, RefusesWhatIsOnlyInASecondSection) {
  // Only the first section is dynamic, as in the article's awk script.
  std::string before =
      "##STARTDYNAMIC\n##ENDDYNAMIC\n##STARTDYNAMIC\n172.20.5.2 guest5\n"
      "##ENDDYNAMIC\n";
  EXPECT_FALSE(Refused(before, "guest5", "172.20.1.2").empty());
  EXPECT_FALSE(Refused(before, "guest1", "172.20.5.2").empty());
  EXPECT_EQ(
      "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n"
      "##STARTDYNAMIC\n172.20.5.2 guest5\n##ENDDYNAMIC\n",
      Map(before, "guest1", "172.20.1.2"));
}

// --- the article's mistakes, fixed -----------------------------------------

TEST(HostsSection, AddressIsNotAPrefixMatch) {
  // The article's ^[[:space:]]*$IP matched 172.20.1.23 for 172.20.1.2 and
  // so refused a valid mapping, or deleted the wrong line in the section.
  std::string before = "172.20.1.23 other\n##STARTDYNAMIC\n172.20.1.24 guest24\n##ENDDYNAMIC\n";
  EXPECT_EQ(
      "172.20.1.23 other\n##STARTDYNAMIC\n172.20.1.24 guest24\n"
      "172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
      Map(before, "guest1", "172.20.1.2"));
  // Its unescaped dots matched any character.
  EXPECT_EQ(
      "172x20y1z2 junk\n##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map("172x20y1z2 junk\n", "guest1", "172.20.1.2"));
}

TEST(HostsSection, NameIsNotASubstringMatch) {
  std::string before =
      "10.1.1.1 guest10 guest1-old xguest1 guest1.example.org\n"
      "10.1.1.2 server # guest1 lives here\n";
  EXPECT_EQ(before + "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map(before, "guest1", "172.20.1.2"));
}

TEST(HostsSection, AddressInTheNameFieldsIsNotTheAddress) {
  EXPECT_EQ(
      "10.1.1.1 172.20.1.2\n##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map("10.1.1.1 172.20.1.2\n", "guest1", "172.20.1.2"));
}

// --- bytes kept ---------------------------------------------------------

TEST(HostsSection, MarkersOnlyAtTheStartOfALine) {
  std::string before = "  ##STARTDYNAMIC\n#ENDDYNAMIC\n";
  EXPECT_EQ(before + "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n",
            Map(before, "guest1", "172.20.1.2"));
}

TEST(HostsSection, AStrayEndMarkerBeforeTheSectionIsAnOrdinaryLine) {
  EXPECT_EQ(
      "##ENDDYNAMIC\n##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map("##ENDDYNAMIC\n", "guest1", "172.20.1.2"));
}

TEST(HostsSection, AddsAMissingFinalNewlineBeforeAppending) {
  EXPECT_EQ(
      "127.0.0.1 localhost\n##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n"
      "##ENDDYNAMIC\n",
      Map("127.0.0.1 localhost", "guest1", "172.20.1.2"));
}

TEST(HostsSection, KeepsAnEndMarkerWithoutFinalNewline) {
  EXPECT_EQ("##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC",
            Map("##STARTDYNAMIC\n##ENDDYNAMIC", "guest1", "172.20.1.2"));
}

TEST(HostsSection, KeepsCrlfBytesAndWritesCrlfLines) {
  EXPECT_EQ(
      "127.0.0.1 localhost\r\n##STARTDYNAMIC\r\n"
      "172.20.1.2 guest1 # uid=0\r\n##ENDDYNAMIC\r\n",
      Map("127.0.0.1 localhost\r\n", "guest1", "172.20.1.2"));
  std::string before =
      "10.0.0.5 server\r\n##STARTDYNAMIC\r\n172.20.1.2 guest1 # uid=0\r\n"
      "##ENDDYNAMIC\r\n";
  EXPECT_EQ(
      "10.0.0.5 server\r\n##STARTDYNAMIC\r\n"
      "172.20.1.3 guest1 # uid=0\r\n##ENDDYNAMIC\r\n",
      Map(before, "guest1", "172.20.1.3"));
  std::string out, why;
  EXPECT_EQ(SectionEdit::kUnchanged, MapDynamicHost(before, "guest1", "172.20.1.2", &out, &why));
  EXPECT_EQ(SectionEdit::kRefused, MapDynamicHost(before, "server", "172.20.1.9", &out, &why));
}

TEST(HostsSection, KeepsOddBytesOutsideTheSection) {
  std::string before =
      std::string("10.1.1.1 a\t \t# x\xff\n\0\n", 20) + "##STARTDYNAMIC\n##ENDDYNAMIC\n   \n";
  std::string after = Map(before, "guest1", "172.20.1.2");
  EXPECT_EQ(std::string("10.1.1.1 a\t \t# x\xff\n\0\n", 20) +
                "##STARTDYNAMIC\n172.20.1.2 guest1 # uid=0\n##ENDDYNAMIC\n"
                "   \n",
            after);
}

// --- hostile arguments --------------------------------------------------

TEST(HostsSection, RefusesHostileHostnames) {
  const char* bad[] = {"",      "gu est",      "guest\n1", "guest#1", "-guest",  "guest-",
                       "a..b",  ".guest",      "guest.",   "gu_est",  "guest\t", "1.2.3.4",
                       "12345", "g\xc3\xa9st", "guest;rm", "guest/1"};
  for (const char* name : bad) {
    std::string out = "unset", why;
    EXPECT_EQ(SectionEdit::kInvalid, MapDynamicHost(kStatic, name, "172.20.1.2", &out, &why))
        << name;
    EXPECT_EQ("unset", out) << name;
    EXPECT_FALSE(why.empty()) << name;
    EXPECT_EQ(std::string::npos, why.find('\n')) << why;
  }
  std::string long_label(64, 'a');
  std::string out, why;
  EXPECT_EQ(SectionEdit::kInvalid, MapDynamicHost(kStatic, long_label, "172.20.1.2", &out, &why));
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(kStatic, std::string(63, 'a'), "172.20.1.2", &out, &why));
  EXPECT_EQ(SectionEdit::kInvalid, UnmapDynamicHost(kStatic, "-d", &out, &why));
}

TEST(HostsSection, RefusesHostileAddresses) {
  const char* bad[] = {"",
                       "999.1.1.1",
                       "1.2.3",
                       "01.2.3.4",
                       "1.2.3.4 evil",
                       "1.2.3.4\n",
                       " 1.2.3.4",
                       "1.2.3.4.5",
                       "0x1.2.3.4",
                       "::1",
                       "::ffff:1.2.3.4",
                       "256.0.0.1",
                       "0.0.0.0",
                       "127.0.0.1",
                       "224.0.0.1",
                       "255.255.255.255",
                       "1.2.3.-4",
                       "1.2.3.4#"};
  for (const char* ip : bad) {
    std::string out = "unset", why;
    EXPECT_EQ(SectionEdit::kInvalid, MapDynamicHost(kStatic, "guest1", ip, &out, &why)) << ip;
    EXPECT_EQ("unset", out) << ip;
    EXPECT_EQ(std::string::npos, why.find('\n')) << why;
  }
}

TEST(HostsSection, GuestAddressPlan) {
  uint32_t base = (172u << 24) | (20u << 16);
  EXPECT_TRUE(GuestAddressInPlan(base, base | (0 << 8) | 2));
  EXPECT_TRUE(GuestAddressInPlan(base, base | (255 << 8) | 2));
  EXPECT_FALSE(GuestAddressInPlan(base, base | (3 << 8) | 1));
  EXPECT_FALSE(GuestAddressInPlan(base, base | (3 << 8) | 3));
  EXPECT_FALSE(GuestAddressInPlan(base, (172u << 24) | (21u << 16) | 2));
}

// --- removal --------------------------------------------------------------

TEST(HostsSection, RemovesTheNameFromTheSection) {
  std::string before = std::string(kStatic) +
                       "##STARTDYNAMIC\n172.20.1.2 guest1\n172.20.2.2 guest2\n"
                       "172.20.3.2 GUEST1 alias\n##ENDDYNAMIC\ntail\n";
  std::string out, why;
  EXPECT_EQ(SectionEdit::kChanged, UnmapDynamicHost(before, "guest1", &out, &why));
  EXPECT_EQ(std::string(kStatic) + "##STARTDYNAMIC\n172.20.2.2 guest2\n##ENDDYNAMIC\ntail\n", out);
  EXPECT_TRUE(why.empty());
}

TEST(HostsSection, RemovingAnAbsentNameIsNotFound) {
  std::string before = "##STARTDYNAMIC\n172.20.2.2 guest2\n##ENDDYNAMIC\n";
  std::string out = "unset", why;
  EXPECT_EQ(SectionEdit::kNotFound, UnmapDynamicHost(before, "guest1", &out, &why));
  EXPECT_EQ("unset", out);
  EXPECT_EQ(SectionEdit::kNotFound, UnmapDynamicHost("", "guest1", &out, &why));
  // Removal never matches by address.
  EXPECT_EQ(SectionEdit::kNotFound, UnmapDynamicHost(before, "172-20-2-2", &out, &why));
}

TEST(HostsSection, RemovalRefusesANameOnlyOutsideTheSection) {
  std::string out = "unset", why;
  EXPECT_EQ(SectionEdit::kRefused,
            UnmapDynamicHost(std::string(kStatic) + "##STARTDYNAMIC\n##ENDDYNAMIC\n", "server",
                             &out, &why));
  EXPECT_EQ("unset", out);
  EXPECT_NE(std::string::npos, why.find("not removed")) << why;
}

TEST(HostsSection, RemovalInsideKeepsTheOutsideLineAndSaysSo) {
  std::string before = "10.1.1.1 guest1\n##STARTDYNAMIC\n172.20.1.2 guest1\n##ENDDYNAMIC\n";
  std::string out, why;
  EXPECT_EQ(SectionEdit::kChanged, UnmapDynamicHost(before, "guest1", &out, &why));
  EXPECT_EQ("10.1.1.1 guest1\n##STARTDYNAMIC\n##ENDDYNAMIC\n", out);
  EXPECT_NE(std::string::npos, why.find("line 1")) << why;
}

TEST(HostsSection, RemovalClosesAnUnterminatedSection) {
  std::string out, why;
  EXPECT_EQ(SectionEdit::kChanged,
            UnmapDynamicHost("##STARTDYNAMIC\n172.20.1.2 guest1\n", "guest1", &out, &why));
  EXPECT_EQ("##STARTDYNAMIC\n##ENDDYNAMIC\n", out);
}

// --- owners: each line is its maker's ------------------------------------

TEST(HostsSection, ParsesTheOwnerMark) {
  uid_t uid = 99;
  EXPECT_TRUE(ParseLineOwner("172.20.1.2 g1 # uid=61001", &uid));
  EXPECT_EQ(61001u, uid);
  EXPECT_TRUE(ParseLineOwner("172.20.1.2 g1 # uid=0", &uid));
  EXPECT_EQ(0u, uid);
  EXPECT_TRUE(ParseLineOwner("172.20.1.2\tg1\t#uid=7 \r", &uid));
  EXPECT_EQ(7u, uid);
  EXPECT_TRUE(ParseLineOwner("172.20.1.2 g1 # uid=4294967294", &uid));
  EXPECT_EQ(4294967294u, uid);
  // Anything looser is no owner, so the line stays root's.
  for (const char* line :
       {"172.20.1.2 g1", "172.20.1.2 g1 #", "172.20.1.2 g1 # uid=", "172.20.1.2 g1 # uid=x",
        "172.20.1.2 g1 # uid=07", "172.20.1.2 g1 # uid=-1", "172.20.1.2 g1 # uid=4294967295",
        "172.20.1.2 g1 # uid=99999999999", "172.20.1.2 g1 # uid=5 alice",
        "172.20.1.2 g1 # note # uid=5", "172.20.1.2 g1 # UID=5", "# uid=5 172.20.1.2 g1 x",
        "172.20.1.2 g1 # uid = 5"})
    EXPECT_FALSE(ParseLineOwner(line, &uid)) << line;
}

SectionRules Sudo(uid_t uid) {
  SectionRules r;
  r.uid = uid;
  r.through_sudo = true;
  return r;
}

// Alice (61001) and Bob (61002), each with a line; a line of root's and
// one without a mark (written before lines had owners).
const char kOwned[] =
    "127.0.0.1\tlocalhost\n"
    "##STARTDYNAMIC\n"
    "172.20.5.2 alice-vm # uid=61001\n"
    "172.20.6.2 bob-vm # uid=61002\n"
    "172.20.7.2 root-vm # uid=0\n"
    "172.20.8.2 old-vm\n"
    "##ENDDYNAMIC\n";

// Through sudo: expects a refusal, nothing written, and a reason holding
// `part`.
void ExpectRefused(const std::string& text, const std::string& host, const std::string& ip,
                   const SectionRules& rules, const std::string& part) {
  std::string out = "unset", why;
  SectionEdit got = ip.empty() ? UnmapDynamicHost(text, host, rules, &out, &why)
                               : MapDynamicHost(text, host, ip, rules, &out, &why);
  EXPECT_EQ(SectionEdit::kRefused, got) << host << " " << ip;
  EXPECT_EQ("unset", out) << host << " " << ip;
  EXPECT_NE(std::string::npos, why.find(part)) << why;
}

TEST(HostsSection, ThroughSudoTheNewLineIsTheUsers) {
  std::string out, why;
  ASSERT_EQ(SectionEdit::kChanged,
            MapDynamicHost(kOwned, "alice-vm2", "172.20.9.2", Sudo(61001), &out, &why))
      << why;
  EXPECT_NE(std::string::npos, out.find("\n172.20.9.2 alice-vm2 # uid=61001\n##ENDDYNAMIC\n"))
      << out;
  // Her own line, exactly: nothing to do.
  EXPECT_EQ(SectionEdit::kUnchanged,
            MapDynamicHost(kOwned, "alice-vm", "172.20.5.2", Sudo(61001), &out, &why));
}

TEST(HostsSection, ThroughSudoOnlyTheOwnerChangesALine) {
  // Bob repoints Alice's name to his address.
  ExpectRefused(kOwned, "alice-vm", "172.20.6.2", Sudo(61002),
                "alice-vm is mapped at line 3 by uid 61001: "
                "\"172.20.5.2 alice-vm # uid=61001\"; only its owner or root "
                "may change that line; refusing to map alice-vm to 172.20.6.2");
  // Bob takes Alice's address for his name (which would drop her line).
  ExpectRefused(kOwned, "bob-vm", "172.20.5.2", Sudo(61002),
                "172.20.5.2 is mapped at line 3 by uid 61001");
  ExpectRefused(kOwned, "bob-vm2", "172.20.5.2", Sudo(61002),
                "172.20.5.2 is mapped at line 3 by uid 61001");
  // Bob removes Alice's name.
  ExpectRefused(kOwned, "alice-vm", "", Sudo(61002), "alice-vm is mapped at line 3 by uid 61001");
  ExpectRefused(kOwned, "ALICE-VM", "", Sudo(61002), "uid 61001");
  // Root's lines, marked or not.
  ExpectRefused(kOwned, "root-vm", "172.20.6.2", Sudo(61002), "by root (uid 0)");
  ExpectRefused(kOwned, "old-vm", "", Sudo(61002), "by root (no \"# uid=\" mark)");
  ExpectRefused(kOwned, "bob-vm2", "172.20.8.2", Sudo(61002),
                "172.20.8.2 is mapped at line 6 by root");
}

TEST(HostsSection, ThroughSudoTheOwnerMovesAndRemovesTheirLine) {
  std::string out, why;
  ASSERT_EQ(SectionEdit::kChanged,
            MapDynamicHost(kOwned, "bob-vm", "172.20.16.2", Sudo(61002), &out, &why))
      << why;
  EXPECT_EQ(std::string::npos, out.find("172.20.6.2")) << out;
  EXPECT_NE(std::string::npos, out.find("\n172.20.16.2 bob-vm # uid=61002\n"));
  ASSERT_EQ(SectionEdit::kChanged, UnmapDynamicHost(kOwned, "bob-vm", Sudo(61002), &out, &why))
      << why;
  EXPECT_EQ(std::string::npos, out.find("bob-vm")) << out;
  EXPECT_NE(std::string::npos, out.find("alice-vm # uid=61001")) << out;
}

TEST(HostsSection, ThroughSudoALineWithoutOwnerOnTheUsersTapIsTheirs) {
  // The unmarked line's address is the guest address of Bob's tap8.
  SectionRules bob = Sudo(61002);
  std::vector<uint32_t> asked;
  bob.owns_guest_address = [&](uint32_t addr) {
    asked.push_back(addr);
    return addr == ((172u << 24) | (20u << 16) | (8u << 8) | 2u);
  };
  std::string out, why;
  ASSERT_EQ(SectionEdit::kChanged, MapDynamicHost(kOwned, "bob-new", "172.20.8.2", bob, &out, &why))
      << why;
  EXPECT_EQ(std::string::npos, out.find("old-vm")) << out;
  EXPECT_NE(std::string::npos, out.find("172.20.8.2 bob-new # uid=61002"));
  ASSERT_EQ(SectionEdit::kChanged, UnmapDynamicHost(kOwned, "old-vm", bob, &out, &why)) << why;
  // The exception is for lines without an owner only: a marked line of
  // another user, or root's, stays theirs even on the user's tap.
  bob.owns_guest_address = [](uint32_t) { return true; };
  ExpectRefused(kOwned, "alice-vm", "", bob, "uid 61001");
  ExpectRefused(kOwned, "root-vm", "", bob, "root (uid 0)");
  // And only for the user's taps.
  bob.owns_guest_address = [](uint32_t) { return false; };
  ExpectRefused(kOwned, "old-vm", "", bob, "root (no");
}

TEST(HostsSection, RootRunDirectlyChangesEveryLine) {
  std::string out, why;
  EXPECT_EQ(SectionEdit::kChanged, MapDynamicHost(kOwned, "alice-vm", "172.20.6.2", &out, &why));
  EXPECT_NE(std::string::npos, out.find("\n172.20.6.2 alice-vm # uid=0\n"));
  EXPECT_EQ(std::string::npos, out.find("bob-vm")) << out;
  EXPECT_EQ(SectionEdit::kChanged, UnmapDynamicHost(kOwned, "alice-vm", &out, &why));
  // SUDO_UID=0 is root too.
  EXPECT_EQ(SectionEdit::kChanged, UnmapDynamicHost(kOwned, "root-vm", Sudo(0), &out, &why));
}

// --- limits: lines per user, lines in all ------------------------------------

// A section of `own` lines of uid 5 and `others` lines of uid 6, with a
// comment and a blank line, which are not entries.
std::string Section(int own, int others) {
  std::string s = "127.0.0.1 localhost\n##STARTDYNAMIC\n# guests\n\n";
  for (int i = 0; i < own; ++i)
    s += "172.20." + std::to_string(i) + ".2 own" + std::to_string(i) + " # uid=5\n";
  for (int i = 0; i < others; ++i)
    s += "172.20." + std::to_string(100 + i) + ".2 other" + std::to_string(i) + " # uid=6\n";
  return s + "##ENDDYNAMIC\n";
}

TEST(HostsSection, ThroughSudoAUserOwnsAtMostMaxPerUserLines) {
  SectionRules r = Sudo(5);
  r.max_per_user = 3;
  std::string out, why;
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(Section(2, 5), "own2", "172.20.2.2", r, &out, &why))
      << why;
  ExpectRefused(Section(3, 5), "own3", "172.20.3.2", r,
                "uid 5 already owns 3 lines of the dynamic section, and "
                "hosts_max_per_user = 3; refusing to map own3 to 172.20.3.2");
  // At the limit a user still moves or renames a line of their own.
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(Section(3, 5), "own0", "172.20.50.2", r, &out, &why))
      << why;
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(Section(3, 5), "renamed", "172.20.1.2", r, &out, &why))
      << why;
  // Taking over a line without an owner adds one to theirs.
  r.owns_guest_address = [](uint32_t) { return true; };
  ExpectRefused(Section(3, 0), "own9", "172.20.7.2", r, "hosts_max_per_user");
  std::string unowned =
      "##STARTDYNAMIC\n172.20.1.2 x # uid=5\n"
      "172.20.2.2 y # uid=5\n172.20.3.2 z # uid=5\n"
      "172.20.4.2 legacy\n##ENDDYNAMIC\n";
  ExpectRefused(unowned, "w", "172.20.4.2", r, "hosts_max_per_user = 3");
  // 0 allows none.
  r.max_per_user = 0;
  ExpectRefused(Section(0, 0), "own0", "172.20.0.2", r, "hosts_max_per_user = 0");
}

TEST(HostsSection, ThroughSudoTheSectionHoldsAtMostMaxEntriesLines) {
  SectionRules r = Sudo(5);
  r.max_entries = 6;
  std::string out, why;
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(Section(1, 4), "own1", "172.20.1.2", r, &out, &why))
      << why;
  ExpectRefused(Section(1, 5), "own1", "172.20.1.2", r,
                "the dynamic section already holds 6 lines, and "
                "hosts_max_entries = 6; refusing to map own1 to 172.20.1.2");
  // Replacing a line does not grow the section.
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(Section(1, 5), "own0", "172.20.9.2", r, &out, &why))
      << why;
  // Root run directly is not limited.
  r.through_sudo = false;
  EXPECT_EQ(SectionEdit::kChanged,
            MapDynamicHost(Section(1, 5), "own1", "172.20.1.2", r, &out, &why))
      << why;
}

// --- messages -------------------------------------------------------------

TEST(HostsSection, MessagesShowControlCharactersEscaped) {
  EXPECT_EQ("\"127.0.0.1\\tlocalhost\"", QuoteForMessage("127.0.0.1\tlocalhost"));
  EXPECT_EQ("\"a\\r\\nb\\x1b[2J\\x7f\\xff\\\\\\\"\"",
            QuoteForMessage(std::string("a\r\nb\x1b[2J\x7f\xff\\\"")));
  EXPECT_EQ("\"\\x00\"", QuoteForMessage(std::string(1, '\0')));
  std::string cut = QuoteForMessage(std::string(200, '\t'));
  EXPECT_LE(cut.size(), 90u);
  EXPECT_EQ("...\"", cut.substr(cut.size() - 4));
  // What a refusal quotes from the hosts file (the issue's example).
  std::string why = Refused("127.0.0.1\tlocalhost\n", "localhost", "172.20.1.2");
  EXPECT_NE(std::string::npos, why.find("\"127.0.0.1\\tlocalhost\"")) << why;
  EXPECT_EQ(std::string::npos, why.find('?')) << why;
}

// --- random files against a plain oracle ------------------------------------

// The rules written the simplest way, to check the real thing against.
bool OracleMatches(const std::string& line, const std::string& host, const std::string& ip) {
  std::istringstream in(line.substr(0, line.find('#')));
  std::string field;
  bool first = true;
  while (in >> field) {
    if (first && field == ip) return true;
    if (!first && strcasecmp(field.c_str(), host.c_str()) == 0) return true;
    first = false;
  }
  return false;
}

TEST(HostsSection, RandomFilesAgreeWithAPlainOracle) {
  const std::vector<std::string> pool = {"10.0.0.5 server fs",
                                         "::1 localhost ip6-localhost",
                                         "# a comment",
                                         "",
                                         "   ",
                                         "172.20.1.2 guest1",
                                         "172.20.2.2\tguest2 g2",
                                         "172.20.1.23 guest12",
                                         "10.9.9.9 GUEST3 # old",
                                         "# guest4",
                                         "172.20.4.2 x # 172.20.3.2",
                                         "\t172.20.5.2   guest5  ",
                                         "1.1.1.1 Guest1x",
                                         "172.20.1.2 guest1 # uid=0",
                                         "172.20.5.2 guest5 # uid=0"};
  const std::vector<std::string> hosts = {"guest1", "guest2", "GUEST3", "guest4",
                                          "guest5", "g2",     "fs"};
  const std::vector<std::string> ips = {"172.20.1.2", "172.20.2.2", "172.20.3.2",
                                        "172.20.5.2", "10.0.0.5",   "172.20.1.23"};
  std::mt19937 rng(20050809);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  int changed = 0, refused = 0, unchanged = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> pre, section, post;
    for (unsigned i = rng() % 4; i > 0; --i) pre.push_back(pick(pool));
    for (unsigned i = rng() % 5; i > 0; --i) section.push_back(pick(pool));
    for (unsigned i = rng() % 3; i > 0; --i) post.push_back(pick(pool));
    std::string text;
    for (const auto& l : pre) text += l + "\n";
    text += "##STARTDYNAMIC\n";
    for (const auto& l : section) text += l + "\n";
    text += "##ENDDYNAMIC\n";
    for (const auto& l : post) text += l + "\n";
    std::string host = pick(hosts), ip = pick(ips);

    bool outside = false;
    for (const auto& l : pre) outside |= OracleMatches(l, host, ip);
    for (const auto& l : post) outside |= OracleMatches(l, host, ip);
    std::string want;
    int matches = 0;
    bool exact = false;
    for (const auto& l : pre) want += l + "\n";
    want += "##STARTDYNAMIC\n";
    for (const auto& l : section) {
      if (OracleMatches(l, host, ip)) {
        ++matches;
        exact = l == ip + " " + host + " # uid=0";
      } else {
        want += l + "\n";
      }
    }
    want += ip + " " + host + " # uid=0\n##ENDDYNAMIC\n";
    for (const auto& l : post) want += l + "\n";

    std::string out = "unset", why;
    SectionEdit got = MapDynamicHost(text, host, ip, &out, &why);
    if (outside) {
      ASSERT_EQ(SectionEdit::kRefused, got) << text << host << " " << ip;
      ++refused;
    } else if (matches == 1 && exact) {
      ASSERT_EQ(SectionEdit::kUnchanged, got) << text << host << " " << ip;
      ++unchanged;
    } else {
      ASSERT_EQ(SectionEdit::kChanged, got) << text << host << " " << ip;
      ASSERT_EQ(want, out) << text << host << " " << ip;
      std::string again;
      ASSERT_EQ(SectionEdit::kUnchanged, MapDynamicHost(out, host, ip, &again, &why));
      ++changed;
    }
  }
  // Every branch was exercised.
  EXPECT_GT(changed, 100);
  EXPECT_GT(refused, 100);
  EXPECT_GT(unchanged, 3);
}

}  // namespace
