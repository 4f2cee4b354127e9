#include "qemu_args.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_config.hpp"
#include "test_guests.hpp"

using namespace runall;
using namespace runall::test;

namespace {

using Words = std::vector<std::string>;

std::vector<GuestRecord> Parse(const std::string& text) { return ParseGuests(text); }

}  // namespace

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
            (Words{"qemu-system-x86_64", "-m", "128", "-rtc", "base=localtime", "-drive",
                   "file=/data/qemu/solaris-10.img,format=raw,if=virtio", "-device",
                   "virtio-rng-pci", "-cdrom", "/data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso"}));
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
            (Words{"qemu-system-aarch64",
                   "-machine",
                   "virt",
                   "-cpu",
                   "max",
                   "-m",
                   "256",
                   "-drive",
                   "file=/data/qemu/g.img,format=raw,if=virtio",
                   "-fsdev",
                   "local,id=runall_common_ro,path=/srv/ro,security_model=none,readonly=on",
                   "-device",
                   "virtio-9p-pci,fsdev=runall_common_ro,mount_tag=common_ro",
                   "-fsdev",
                   "local,id=runall_rw,path=/srv/rw/g,security_model=none",
                   "-device",
                   "virtio-9p-pci,fsdev=runall_rw,mount_tag=rw",
                   "-fsdev",
                   "local,id=runall_common_rw,path=/srv/rw/common,security_model=none",
                   "-device",
                   "virtio-9p-pci,fsdev=runall_common_rw,mount_tag=common_rw",
                   "-device",
                   "virtio-rng-pci",
                   "-nographic",
                   "-kernel",
                   "/k",
                   "-append",
                   "console=ttyAMA0 quiet"}));
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
  EXPECT_NE(
      std::find(cmd.argv.begin(), cmd.argv.end(), "virtio-9p-ccw,fsdev=runall_rw,mount_tag=rw"),
      cmd.argv.end());
  EXPECT_NE(std::find(cmd.argv.begin(), cmd.argv.end(), "virtio-rng-ccw"), cmd.argv.end());
  EXPECT_EQ(cmd.nic, "virtio-net-ccw");
}

TEST(BuildQemuArgv, RecordsBringingTheirOwnNetworkGetNone) {
  for (const char* line :
       {"-net nic -net tap,script=/etc/qemu-ifup", "-netdev user,id=u0 -device e1000,netdev=u0",
        "-nic user", "--netdev user,id=u"}) {
    std::vector<GuestRecord> r = Parse(std::string("h h.img\n") + line + "\n");
    ASSERT_EQ(r.size(), 1u);
    QemuCommand cmd = BuildQemuArgv(r[0], TestSettings());
    EXPECT_EQ(cmd.nic, "") << line;
    EXPECT_EQ(cmd.mac, "") << line;
    EXPECT_EQ(std::find(cmd.argv.begin(), cmd.argv.end(), "none"), cmd.argv.end()) << line;
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
  EXPECT_EQ(cmd.argv, (Words{"qemu-system-aarch64", "-drive",
                             "file=/imgs/a,,b.img,format=raw,if=none,id=disk0", "-device",
                             "virtio-rng-pci", "-M", "virt,gic-version=3", "-cpu", "cortex-a72",
                             "-device", "virtio-blk-pci,drive=disk0"}));
  EXPECT_EQ(cmd.image, "/imgs/a,b.img");
}

TEST(BuildQemuArgv, NetworkArgs) {
  EXPECT_EQ(NetworkArgs("e1000", "52:54:00:01:02:03", 7),
            (Words{"-netdev", "tap,id=runall0,fd=7", "-device",
                   "e1000,netdev=runall0,mac=52:54:00:01:02:03"}));
}

TEST(QemuArgs, SplitProgram) {
  auto known = [](const std::string& w) { return w == "qemu-system-aarch64"; };
  std::string program;
  Words args;
  SplitProgram({"qemu-system-aarch64", "-M", "virt"}, known, &program, &args);
  EXPECT_EQ(program, "qemu-system-aarch64");
  EXPECT_EQ(args, (Words{"-M", "virt"}));
  SplitProgram({"-m", "64", "x.img"}, known, &program, &args);
  EXPECT_EQ(program, "qemu-system-x86_64");
  EXPECT_EQ(args, (Words{"-m", "64", "x.img"}));
  // The article's record without options: the image is the only argument,
  // and it is not a program.
  SplitProgram({"/data/qemu/netbsd.img"}, known, &program, &args);
  EXPECT_EQ(program, "qemu-system-x86_64");
  EXPECT_EQ(args, (Words{"/data/qemu/netbsd.img"}));
}

TEST(QemuArgs, FindImageArg) {
  std::string image;
  ASSERT_TRUE(FindImageArg(
      {"-m", "64", "-drive", "if=virtio,file=/i/a,,b.img,format=raw", "-hda", "/i/hda.img"},
      &image));
  EXPECT_EQ(image, "/i/a,b.img");
  ASSERT_TRUE(FindImageArg({"-drive", "if=none,id=x", "-hda", "/i/hda.img", "/bare"}, &image));
  EXPECT_EQ(image, "/i/hda.img");
  ASSERT_TRUE(FindImageArg({"-localtime", "-m", "64", "/data/qemu/netbsd.img"}, &image));
  EXPECT_EQ(image, "/data/qemu/netbsd.img");
  ASSERT_TRUE(FindImageArg({"-cdrom", "/x.iso", "-nographic", "-snapshot", "/i/x.img"}, &image));
  EXPECT_EQ(image, "/i/x.img");
  EXPECT_FALSE(FindImageArg({"-m", "64", "-kernel", "/k", "-nographic"}, &image));
  EXPECT_FALSE(FindImageArg({}, &image));
}

// Options that take no value must not swallow the word after them: the
// article's form, options then the bare image, would otherwise lock the
// wrong file or find none.
TEST(QemuArgs, FindImageArgKnowsQemusOtherFlags) {
  for (const char* flag : {"-mem-prealloc", "-singlestep", "-one-insn-per-tb", "-async-teardown",
                           "-nodefconfig", "-audio-help", "-xen-attach", "-xen-domid-restrict",
                           "-enable-sync-profile", "-perfmap", "-jitdump"}) {
    std::string image;
    ASSERT_TRUE(FindImageArg({"-m", "64", flag, "/i/a.img"}, &image)) << flag;
    EXPECT_EQ(image, "/i/a.img") << flag;
    ASSERT_TRUE(FindImageArg({flag, "-m", "64", "/i/b.img"}, &image)) << flag;
    EXPECT_EQ(image, "/i/b.img") << flag;
  }
}

TEST(BuildQemuArgv, UserNetworkArgs) {
  // Port 0: QEMU binds a free port, which the kernel picks.
  EXPECT_EQ(UserNetworkArgs("virtio-net-pci", "52:54:00:01:02:03", "deb12", 0),
            (Words{"-netdev", "user,id=runall0,hostname=deb12,hostfwd=tcp:127.0.0.1:0-:22",
                   "-device", "virtio-net-pci,netdev=runall0,mac=52:54:00:01:02:03"}));
  EXPECT_EQ(UserNetworkArgs("e1000", "52:54:00:01:02:03", "h", 2222)[1],
            "user,id=runall0,hostname=h,hostfwd=tcp:127.0.0.1:2222-:22");
}

TEST(BuildQemuArgv, UserNetworkIsLeftToRunqemuos) {
  std::vector<GuestRecord> r = Parse(
      "u u.img\nnetwork = user\nssh_port = 2200\n\n"
      "t t.img\n");
  QemuCommand u = BuildQemuArgv(r[0], TestSettings());
  EXPECT_EQ(u.nic, "virtio-net-pci");
  EXPECT_EQ(u.mac, MacForHostname("u"));
  EXPECT_TRUE(u.user_net);
  EXPECT_EQ(u.ssh_port, 2200u);
  // The card is runqemuos's to add, as for a tap.
  EXPECT_FALSE(HasQemuOption(u.argv, {"-netdev", "-nic", "-net", "-qmp"}));
  QemuCommand t = BuildQemuArgv(r[1], TestSettings());
  EXPECT_FALSE(t.user_net);
  EXPECT_EQ(t.nic, "virtio-net-pci");
}

TEST(BuildQemuArgv, HostChoicesComeAfterMachineAndCpu) {
  std::vector<GuestRecord> r = Parse("h h.img 60 60 256\nmachine = q35\n");
  ASSERT_EQ(r.size(), 1u);
  HostChoices host;
  host.accel = {"-accel", "kvm", "-accel", "tcg"};
  host.default_cpu = "max";
  QemuCommand cmd = BuildQemuArgv(r[0], TestSettings(), host);
  EXPECT_EQ(cmd.argv,
            (Words{"qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-accel", "kvm",
                   "-accel", "tcg", "-m", "256", "-drive",
                   "file=/data/qemu/h.img,format=raw,if=virtio", "-device", "virtio-rng-pci"}));
  // Without host choices, the command line is what it always was.
  EXPECT_EQ(BuildQemuArgv(r[0], TestSettings()).argv,
            BuildQemuArgv(r[0], TestSettings(), HostChoices()).argv);
}

TEST(BuildQemuArgv, ASavedStateRunsOnTheOverlayAndResumes) {
  std::vector<GuestRecord> r = Parse("h h.img 60 60 256\n-smp 1\n");
  HostChoices host;
  host.disk_overlay = "/l/.state-0/h,x.qcow2";
  QemuCommand boot = BuildQemuArgv(r[0], TestSettings(), host);
  EXPECT_EQ(boot.argv, (Words{"qemu-system-x86_64", "-m", "256", "-drive",
                              "file=/l/.state-0/h,,x.qcow2,format=qcow2,if=virtio", "-device",
                              "virtio-rng-pci", "-smp", "1"}));
  // runqemuos still locks the guest's own image.
  EXPECT_EQ(boot.image, "/data/qemu/h.img");
  host.loadvm = "runall";
  QemuCommand resume = BuildQemuArgv(r[0], TestSettings(), host);
  EXPECT_EQ(resume.argv, (Words{"qemu-system-x86_64", "-m", "256", "-drive",
                                "file=/l/.state-0/h,,x.qcow2,format=qcow2,if=virtio", "-device",
                                "virtio-rng-pci", "-loadvm", "runall", "-smp", "1"}));
}

TEST(BuildQemuArgv, TheRecordsCpuWinsOverTheHostsDefault) {
  HostChoices host;
  host.accel = {"-accel", "tcg"};
  host.default_cpu = "max";
  std::vector<GuestRecord> r = Parse("h h.img\ncpu = qemu64\n");
  QemuCommand cmd = BuildQemuArgv(r[0], TestSettings(), host);
  EXPECT_EQ(Words(cmd.argv.begin(), cmd.argv.begin() + 5),
            (Words{"qemu-system-x86_64", "-cpu", "qemu64", "-accel", "tcg"}));
  r = Parse("h h.img\n-machine q35 -cpu host\n");
  cmd = BuildQemuArgv(r[0], TestSettings(), host);
  EXPECT_EQ(std::count(cmd.argv.begin(), cmd.argv.end(), "-cpu"), 1);
  EXPECT_EQ(std::count(cmd.argv.begin(), cmd.argv.end(), "max"), 0);
}

TEST(QemuArgs, MonitorArgs) {
  EXPECT_EQ(MonitorArgs("/var/lib/runall/launch/.monitor-1000/g.qmp"),
            (Words{"-qmp", "unix:/var/lib/runall/launch/.monitor-1000/g.qmp,server=on,wait=off"}));
  EXPECT_EQ(MonitorArgs("/a,b/g.qmp")[1], "unix:/a,,b/g.qmp,server=on,wait=off");
}

TEST(QemuArgs, ArgsHaveQmpMonitor) {
  EXPECT_FALSE(ArgsHaveQmpMonitor({"-m", "256", "-monitor", "stdio"}));
  EXPECT_TRUE(ArgsHaveQmpMonitor({"-qmp", "tcp:localhost:4444,server=on"}));
  EXPECT_TRUE(ArgsHaveQmpMonitor({"--qmp-pretty", "unix:/x,server"}));
  EXPECT_TRUE(ArgsHaveQmpMonitor(
      {"-chardev", "socket,id=m,path=/x,server=on", "-mon", "chardev=m,mode=control"}));
  EXPECT_FALSE(ArgsHaveQmpMonitor({"-mon", "chardev=m,mode=readline"}));
}

TEST(QemuArgs, ArgsDirectSerial) {
  EXPECT_FALSE(ArgsDirectSerial({"-display", "none", "-kernel", "/k"}));
  EXPECT_TRUE(ArgsDirectSerial({"-serial", "stdio"}));
  EXPECT_TRUE(ArgsDirectSerial({"--serial", "file:/tmp/x"}));
  EXPECT_TRUE(ArgsDirectSerial({"-nographic"}));
}
