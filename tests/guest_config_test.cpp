#include "guest_config.hpp"

#include <gtest/gtest.h>

#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "qemu_args.hpp"
#include "test_guests.hpp"

using namespace runall;
using namespace runall::test;

namespace {

std::vector<GuestRecord> Parse(const std::string& text) { return ParseGuests(text); }

std::string ParseError(const std::string& text) {
  std::vector<GuestRecord> records;
  std::string err;
  EXPECT_FALSE(ParseGuestConfig(text, "guests", TestSettings(), &records, &err))
      << "parsed: " << text;
  return err;
}

using Words = std::vector<std::string>;

}  // namespace

TEST(GuestConfig, ArticleExampleGivesTheArticlesRecords) {
  std::vector<GuestRecord> r = Parse(kArticleConfig);
  ASSERT_EQ(r.size(), 5u);
  struct {
    const char* host;
    const char* image;
    unsigned start, stop, mem;
    std::vector<Words> options;
  } const want[] = {
      {"netqemu", "/data/qemu/netbsd-2.0.2.img", 240, 60, 64, {}},
      {"solqemu",
       "/data/qemu/solaris-10.img",
       2400,
       2000,
       128,
       {{"-cdrom", "/data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso"}}},
      {"gentqemu", "/data/qemu/gentoo.img", 1200, 1200, 64, {}},
      {"freeqemu",
       "/data/qemu/freebsd-5.4.img",
       720,
       60,
       64,
       {{"-cdrom", "/data/os/freeBSD-5.4/5.4-RELEASE-i386-disc1.iso"}}},
      {"openqemu", "/data/qemu/openbsd-3.7.img", 240, 60, 64, {}},
  };
  for (size_t i = 0; i < r.size(); ++i) {
    SCOPED_TRACE(want[i].host);
    EXPECT_EQ(r[i].hostname, want[i].host);
    EXPECT_EQ(r[i].image, want[i].image);
    EXPECT_EQ(r[i].start_timeout, want[i].start);
    EXPECT_EQ(r[i].stop_timeout, want[i].stop);
    EXPECT_EQ(r[i].memory_mib, want[i].mem);
    EXPECT_TRUE(r[i].local_time);
    EXPECT_EQ(r[i].option_lines, want[i].options);
  }
  EXPECT_EQ(r[0].line, 11u);
  EXPECT_EQ(r[1].line, 13u);
  EXPECT_EQ(r[4].line, 23u);
}

TEST(GuestConfig, RecordsEndAtBlankLinesOrTheEndOfTheFile) {
  // No trailing blank line, CRLF line ends, blanks on the "blank" lines,
  // tabs between fields, and a comment inside a record (which, as in the
  // article, does not end it).
  std::vector<GuestRecord> r = Parse(
      "a a.img 10 20 32\r\n"
      "  -cdrom /x.iso\r\n"
      "# still a's\r\n"
      "-usb\r\n"
      "   \t\r\n"
      "\n"
      "b\tb.img\n"
      "-hdb /y.img");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].option_lines, (std::vector<Words>{{"-cdrom", "/x.iso"}, {"-usb"}}));
  EXPECT_FALSE(r[0].local_time);
  EXPECT_EQ(r[1].hostname, "b");
  EXPECT_EQ(r[1].option_lines, (std::vector<Words>{{"-hdb", "/y.img"}}));
}

TEST(GuestConfig, MissingTrailingFieldsTakeTheDefaults) {
  std::vector<GuestRecord> r = Parse(
      "a a.img\n\n"
      "b b.img 30\n\n"
      "c c.img - - 256\n\n"
      "d /abs/d.qcow2 - 45 1G L\n");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].start_timeout, 600u);  // settings' start_timeout
  EXPECT_EQ(r[0].stop_timeout, 500u);
  EXPECT_EQ(r[0].memory_mib, 0u);  // QEMU's default
  EXPECT_EQ(r[1].start_timeout, 30u);
  EXPECT_EQ(r[1].stop_timeout, 500u);
  EXPECT_EQ(r[2].start_timeout, 600u);
  EXPECT_EQ(r[2].memory_mib, 256u);
  EXPECT_EQ(r[3].image, "/abs/d.qcow2");
  EXPECT_EQ(r[3].stop_timeout, 45u);
  EXPECT_EQ(r[3].memory_mib, 1024u);
  EXPECT_TRUE(r[3].local_time);
  EXPECT_EQ(r[3].image_format, "qcow2");
}

TEST(GuestConfig, ErrorsNameFileAndLine) {
  struct {
    const char* text;
    const char* expect;
  } const cases[] = {
      {"\n\nonlyhost\n", "guests:3: record for onlyhost: missing imgfile"},
      {"h h.img soon\n", "guests:1: record for h: starttimeout \"soon\" is not a positive number"},
      {"h h.img 10 x\n", "guests:1: record for h: stoptimeout \"x\""},
      {"h h.img 10 0\n", "guests:1: record for h: stoptimeout \"0\""},
      {"h h.img 10 10 lots\n", "guests:1: record for h: memsize \"lots\""},
      {"h h.img 10 10 64 X\n", "guests:1: record for h: unknown flag \"X\""},
      {"h h.img 10 10 64 L extra\n", "guests:1: record for h: unexpected field \"extra\""},
      {"h h.img\n\nother o.img\n\nH x.img\n",
       "guests:5: duplicate hostname \"H\" (first at line 1)"},
      {"bad_name x.img\n", "guests:1: invalid hostname \"bad_name\""},
      {"h h.img\n\n-cdrom /x.iso\n", "guests:3: invalid hostname \"-cdrom\""},
      {"h h.img\n-cdrom \"/x.iso\n", "guests:2: unterminated \" quote"},
      {"h h.img\nnic = e1000\nnic = virtio-net-pci\n",
       "guests:3: nic is set twice in the record of h (first at line 2)"},
      {"h h.img\ncolour = blue\n", "guests:2: unknown setting \"colour\""},
      {"h h.img\narch = vax\n", "guests:2: bad value for arch: \"vax\""},
      {"h h.img\nshare = nfs\n", "guests:2: bad value for share"},
      {"h h.img\nboot_signal = ping\n", "guests:2: bad value for boot_signal"},
      {"h h.img\nmac = 53:54:00:00:00:01\n", "guests:2: bad value for mac"},
      {"h h.img\nconsole_log = rel/log\n", "guests:2: console_log must be an absolute path"},
      {"h h.img\ndrive_if = usb\n", "guests:2: bad value for drive_if"},
      {"h h.img\naccel = fast\n",
       "guests:2: bad value for accel: \"fast\" (auto, kvm, tcg, hvf, whpx, nvmm, xen or hax)"},
      {"h h.img\nqemu =\n", "guests:2: qemu needs a value"},
      {"arch = aarch64\nh h.img\n", "guests:1: \"arch = ...\" must follow the first line"},
      {"h h.img\n-daemonize\n", "guests:2: -daemonize would give QEMU another pid"},
      {"common h.img\nshare = 9p\n", "guests:1: hostname common: its read-write directory"},
  };
  for (const auto& c : cases) {
    std::string err = ParseError(c.text);
    EXPECT_EQ(err.compare(0, strlen(c.expect), c.expect), 0)
        << "text: " << c.text << "\nerror: " << err << "\nwanted: " << c.expect;
  }
}

TEST(GuestConfig, SettingsLinesAndArchitectureDefaults) {
  std::vector<GuestRecord> r = Parse(
      "plain plain.img\n"
      "\n"
      "arm arm.qcow2 100 100 512\n"
      "arch = aarch64\n"
      "share = 9p   # the guest has 9p\n"
      "boot_signal = ssh\n"
      "shutdown = /sbin/shutdown -p now\n"
      "console_log = /var/log/arm.console\n"
      "\n"
      "z z.img\n"
      "arch=s390x\n"
      "nic=none\n"
      "rng = none\n"
      "mac = 02:00:00:AB:CD:EF\n"
      "qemu = /opt/qemu/bin/qemu-system-s390x\n"
      "machine = s390-ccw-virtio,accel=tcg\n"
      "drive_if = none\n"
      "image_format = raw\n"
      "display = none\n");
  ASSERT_EQ(r.size(), 3u);
  const GuestRecord& p = r[0];
  EXPECT_EQ(p.arch, "x86_64");
  EXPECT_EQ(p.qemu, "qemu-system-x86_64");
  EXPECT_EQ(p.machine, "");
  EXPECT_EQ(p.nic, "virtio-net-pci");
  EXPECT_EQ(p.rng, "virtio-rng-pci");
  EXPECT_EQ(p.drive_if, "virtio");
  EXPECT_EQ(p.share, "none");
  EXPECT_EQ(p.image_format, "raw");
  EXPECT_EQ(p.shutdown, "poweroff");
  EXPECT_EQ(p.boot_signal, BootSignal::kUpFile);
  EXPECT_EQ(p.mac, MacForHostname("plain"));

  const GuestRecord& a = r[1];
  EXPECT_EQ(a.qemu, "qemu-system-aarch64");
  EXPECT_EQ(a.machine, "virt");
  EXPECT_EQ(a.cpu, "max");
  EXPECT_EQ(a.share, "9p");
  EXPECT_EQ(a.boot_signal, BootSignal::kSsh);
  EXPECT_EQ(a.shutdown, "/sbin/shutdown -p now");
  EXPECT_EQ(a.console_log, "/var/log/arm.console");
  EXPECT_EQ(a.image_format, "qcow2");
  EXPECT_TRUE(a.option_lines.empty());

  const GuestRecord& z = r[2];
  EXPECT_EQ(z.qemu, "/opt/qemu/bin/qemu-system-s390x");
  EXPECT_EQ(z.machine, "s390-ccw-virtio,accel=tcg");
  EXPECT_EQ(z.nic, "none");
  EXPECT_EQ(z.rng, "none");
  EXPECT_EQ(z.mac, "02:00:00:ab:cd:ef");
  EXPECT_EQ(z.drive_if, "none");
  EXPECT_EQ(z.display, "none");
}

TEST(GuestConfig, SplitWordsQuotesAndComments) {
  Words w;
  std::string why;
  ASSERT_TRUE(SplitWords("  -cdrom \"/my isos/a b.iso\"  -name 'x \"y\"' a\\ b", &w, &why));
  EXPECT_EQ(w, (Words{"-cdrom", "/my isos/a b.iso", "-name", "x \"y\"", "a b"}));
  ASSERT_TRUE(SplitWords("-append \"console=ttyS0 x=\\\"1\\\"\" # a comment", &w, &why));
  EXPECT_EQ(w, (Words{"-append", "console=ttyS0 x=\"1\""}));
  ASSERT_TRUE(SplitWords("-name a#b", &w, &why));  // '#' inside a word stays
  EXPECT_EQ(w, (Words{"-name", "a#b"}));
  ASSERT_TRUE(SplitWords("-cdrom \"\"", &w, &why));
  EXPECT_EQ(w, (Words{"-cdrom", ""}));
  EXPECT_FALSE(SplitWords("-x 'open", &w, &why));
  EXPECT_EQ(why, "unterminated ' quote");
}

TEST(GuestConfig, QuotedOptionLinesKeepPathsWithSpaces) {
  std::vector<GuestRecord> r =
      Parse("h h.img\n-cdrom \"/data/my isos/install.iso\"  # the installer\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].option_lines, (std::vector<Words>{{"-cdrom", "/data/my isos/install.iso"}}));
}

TEST(GuestConfig, ShippedExampleParsesCommentedAndUncommented) {
  // The test runner works from the top of the tree.
  std::vector<GuestRecord> records;
  std::string err;
  ASSERT_TRUE(LoadGuestConfig("etc/runall-guests", TestSettings(), &records, &err)) << err;
  EXPECT_TRUE(records.empty());  // installed as is, it starts no guest
  // Uncommented: every "#x" line (not "##", not "# ") loses its '#'.
  FILE* f = fopen("etc/runall-guests", "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    std::string l = line;
    if (l.size() > 1 && l[0] == '#' && l[1] != '#' && l[1] != ' ') l.erase(0, 1);
    text += l;
  }
  fclose(f);
  ASSERT_TRUE(ParseGuestConfig(text, "example", TestSettings(), &records, &err)) << err;
  Words names;
  for (const auto& r : records) names.push_back(r.hostname);
  EXPECT_EQ(names, (Words{"netqemu", "solqemu", "gentqemu", "freeqemu", "openqemu", "debian",
                          "zdebian", "alpine", "armdeb"}));
  EXPECT_EQ(records[0].drive_if, "ide");
  EXPECT_EQ(records[0].nic, "e1000");
  EXPECT_EQ(records[6].qemu, "qemu-system-s390x");
  EXPECT_EQ(records[7].network, NetworkMode::kUser);
  EXPECT_EQ(records[7].ssh_port, 2222u);
  EXPECT_EQ(records[8].boot_signal, BootSignal::kSsh);
}

TEST(GuestConfig, NetworkComesFromTheSettingsUnlessTheRecordSays) {
  Settings user = TestSettings();
  user.network = NetworkMode::kUser;
  std::vector<GuestRecord> r;
  std::string err;
  ASSERT_TRUE(
      ParseGuestConfig("a a.img\n\nb b.img\nnetwork = tap\n\n"
                       "c c.img\nnetwork = user\nssh_port = 2222\n",
                       "guests", user, &r, &err))
      << err;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].network, NetworkMode::kUser);
  EXPECT_EQ(r[0].ssh_port, 0u);  // QEMU takes a free port
  EXPECT_EQ(r[1].network, NetworkMode::kTap);
  EXPECT_EQ(r[2].network, NetworkMode::kUser);
  EXPECT_EQ(r[2].ssh_port, 2222u);
  // The administrator's settings: tap unless a record says.
  std::vector<GuestRecord> t = Parse("a a.img\n\nb b.img\nnetwork = user\n");
  EXPECT_EQ(t[0].network, NetworkMode::kTap);
  EXPECT_EQ(t[1].network, NetworkMode::kUser);
}

TEST(GuestConfig, UserNetworkRefusesWhatItCannotDo) {
  EXPECT_EQ(ParseError("h h.img\nnetwork = user\n-netdev user,id=n0\n"
                       "-device e1000,netdev=n0\n"),
            "guests:1: record for h: network = user, but its option lines "
            "bring their own network (-net, -netdev or -nic): runall adds the "
            "card and forwards ssh to it itself; remove them, or set network = "
            "tap");
  EXPECT_NE(ParseError("h h.img\nnetwork = user\n-nic user\n").find("bring their own network"),
            std::string::npos);
  EXPECT_NE(ParseError("h h.img\nnetwork = user\n--net nic\n").find("bring their own network"),
            std::string::npos);
  // runall learns the forwarded port from its own monitor: a record's own
  // QMP monitor needs a fixed port.
  EXPECT_EQ(ParseError("h h.img\nnetwork = user\n-qmp unix:/tmp/m,server=on\n"),
            "guests:1: record for h: network = user, but its option lines "
            "bring their own QMP monitor (-qmp, -mon mode=control), and runall "
            "learns the forwarded ssh port from its own: remove them, or set "
            "ssh_port");
  {
    std::vector<GuestRecord> records;
    std::string err;
    EXPECT_TRUE(
        ParseGuestConfig("h h.img\nnetwork = user\nssh_port = 2222\n"
                         "-qmp unix:/tmp/m,server=on\n",
                         "guests", TestSettings(), &records, &err))
        << err;
  }
  EXPECT_EQ(ParseError("h h.img\nnetwork = user\nnic = none\n"),
            "guests:3: record for h: network = user needs a network card, and "
            "nic = none gives it none");
  EXPECT_EQ(ParseError("abcdefghij-abcdefghij-abcdefghij-x h.img\n"
                       "network = user\n"),
            "guests:1: record for abcdefghij-abcdefghij-abcdefghij-x: network "
            "= user: QEMU's DHCP server gives a guest at most 32 characters of "
            "its name, and this one has 34 (~/hostname would not answer it)");
  EXPECT_EQ(ParseError("h h.img\nssh_port = 2222\n"),
            "guests:2: record for h: ssh_port is for network = user (a tap "
            "guest is reached at its own address)");
  EXPECT_EQ(ParseError("h h.img\nnetwork = user\nssh_port = 0\n"),
            "guests:3: bad value for ssh_port: \"0\" (a port number from 1 to "
            "65535)");
  EXPECT_EQ(ParseError("h h.img\nnetwork = user\nssh_port = 65536\n"),
            "guests:3: bad value for ssh_port: \"65536\" (a port number from 1 "
            "to 65535)");
  EXPECT_EQ(ParseError("h h.img\nnetwork = passt\n"),
            "guests:2: bad value for network: \"passt\" (tap or user)");
  EXPECT_EQ(ParseError("a a.img\nnetwork = user\nssh_port = 2222\n\n"
                       "b b.img\nnetwork = user\nssh_port = 2222\n"),
            "guests:7: record for b: ssh_port 2222 is also the ssh_port of a "
            "(line 1)");
  // Tap guests keep their own network lines, as they always could.
  std::vector<GuestRecord> r = Parse("h h.img\n-netdev user,id=n0\n");
  EXPECT_EQ(r[0].network, NetworkMode::kTap);
}

TEST(GuestConfig, UserNetworkDefaultNamedInTheRefusal) {
  Settings user = TestSettings();
  user.network = NetworkMode::kUser;
  std::vector<GuestRecord> r;
  std::string err;
  EXPECT_FALSE(ParseGuestConfig("h h.img\n-nic user\n", "guests", user, &r, &err));
  EXPECT_NE(err.find("network = user (the default of the settings), but its "
                     "option lines"),
            std::string::npos)
      << err;
}

TEST(GuestConfig, ResumeDefaultsToTheSettings) {
  Settings settings = TestSettings();
  std::vector<GuestRecord> r;
  std::string err;
  ASSERT_TRUE(ParseGuestConfig("a a.img\n\nb b.img\nresume = yes\n\nc c.img\nresume = throwaway\n",
                               "guests", settings, &r, &err))
      << err;
  EXPECT_EQ(r[0].resume, ResumeMode::kNo);
  EXPECT_EQ(r[1].resume, ResumeMode::kYes);
  EXPECT_EQ(r[2].resume, ResumeMode::kThrowaway);
  settings.resume = ResumeMode::kThrowaway;
  ASSERT_TRUE(ParseGuestConfig("a a.img\n\nb b.img\nresume = no\n", "guests", settings, &r, &err))
      << err;
  EXPECT_EQ(r[0].resume, ResumeMode::kThrowaway);
  EXPECT_EQ(r[1].resume, ResumeMode::kNo);
  EXPECT_FALSE(ParseGuestConfig("a a.img\nresume = maybe\n", "guests", settings, &r, &err));
  EXPECT_EQ(err, "guests:2: bad value for resume: \"maybe\" (yes, no or throwaway)");
}

TEST(GuestConfig, AccelDefaultsToTheSettings) {
  Settings settings = TestSettings();
  settings.accel = "tcg";
  std::vector<GuestRecord> r;
  std::string err;
  ASSERT_TRUE(ParseGuestConfig("a a.img\n\nb b.img\naccel = kvm\n", "guests", settings, &r, &err))
      << err;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].accel, "tcg");
  EXPECT_EQ(r[1].accel, "kvm");
  EXPECT_EQ(ParseGuests("c c.img\n")[0].accel, "auto");
}
