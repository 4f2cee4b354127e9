#include "runqemuos_args.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_config.hpp"
#include "qemu_args.hpp"
#include "test_guests.hpp"

using namespace runall;
using namespace runall::test;

namespace {

using Words = std::vector<std::string>;

LaunchRequest Parse(const Words& args) {
  LaunchRequest req;
  std::string err;
  EXPECT_TRUE(ParseLaunchArgs(args, &req, &err)) << err;
  return req;
}

std::string ParseError(const Words& args) {
  LaunchRequest req;
  std::string err;
  EXPECT_FALSE(ParseLaunchArgs(args, &req, &err));
  return err;
}

}  // namespace

TEST(LaunchArgs, TheArticlesFormStillWorks) {
  LaunchRequest r = Parse(
      {"netqemu", "/tmp/hn", "/tmp/launch", "-localtime", "-m", "64", "/data/qemu/netbsd.img"});
  EXPECT_FALSE(r.background);
  EXPECT_EQ(r.host, "netqemu");
  EXPECT_EQ(r.hostname_dir, "/tmp/hn");
  EXPECT_EQ(r.launch_dir, "/tmp/launch");
  EXPECT_EQ(r.qemu_args, (Words{"-localtime", "-m", "64", "/data/qemu/netbsd.img"}));
  EXPECT_EQ(r.nic, "");
}

TEST(LaunchArgs, Options) {
  LaunchRequest r =
      Parse({"-b", "-o", "/tmp/console", "-C/etc/test.conf", "-i", "/img/a.img", "-N", "e1000",
             "-M", "52:54:00:aa:bb:cc", "host1", "/hn", "/launch", "qemu-system-i386", "-m", "64"});
  EXPECT_TRUE(r.background);
  EXPECT_EQ(r.console_log, "/tmp/console");
  EXPECT_EQ(r.settings_path, "/etc/test.conf");
  EXPECT_EQ(r.image, "/img/a.img");
  EXPECT_EQ(r.nic, "e1000");
  EXPECT_EQ(r.mac, "52:54:00:aa:bb:cc");
  EXPECT_EQ(r.qemu_args, (Words{"qemu-system-i386", "-m", "64"}));
  // Without -M the card's address comes from the hostname.
  r = Parse({"-N", "virtio-net-pci", "host1", "/hn", "/launch"});
  EXPECT_EQ(r.mac, MacForHostname("host1"));
  EXPECT_TRUE(r.qemu_args.empty());
  EXPECT_TRUE(Parse({"--help"}).help);
  EXPECT_EQ(Parse({"--", "h", "/a", "/b", "-x"}).qemu_args, (Words{"-x"}));
}

TEST(LaunchArgs, BadUsage) {
  EXPECT_EQ(ParseError({"host", "/hn"}), "HOST, HOSTNAMEDIR and LAUNCHDIR are required");
  EXPECT_EQ(ParseError({"-x", "host", "/hn", "/l"}), "unknown option -x");
  EXPECT_EQ(ParseError({"-o"}), "-o needs a value");
  EXPECT_EQ(ParseError({"bad_host", "/hn", "/l"}).compare(0, 27, "invalid hostname \"bad_host\""),
            0);
  EXPECT_EQ(ParseError({"-M", "52:54:00:00:00:01", "h", "/hn", "/l"}),
            "-M needs -N (the MAC is the address of the card -N adds)");
  EXPECT_EQ(ParseError({"-N", "e1000", "-M", "01:00:00:00:00:01", "h", "/hn", "/l"})
                .compare(0, 13, "-M: bad MAC \""),
            0);
  EXPECT_EQ(ParseError({"-N", "e1000,x=1", "h", "/hn", "/l"}), "-N: bad NIC model \"e1000,x=1\"");
  EXPECT_EQ(ParseError({"h", "/hn", "/l", "-daemonize"}).compare(0, 10, "-daemonize"), 0);
}

TEST(RunqemuosArgs, StartTheRecordsCommand) {
  Settings s = TestSettings();
  s.hostname_dir = "/run/hn";
  s.launch_dir = "/run/launch";
  std::vector<GuestRecord> r = ParseGuests("h h.img 10 10 64\n");
  QemuCommand cmd = BuildQemuArgv(r[0], s);
  Words args = RunqemuosArgs(r[0], cmd, s);
  EXPECT_EQ(args,
            (Words{"-i", "/data/qemu/h.img", "-N", "virtio-net-pci", "-M", MacForHostname("h"), "h",
                   "/run/hn", "/run/launch", "qemu-system-x86_64", "-m", "64", "-drive",
                   "file=/data/qemu/h.img,format=raw,if=virtio", "-device", "virtio-rng-pci"}));
}

TEST(LaunchArgs, UserMode) {
  LaunchRequest r = Parse({"-b", "-N", "e1000", "-u", "h", "-", "/launch"});
  EXPECT_TRUE(r.user_net);
  EXPECT_EQ(r.ssh_port, 0u);
  EXPECT_EQ(r.hostname_dir, "-");
  r = Parse({"-N", "e1000", "-u", "-p", "2222", "h", "-", "/launch"});
  EXPECT_EQ(r.ssh_port, 2222u);
  EXPECT_FALSE(Parse({"-N", "e1000", "h", "/hn", "/l"}).user_net);
  EXPECT_EQ(ParseError({"-u", "h", "-", "/l"}),
            "-u needs -N (the model of the card on the user-mode network)");
  EXPECT_EQ(ParseError({"-N", "e1000", "-p", "22", "h", "-", "/l"}),
            "-p needs -u (the port is forwarded by the user-mode network)");
  EXPECT_EQ(ParseError({"-N", "e1000", "-u", "-p", "0", "h", "-", "/l"}),
            "-p: bad port \"0\" (1 to 65535)");
  EXPECT_EQ(ParseError({"-N", "e1000", "-u", "-p", "http", "h", "-", "/l"}),
            "-p: bad port \"http\" (1 to 65535)");
}

TEST(RunqemuosArgs, UserModeNamesNoHostnameDirectory) {
  Settings s = TestSettings();
  s.hostname_dir = "/run/hn";
  s.launch_dir = "/run/launch";
  std::vector<GuestRecord> r = ParseGuests(
      "h h.img 10 10 64\nnetwork = user\n\ng g.img\nnetwork = user\n"
      "ssh_port = 2022\n");
  Words args = RunqemuosArgs(r[0], BuildQemuArgv(r[0], s), s);
  EXPECT_EQ(Words(args.begin(), args.begin() + 10),
            (Words{"-i", "/data/qemu/h.img", "-N", "virtio-net-pci", "-M", MacForHostname("h"),
                   "-u", "h", "-", "/run/launch"}));
  args = RunqemuosArgs(r[1], BuildQemuArgv(r[1], s), s);
  EXPECT_EQ(Words(args.begin() + 6, args.begin() + 12),
            (Words{"-u", "-p", "2022", "g", "-", "/run/launch"}));
  // And runqemuos reads back what the driver wrote.
  LaunchRequest req = Parse(args);
  EXPECT_TRUE(req.user_net);
  EXPECT_EQ(req.ssh_port, 2022u);
  EXPECT_EQ(req.launch_dir, "/run/launch");
}
