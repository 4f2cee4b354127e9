#include "ssh_mux.hpp"

#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "fd.hpp"
#include "ssh.hpp"

using namespace runall;

namespace {

bool HasOption(const std::vector<std::string>& argv, const std::string& o) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-o" && argv[i + 1] == o) return true;
  return false;
}

bool HasOptionStarting(const std::vector<std::string>& argv, const std::string& prefix) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-o" && argv[i + 1].compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

SshConfig Config() {
  SshConfig c;
  c.known_hosts = "/home/u/.ssh/runall_known_hosts";
  return c;
}

}  // namespace

TEST(SshMuxArgvTest, TheFirstSshMayBecomeTheMasterInTheBackground) {
  SshConfig c = Config();
  c.control_path = "/run/user/1000/runall-ssh.AbC123/netqemu";
  std::vector<std::string> argv = SshArgv(c, "netqemu", "./hostname");
  EXPECT_TRUE(HasOption(argv, "ControlMaster=auto"));
  EXPECT_TRUE(HasOption(argv, "ControlPath=/run/user/1000/runall-ssh.AbC123/netqemu"));
  EXPECT_TRUE(HasOption(argv, "ControlPersist=30"));
  // Everything else as without sharing: the master is the connection the
  // host key and the authentication are checked on.
  EXPECT_TRUE(HasOption(argv, "BatchMode=yes"));
  EXPECT_TRUE(HasOption(argv, "HostKeyAlias=netqemu"));
  EXPECT_EQ(argv.back(), "./hostname");
}

TEST(SshMuxArgvTest, AReusingSshNeverBecomesAMaster) {
  SshConfig c = Config();
  c.control_path = "/tmp/runall-ssh.AbC123/netqemu";
  c.control_master = false;
  SshRoute route{"127.0.0.1", "40022"};
  std::vector<std::string> argv = SshArgv(c, "netqemu", "true", &route);
  EXPECT_TRUE(HasOption(argv, "ControlMaster=no"));
  EXPECT_TRUE(HasOption(argv, "ControlPath=/tmp/runall-ssh.AbC123/netqemu"));
  EXPECT_FALSE(HasOptionStarting(argv, "ControlPersist="));
  // User mode: the socket is the guest's, whatever port QEMU forwards.
  EXPECT_TRUE(HasOption(argv, "HostKeyAlias=netqemu"));
  EXPECT_TRUE(HasOption(argv, "Port=40022"));
}

TEST(SshMuxArgvTest, WithoutAControlPathNoSharing) {
  std::vector<std::string> argv = SshArgv(Config(), "netqemu", "true");
  EXPECT_FALSE(HasOptionStarting(argv, "Control"));
}

TEST(SshMuxArgvTest, ExitMasterTalksOnlyToTheSocket) {
  std::vector<std::string> argv =
      SshExitMasterArgv("/usr/bin/ssh", "/tmp/runall-ssh.AbC123/netqemu", "netqemu");
  std::vector<std::string> want = {
      "/usr/bin/ssh", "-F",   "none", "-o",     "ControlPath=/tmp/runall-ssh.AbC123/netqemu",
      "-O",           "exit", "--",   "netqemu"};
  EXPECT_EQ(argv, want);
}

TEST(SshMuxPlanTest, OneMasterReusedThenOneMoreThenNone) {
  // Sharing off: always a connection of its own.
  EXPECT_EQ(PlanSsh(false, MasterState::kAbsent, 0), MuxPlan::kPlain);
  EXPECT_EQ(PlanSsh(false, MasterState::kLive, 1), MuxPlan::kPlain);
  // The first ssh of the run opens the master; the next ones reuse it.
  EXPECT_EQ(PlanSsh(true, MasterState::kAbsent, 0), MuxPlan::kOpen);
  EXPECT_EQ(PlanSsh(true, MasterState::kLive, 1), MuxPlan::kReuse);
  // It broke (gone, or its socket dead): opened once more.
  EXPECT_EQ(PlanSsh(true, MasterState::kAbsent, 1), MuxPlan::kOpen);
  EXPECT_EQ(PlanSsh(true, MasterState::kStale, 1), MuxPlan::kOpen);
  EXPECT_EQ(PlanSsh(true, MasterState::kLive, 2), MuxPlan::kReuse);
  // The second broke too: no third.
  EXPECT_EQ(PlanSsh(true, MasterState::kAbsent, kMaxMastersPerRun), MuxPlan::kPlain);
  EXPECT_EQ(PlanSsh(true, MasterState::kStale, kMaxMastersPerRun), MuxPlan::kPlain);
}

TEST(SshMuxPathTest, ASocketPerGuestNamedByTheGuest) {
  EXPECT_EQ(ControlSocketPath("/run/user/1000/runall-ssh.AbC123", "cw-x86"),
            "/run/user/1000/runall-ssh.AbC123/cw-x86");
  // Two guests never share a socket, in tap or user mode alike.
  EXPECT_NE(ControlSocketPath("/tmp/d", "a"), ControlSocketPath("/tmp/d", "b"));
}

TEST(SshMuxPathTest, ALongHostnameGetsAHashThatFits) {
  const std::string dir = "/run/user/1000/runall-ssh.AbC123";
  std::string host(60, 'a');
  std::string path = ControlSocketPath(dir, host);
  ASSERT_FALSE(path.empty());
  EXPECT_LE(path.size(), kMaxControlPathBytes);
  EXPECT_EQ(path.compare(0, dir.size() + 2, dir + "/_"), 0) << path;
  EXPECT_EQ(path, ControlSocketPath(dir, host));  // stable
  EXPECT_NE(path, ControlSocketPath(dir, std::string(60, 'b')));
  // ssh's own temporary name beside it still fits sun_path.
  EXPECT_LT(path.size() + 17, 104u);
  // A directory too long for any socket: none (no sharing for that run).
  EXPECT_EQ(ControlSocketPath("/" + std::string(100, 'd'), "a"), "");
}

TEST(SshMuxPathTest, BasesInOrderOnlyPlainShortAbsolutePaths) {
  std::vector<std::string> want = {"/run/user/1000", "/var/tmp", "/tmp"};
  EXPECT_EQ(ControlDirBases("/run/user/1000/", "/var/tmp"), want);
  want = {"/tmp"};
  EXPECT_EQ(ControlDirBases(nullptr, nullptr), want);
  EXPECT_EQ(ControlDirBases("relative", "/tmp"), want);
  // ssh would split, unquote or expand these.
  EXPECT_EQ(ControlDirBases("/run/user/my dir", "/tmp/%C"), want);
  EXPECT_EQ(ControlDirBases(("/" + std::string(80, 'x')).c_str(), nullptr), want);
}

TEST(SshMuxPathTest, SafeBases) {
  EXPECT_TRUE(SafeControlBase(1000, S_IFDIR | 0700, 1000));
  EXPECT_TRUE(SafeControlBase(0, S_IFDIR | 01777, 1000));  // /tmp
  // Another user's private directory (root with a sudo user's
  // XDG_RUNTIME_DIR), or a directory others may write in.
  EXPECT_FALSE(SafeControlBase(1000, S_IFDIR | 0700, 0));
  EXPECT_FALSE(SafeControlBase(1000, S_IFDIR | 0777, 1000));
  EXPECT_FALSE(SafeControlBase(0, S_IFDIR | 0777, 1000));
  EXPECT_FALSE(SafeControlBase(1001, S_IFDIR | 01777, 1000));
}

TEST(SshMuxDirTest, MadePrivateProbedAndRemovedWithWhatIsLeft) {
  char base[] = "/tmp/runall-ssh-mux-test.XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  std::string dir, err;
  // An unusable base first: the next one is taken.
  ASSERT_TRUE(MakeControlDir({"/nonexistent-runall-base", base}, &dir, &err)) << err;
  EXPECT_EQ(dir.compare(0, strlen(base), base), 0);
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);

  const std::string sock = ControlSocketPath(dir, "guest");
  ino_t ino = 1;
  EXPECT_EQ(ProbeMaster(sock, &ino), MasterState::kAbsent);
  EXPECT_EQ(ino, 0u);
  {
    // A listening socket stands for a live master.
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, sock.c_str(), sock.size());
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(fd.get(), 4), 0);
    EXPECT_EQ(ProbeMaster(sock, &ino), MasterState::kLive);
    EXPECT_NE(ino, 0u);
  }
  // Its process gone, the socket stays, refusing: stale.
  EXPECT_EQ(ProbeMaster(sock, &ino), MasterState::kStale);
  RemoveControlDir(dir);
  EXPECT_NE(stat(dir.c_str(), &st), 0);
  RemoveControlDir("");  // no directory: nothing happens
  rmdir(base);
}

TEST(SshMuxDirTest, NoSafeBaseIsAnErrorNamingEach) {
  char base[] = "/tmp/runall-ssh-mux-test.XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  ASSERT_EQ(chmod(base, 0777), 0);
  std::string dir, err;
  EXPECT_FALSE(MakeControlDir({base}, &dir, &err));
  EXPECT_NE(err.find(std::string(base) + ": writable by others and not sticky"), std::string::npos)
      << err;
  EXPECT_TRUE(dir.empty());
  rmdir(base);
}
