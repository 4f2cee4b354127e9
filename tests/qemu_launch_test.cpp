#include "qemu_launch.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guest_config.hpp"

using namespace runall;

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

std::string ReadAll(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<missing>";
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

TEST(LaunchArgs, TheArticlesFormStillWorks) {
  LaunchRequest r = Parse({"netqemu", "/tmp/hn", "/tmp/launch", "-localtime",
                           "-m", "64", "/data/qemu/netbsd.img"});
  EXPECT_FALSE(r.background);
  EXPECT_EQ(r.host, "netqemu");
  EXPECT_EQ(r.hostname_dir, "/tmp/hn");
  EXPECT_EQ(r.launch_dir, "/tmp/launch");
  EXPECT_EQ(r.qemu_args, (Words{"-localtime", "-m", "64", "/data/qemu/netbsd.img"}));
  EXPECT_EQ(r.nic, "");
}

TEST(LaunchArgs, Options) {
  LaunchRequest r = Parse({"-b", "-o", "/tmp/console", "-C/etc/test.conf", "-i",
                           "/img/a.img", "-N", "e1000", "-M", "52:54:00:aa:bb:cc",
                           "host1", "/hn", "/launch", "qemu-system-i386", "-m", "64"});
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
  EXPECT_EQ(ParseError({"-o"}), "option -o needs a value");
  EXPECT_EQ(ParseError({"bad_host", "/hn", "/l"}).compare(0, 27, "invalid hostname \"bad_host\""), 0);
  EXPECT_EQ(ParseError({"-M", "52:54:00:00:00:01", "h", "/hn", "/l"}),
            "-M needs -N (the MAC is the address of the card -N adds)");
  EXPECT_EQ(ParseError({"-N", "e1000", "-M", "01:00:00:00:00:01", "h", "/hn", "/l"})
                .compare(0, 13, "-M: bad MAC \""), 0);
  EXPECT_EQ(ParseError({"-N", "e1000,x=1", "h", "/hn", "/l"}),
            "-N: bad NIC model \"e1000,x=1\"");
  EXPECT_EQ(ParseError({"h", "/hn", "/l", "-daemonize"}).compare(0, 10, "-daemonize"), 0);
}

TEST(LaunchArgs, SplitProgram) {
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

TEST(LaunchArgs, FindImageArg) {
  std::string image;
  ASSERT_TRUE(FindImageArg({"-m", "64", "-drive", "if=virtio,file=/i/a,,b.img,format=raw",
                            "-hda", "/i/hda.img"}, &image));
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
TEST(LaunchArgs, FindImageArgKnowsQemusOtherFlags) {
  for (const char* flag :
       {"-mem-prealloc", "-singlestep", "-one-insn-per-tb", "-async-teardown",
        "-nodefconfig", "-audio-help", "-xen-attach", "-xen-domid-restrict",
        "-enable-sync-profile", "-perfmap", "-jitdump"}) {
    std::string image;
    ASSERT_TRUE(FindImageArg({"-m", "64", flag, "/i/a.img"}, &image)) << flag;
    EXPECT_EQ(image, "/i/a.img") << flag;
    ASSERT_TRUE(FindImageArg({flag, "-m", "64", "/i/b.img"}, &image)) << flag;
    EXPECT_EQ(image, "/i/b.img") << flag;
  }
}

TEST(TapCandidates, RootTakesPersistentTapsOfThePlanItMayAttachOwnFirst) {
  auto tap = [](const char* name, bool persistent, long owner, long group = -1,
                bool is_tap = true) {
    TapInfo t;
    t.name = name;
    t.tap = is_tap;
    t.persistent = persistent;
    t.owner = owner;
    t.group = group;
    return t;
  };
  std::vector<TapInfo> taps = {
      tap("tap10", true, 1000),  tap("tap2", true, 1000),
      tap("tap3", false, 1000),              // QEMU-made, not a pool tap
      tap("tap4", true, 1001),               // someone else's
      tap("tap5", true, -1, 50),             // group 50
      tap("tap6", true, 1000, -1, false),    // a tun device
      tap("tap300", true, 1000),             // outside the address plan
      tap("mytap", true, 1000),              // not tapN
      tap("tap07", true, 1000),              // not a valid tap name
      tap("tun1", true, 1000),
      tap("tap1", true, -1),                 // anyone's
  };
  // Root (uid 0 with its groups, or root acting with another uid): its own
  // first, then a group's, then nobody's - today's order.
  EXPECT_EQ(TapCandidates(taps, 1000, {100}, true), (Words{"tap2", "tap10", "tap1"}));
  EXPECT_EQ(TapCandidates(taps, 1000, {50}, true),
            (Words{"tap2", "tap10", "tap5", "tap1"}));
  EXPECT_EQ(TapCandidates(taps, 1001, {}, true), (Words{"tap4", "tap1"}));
  EXPECT_EQ(TapCandidates(taps, 1002, {50}, true), (Words{"tap5", "tap1"}));
  // Not root: only the user's own taps, since start-tun-interface through
  // sudo refuses any other.
  EXPECT_EQ(TapCandidates(taps, 1000, {100}, false), (Words{"tap2", "tap10"}));
  EXPECT_EQ(TapCandidates(taps, 1000, {50}, false), (Words{"tap2", "tap10"}));
  EXPECT_EQ(TapCandidates(taps, 1001, {}, false), (Words{"tap4"}));
  EXPECT_EQ(TapCandidates(taps, 1002, {50}, false), (Words{}));
}

TEST(TapCandidates, NotRootAnOwnTapOfAGroupNotOursIsNotAttachable) {
  TapInfo t;
  t.name = "tap3";
  t.tap = true;
  t.persistent = true;
  t.owner = 1000;
  t.group = 50;  // the kernel wants both to match
  EXPECT_EQ(TapCandidates({t}, 1000, {50}, false), (Words{"tap3"}));
  EXPECT_EQ(TapCandidates({t}, 1000, {60}, false), (Words{}));
}

TEST(WriteFileAtomically, WritesReplacesAndLeavesNoTemporary) {
  char tmpl[] = "/tmp/runall-launch-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  mode_t old_mask = umask(077);
  std::string err;
  ASSERT_TRUE(WriteFileAtomically(dir, "guest1", "1234\n", &err)) << err;
  EXPECT_EQ(ReadAll(dir + "/guest1"), "1234\n");
  struct stat st;
  ASSERT_EQ(stat((dir + "/guest1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // readable by the helpers, whatever the umask
  // A symlink planted at the name is replaced, not followed.
  ASSERT_EQ(symlink("/etc/passwd", (dir + "/guest2").c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically(dir, "guest2", "99\n", &err)) << err;
  ASSERT_EQ(lstat((dir + "/guest2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_TRUE(WriteFileAtomically(dir, "guest1", "5678\n", &err)) << err;
  EXPECT_EQ(ReadAll(dir + "/guest1"), "5678\n");
  umask(old_mask);
  EXPECT_EQ(system(("test $(ls -A " + dir + " | wc -l) -eq 2").c_str()), 0)
      << "temporary files left in " << dir;
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir", "x", "1\n", &err));
  EXPECT_NE(err.find("/nonexistent-dir/.x."), std::string::npos) << err;
  system(("rm -rf " + dir).c_str());
}
