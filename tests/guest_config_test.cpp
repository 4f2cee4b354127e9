#include "guest_config.hpp"

#include <gtest/gtest.h>

#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace runall;

namespace {

// The article's example config, as printed there, with the blank lines
// that delimit its records.
const char kArticleConfig[] =
    "## GUEST OS CONFIGURATION FILE\n"
    "##\n"
    "## Commented lines are ignored; blank lines delimit the OSes\n"
    "## For safely, timeouts must be calculated based on running without\n"
    "## kqemu. Timeouts are for boot and shutdown respectively.\n"
    "##\n"
    "## The first line of each OS is delimited by single spaces with fields\n"
    "## as below. The next set of consecutive lines are additional options\n"
    "## to pass to qemu (one specified per line)\n"
    "# hostname imgfile starttimeout endtimeout memsize -localtime?(L=yes)\n"
    "netqemu netbsd-2.0.2.img 240 60 64 L\n"
    "\n"
    "solqemu solaris-10.img 2400 2000 128 L\n"
    "-cdrom /data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso\n"
    "\n"
    "gentqemu gentoo.img 1200 1200 64 L\n"
    "\n"
    "freeqemu freebsd-5.4.img 720 60 64 L\n"
    "-cdrom /data/os/freeBSD-5.4/5.4-RELEASE-i386-disc1.iso\n"
    "\n"
    "# openqemu should be last as it suffers least under kqemu-less\n"
    "# operation\n"
    "openqemu openbsd-3.7.img 240 60 64 L\n"
    "\n"
    "#the last OS must be terminated by a blank line\n";

Settings TestSettings() {
  Settings s = DefaultSettings();
  s.image_dir = "/data/qemu";
  s.start_timeout = 600;
  s.stop_timeout = 500;
  s.common_ro_host = "/srv/ro";
  s.common_rw_host = "/srv/rw/common";
  s.rw_host_base = "/srv/rw";
  return s;
}

std::vector<GuestRecord> Parse(const std::string& text) {
  std::vector<GuestRecord> records;
  std::string err;
  EXPECT_TRUE(ParseGuestConfig(text, "guests", TestSettings(), &records, &err))
      << err;
  return records;
}

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
      {"solqemu", "/data/qemu/solaris-10.img", 2400, 2000, 128,
       {{"-cdrom", "/data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso"}}},
      {"gentqemu", "/data/qemu/gentoo.img", 1200, 1200, 64, {}},
      {"freeqemu", "/data/qemu/freebsd-5.4.img", 720, 60, 64,
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
  EXPECT_EQ(r[0].option_lines,
            (std::vector<Words>{{"-cdrom", "/data/my isos/install.iso"}}));
}

TEST(MacForHostname, IsStableLocallyAdministeredAndCaseInsensitive) {
  // Reference values computed independently of this code (FNV-1a 32, the
  // top byte xor-folded into the low 24 bits).
  EXPECT_EQ(MacForHostname("netqemu"), "52:54:00:76:cd:09");
  EXPECT_EQ(MacForHostname("solqemu"), "52:54:00:5c:21:ab");
  EXPECT_EQ(MacForHostname("NetQemu"), "52:54:00:76:cd:09");
  EXPECT_EQ(MacForHostname("a"), "52:54:00:0c:29:c8");
  EXPECT_EQ(MacForHostname("guest-x86"), "52:54:00:36:14:2a");
  std::string mac = MacForHostname("anything");
  EXPECT_TRUE(ValidMac(mac));
  unsigned first = static_cast<unsigned>(std::stoul(mac.substr(0, 2), nullptr, 16));
  EXPECT_EQ(first & 2u, 2u);  // locally administered
  EXPECT_EQ(first & 1u, 0u);  // unicast
}

TEST(MacForHostname, ValidMac) {
  EXPECT_TRUE(ValidMac("52:54:00:12:34:56"));
  EXPECT_TRUE(ValidMac("02:AB:cd:00:00:00"));
  EXPECT_FALSE(ValidMac("01:00:5e:00:00:01"));  // multicast
  EXPECT_FALSE(ValidMac("52:54:00:12:34"));
  EXPECT_FALSE(ValidMac("52-54-00-12-34-56"));
  EXPECT_FALSE(ValidMac("52:54:00:12:34:5g"));
}

TEST(BuildQemuArgv, ArticleRecordForTodaysQemu) {
  std::vector<GuestRecord> r = Parse(kArticleConfig);
  ASSERT_EQ(r.size(), 5u);
  QemuCommand cmd = BuildQemuArgv(r[1], TestSettings());
  EXPECT_EQ(cmd.argv,
            (Words{"qemu-system-x86_64", "-m", "128", "-rtc", "base=localtime",
                   "-drive", "file=/data/qemu/solaris-10.img,format=raw,if=virtio",
                   "-device", "virtio-rng-pci", "-cdrom",
                   "/data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso"}));
  EXPECT_EQ(cmd.image, "/data/qemu/solaris-10.img");
  EXPECT_EQ(cmd.nic, "virtio-net-pci");
  EXPECT_EQ(cmd.mac, "52:54:00:5c:21:ab");
}

TEST(BuildQemuArgv, SharesDisplayAndOptionLinesLast) {
  std::vector<GuestRecord> r = Parse(
      "g g.img 60 60 256\n"
      "arch = aarch64\n"
      "share = 9p\n"
      "display = nographic\n"
      "-kernel /k\n"
      "-append \"console=ttyAMA0 quiet\"\n");
  ASSERT_EQ(r.size(), 1u);
  QemuCommand cmd = BuildQemuArgv(r[0], TestSettings());
  EXPECT_EQ(cmd.argv,
            (Words{"qemu-system-aarch64", "-machine", "virt", "-cpu", "max",
                   "-m", "256", "-drive", "file=/data/qemu/g.img,format=raw,if=virtio",
                   "-fsdev", "local,id=runall_common_ro,path=/srv/ro,security_model=none,readonly=on",
                   "-device", "virtio-9p-pci,fsdev=runall_common_ro,mount_tag=common_ro",
                   "-fsdev", "local,id=runall_rw,path=/srv/rw/g,security_model=none",
                   "-device", "virtio-9p-pci,fsdev=runall_rw,mount_tag=rw",
                   "-fsdev", "local,id=runall_common_rw,path=/srv/rw/common,security_model=none",
                   "-device", "virtio-9p-pci,fsdev=runall_common_rw,mount_tag=common_rw",
                   "-device", "virtio-rng-pci", "-nographic", "-kernel", "/k",
                   "-append", "console=ttyAMA0 quiet"}));
  EXPECT_EQ(SharedDirectories(r[0], TestSettings()),
            (Words{"/srv/ro", "/srv/rw/g", "/srv/rw/common"}));
}

TEST(BuildQemuArgv, S390xUsesChannelIoDevices) {
  std::vector<GuestRecord> r = Parse("s s.img\narch = s390x\nshare = 9p\n");
  ASSERT_EQ(r.size(), 1u);
  QemuCommand cmd = BuildQemuArgv(r[0], TestSettings());
  EXPECT_EQ(cmd.argv[0], "qemu-system-s390x");
  EXPECT_EQ(cmd.argv[1], "-machine");
  EXPECT_EQ(cmd.argv[2], "s390-ccw-virtio");
  EXPECT_NE(std::find(cmd.argv.begin(), cmd.argv.end(),
                      "virtio-9p-ccw,fsdev=runall_rw,mount_tag=rw"),
            cmd.argv.end());
  EXPECT_NE(std::find(cmd.argv.begin(), cmd.argv.end(), "virtio-rng-ccw"),
            cmd.argv.end());
  EXPECT_EQ(cmd.nic, "virtio-net-ccw");
}

TEST(BuildQemuArgv, RecordsBringingTheirOwnNetworkGetNone) {
  for (const char* line : {"-net nic -net tap,script=/etc/qemu-ifup",
                           "-netdev user,id=u0 -device e1000,netdev=u0",
                           "-nic user", "--netdev user,id=u"}) {
    std::vector<GuestRecord> r = Parse(std::string("h h.img\n") + line + "\n");
    ASSERT_EQ(r.size(), 1u);
    QemuCommand cmd = BuildQemuArgv(r[0], TestSettings());
    EXPECT_EQ(cmd.nic, "") << line;
    EXPECT_EQ(cmd.mac, "") << line;
    EXPECT_EQ(std::find(cmd.argv.begin(), cmd.argv.end(), "none"), cmd.argv.end())
        << line;
  }
  // nic = none: no card at all, so QEMU's default user network is switched
  // off too.
  std::vector<GuestRecord> r = Parse("h h.img\nnic = none\n");
  QemuCommand cmd = BuildQemuArgv(r[0], TestSettings());
  EXPECT_EQ(cmd.nic, "");
  ASSERT_GE(cmd.argv.size(), 2u);
  EXPECT_EQ(cmd.argv[cmd.argv.size() - 2], "-nic");
  EXPECT_EQ(cmd.argv.back(), "none");
}

TEST(BuildQemuArgv, OptionLinesOverrideMachineAndCpuAndCommasAreEscaped) {
  std::vector<GuestRecord> r = Parse(
      "h \"/imgs/a,b.img\"\n"
      "arch = aarch64\n"
      "drive_if = none\n"
      "-M virt,gic-version=3\n"
      "-cpu cortex-a72\n"
      "-device virtio-blk-pci,drive=disk0\n");
  ASSERT_EQ(r.size(), 1u);
  QemuCommand cmd = BuildQemuArgv(r[0], TestSettings());
  EXPECT_EQ(cmd.argv,
            (Words{"qemu-system-aarch64", "-drive",
                   "file=/imgs/a,,b.img,format=raw,if=none,id=disk0", "-device",
                   "virtio-rng-pci", "-M", "virt,gic-version=3", "-cpu",
                   "cortex-a72", "-device", "virtio-blk-pci,drive=disk0"}));
  EXPECT_EQ(cmd.image, "/imgs/a,b.img");
}

TEST(BuildQemuArgv, NetworkArgsAndRunqemuosArgs) {
  EXPECT_EQ(NetworkArgs("e1000", "52:54:00:01:02:03", 7),
            (Words{"-netdev", "tap,id=runall0,fd=7", "-device",
                   "e1000,netdev=runall0,mac=52:54:00:01:02:03"}));
  Settings s = TestSettings();
  s.hostname_dir = "/run/hn";
  s.launch_dir = "/run/launch";
  std::vector<GuestRecord> r = Parse("h h.img 10 10 64\n");
  QemuCommand cmd = BuildQemuArgv(r[0], s);
  Words args = RunqemuosArgs(r[0], cmd, s);
  EXPECT_EQ(args, (Words{"-i", "/data/qemu/h.img", "-N", "virtio-net-pci", "-M",
                         MacForHostname("h"), "h", "/run/hn", "/run/launch",
                         "qemu-system-x86_64", "-m", "64", "-drive",
                         "file=/data/qemu/h.img,format=raw,if=virtio", "-device",
                         "virtio-rng-pci"}));
}

TEST(GuestConfig, ShippedExampleParsesCommentedAndUncommented) {
  // The test runner works from the top of the tree.
  std::vector<GuestRecord> records;
  std::string err;
  ASSERT_TRUE(LoadGuestConfig("etc/runall-guests", TestSettings(), &records, &err))
      << err;
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
  EXPECT_EQ(names, (Words{"netqemu", "solqemu", "gentqemu", "freeqemu", "openqemu",
                          "debian", "zdebian", "armdeb"}));
  EXPECT_EQ(records[0].drive_if, "ide");
  EXPECT_EQ(records[0].nic, "e1000");
  EXPECT_EQ(records[6].qemu, "qemu-system-s390x");
  EXPECT_EQ(records[7].boot_signal, BootSignal::kSsh);
}
