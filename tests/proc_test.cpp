#include "proc.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

using namespace runall;

TEST(ParseStatParent, ReadsAfterTheLastParenthesis) {
  pid_t ppid = 0;
  ASSERT_TRUE(ParseStatParent("123 (bash) S 45 123 123 0 -1", &ppid));
  EXPECT_EQ(45, ppid);
  // A program may call itself anything, including ") R 1 (".
  ASSERT_TRUE(ParseStatParent("77 (evil) R 1 () S 9876 77 77 0", &ppid));
  EXPECT_EQ(9876, ppid);
  ASSERT_TRUE(ParseStatParent("8 (a b  c) S 0 0 0", &ppid));
  EXPECT_EQ(0, ppid);
}

TEST(ParseStatParent, RefusesMalformedText) {
  pid_t ppid = 0;
  EXPECT_FALSE(ParseStatParent("", &ppid));
  EXPECT_FALSE(ParseStatParent("123 bash S 45", &ppid));
  EXPECT_FALSE(ParseStatParent("123 (bash)", &ppid));
  EXPECT_FALSE(ParseStatParent("123 (bash) S -4", &ppid));
  EXPECT_FALSE(ParseStatParent("123 (bash) SS 45", &ppid));
}

TEST(ParseStatusUids, ReadsRealAndEffective) {
  uid_t real = 1, effective = 1;
  ASSERT_TRUE(ParseStatusUids("Name:\tsudo\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n",
                              &real, &effective));
  EXPECT_EQ(1000u, real);
  EXPECT_EQ(0u, effective);
  EXPECT_FALSE(ParseStatusUids("Name:\tx\n", &real, &effective));
  EXPECT_FALSE(ParseStatusUids("Uid:\tabc\t0\n", &real, &effective));
}

TEST(ParseUdpSocketInodes, FindsThePortInHex) {
  const std::string table =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
      "retrnsmt   uid  timeout inode ref pointer drops\n"
      "  123: 00000000:0043 00000000:0000 07 00000000:00000000 00:00000000 "
      "00000000     0        0 4242 2 0000000000000000 0\n"
      "  124: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 "
      "00000000     0        0 777 2 0000000000000000 0\n"
      "  125: 0105140A:0043 00000000:0000 07 00000000:00000000 00:00000000 "
      "00000000     0        0 4343 2 0000000000000000 0\n"
      "garbage\n";
  EXPECT_EQ((std::vector<unsigned long>{4242, 4343}), ParseUdpSocketInodes(table, 67));
  EXPECT_EQ((std::vector<unsigned long>{777}), ParseUdpSocketInodes(table, 53));
  EXPECT_TRUE(ParseUdpSocketInodes(table, 68).empty());
}

TEST(ParsePacketSocketInodes, TakesTheLastColumn) {
  const std::string table =
      "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
      "ffff8880041c5000 3      3    0003   2     1 0      0      5150\n";
  EXPECT_EQ((std::vector<unsigned long>{5150}), ParsePacketSocketInodes(table));
}

TEST(SameProgram, AcceptsAReplacedFile) {
  EXPECT_TRUE(SameProgram("/usr/sbin/x", "/usr/sbin/x"));
  EXPECT_TRUE(SameProgram("/usr/sbin/x (deleted)", "/usr/sbin/x"));
  EXPECT_FALSE(SameProgram("/usr/sbin/xy", "/usr/sbin/x"));
  EXPECT_FALSE(SameProgram("/tmp/usr/sbin/x", "/usr/sbin/x"));
  EXPECT_FALSE(SameProgram("/usr/sbin/x (deleted) ", "/usr/sbin/x"));
}

TEST(ParentPid, KnowsOurParent) {
  pid_t ppid = 0;
  std::string err;
  ASSERT_TRUE(ParentPid(getpid(), &ppid, &err)) << err;
  EXPECT_EQ(getppid(), ppid);
  // Through a fork: the child's parent is us.
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    close(fds[1]);
    (void)!read(fds[0], &c, 1);
    _exit(0);
  }
  close(fds[0]);
  EXPECT_TRUE(ParentPid(child, &ppid, &err)) << err;
  EXPECT_EQ(getpid(), ppid);
  close(fds[1]);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(ParentPid(child, &ppid, &err));
}

TEST(ProcessUids, MatchesOurs) {
  uid_t real = 0, effective = 0;
  std::string err;
  ASSERT_TRUE(ProcessUids(getpid(), &real, &effective, &err)) << err;
  EXPECT_EQ(getuid(), real);
  EXPECT_EQ(geteuid(), effective);
}

TEST(SelfExe, IsTheTestBinary) {
  std::string exe, err;
  ASSERT_TRUE(SelfExe(&exe, &err)) << err;
  EXPECT_EQ("unit_tests", exe.substr(exe.rfind('/') + 1));
  std::string via_pid;
  ASSERT_TRUE(ProcessExe(getpid(), &via_pid, &err));
  EXPECT_EQ(exe, via_pid);
}

TEST(ProcessHasDhcpSocket, SeesABoundUdpSocket) {
  // A high port on loopback stands in for 67, which needs root.
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, bind(s, reinterpret_cast<struct sockaddr*>(&a), sizeof a));
  socklen_t len = sizeof a;
  ASSERT_EQ(0, getsockname(s, reinterpret_cast<struct sockaddr*>(&a), &len));
  uint16_t port = ntohs(a.sin_port);
  bool bound = false;
  std::string err;
  ASSERT_TRUE(ProcessHasDhcpSocket(getpid(), port, &bound, &err)) << err;
  EXPECT_TRUE(bound);
  close(s);
  ASSERT_TRUE(ProcessHasDhcpSocket(getpid(), port, &bound, &err)) << err;
  EXPECT_FALSE(bound);
}

TEST(OwnOpenFds, ListsWhatIsOpen) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<int> fds;
  std::string err;
  ASSERT_TRUE(OwnOpenFds(&fds, &err)) << err;
  EXPECT_NE(fds.end(), std::find(fds.begin(), fds.end(), fd));
  EXPECT_NE(fds.end(), std::find(fds.begin(), fds.end(), 2));
  close(fd);
  ASSERT_TRUE(OwnOpenFds(&fds, &err)) << err;
  EXPECT_EQ(fds.end(), std::find(fds.begin(), fds.end(), fd));
}

TEST(ParseStatStart, ReadsNameAndField22) {
  std::string comm;
  unsigned long long ticks = 0;
  // Fields 3 to 22 after the name; 22 is 98765.
  const std::string stat =
      "4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 "
      "20 0 4 0 98765 1000000 500 18446744073709551615";
  ASSERT_TRUE(ParseStatStart(stat, &comm, &ticks));
  EXPECT_EQ("qemu-system-x86", comm);
  EXPECT_EQ(98765u, ticks);
  // A name holding ") S 1 (" does not shift the fields.
  ASSERT_TRUE(ParseStatStart("7 (a) S 1 (b) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0", &comm,
                             &ticks));
  EXPECT_EQ("a) S 1 (b", comm);
  EXPECT_EQ(555u, ticks);
  EXPECT_FALSE(ParseStatStart("7 (a) S 1 2 3", &comm, &ticks));
  EXPECT_FALSE(ParseStatStart("garbage", &comm, &ticks));
}

TEST(ParseStatState, ReadsField3AfterTheName) {
  char state = '?';
  ASSERT_TRUE(ParseStatState("4242 (qemu-system-x86) Z 1 4242", &state));
  EXPECT_EQ('Z', state);
  ASSERT_TRUE(ParseStatState("7 (a) S 1 (b) R 1 7", &state));
  EXPECT_EQ('R', state);
  EXPECT_FALSE(ParseStatState("garbage", &state));
}

TEST(ProcessStart, AZombieIsGone) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Not reaped yet: it stays a zombie until waitpid below.
  std::string comm, err;
  struct timespec start;
  bool known = false;
  for (int i = 0; i < 100 && ProcessStart(child, &comm, &start, &known, &err); ++i)
    usleep(10 * 1000);
  EXPECT_FALSE(ProcessStart(child, &comm, &start, &known, &err));
  EXPECT_NE(err.find("has exited"), std::string::npos) << err;
  waitpid(child, nullptr, 0);
}

TEST(ProcessStart, AChildStartedJustNowStartedJustNow) {
  struct timespec before;
  clock_gettime(CLOCK_REALTIME, &before);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sleep", "sleep", "5", static_cast<char*>(nullptr));
    _exit(127);
  }
  usleep(100 * 1000);  // let it exec, so its name is "sleep"
  std::string comm, err;
  struct timespec start;
  bool known = false;
  ASSERT_TRUE(ProcessStart(child, &comm, &start, &known, &err)) << err;
  EXPECT_EQ("sleep", comm);
  ASSERT_TRUE(known);
  // To the clock tick (10 ms at 100 Hz), and the two clocks are read apart.
  double diff = (start.tv_sec - before.tv_sec) + (start.tv_nsec - before.tv_nsec) / 1e9;
  EXPECT_GT(diff, -0.05);
  EXPECT_LT(diff, 0.5);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessStart(child, &comm, &start, &known, &err));
}

TEST(NetNamespace, ParsesTheLink) {
  std::string name;
  ASSERT_TRUE(ParseNetNamespaceLink("net:[4026531840]", &name));
  EXPECT_EQ(name, "net-4026531840");
  for (const char* bad :
       {"", "net:[]", "mnt:[4026531840]", "net:[12a]", "net:[4026531840", "net:[../x]"})
    EXPECT_FALSE(ParseNetNamespaceLink(bad, &name)) << bad;
}

TEST(NetNamespace, OwnNamespaceHasAStableName) {
  std::string a, b, err;
  ASSERT_TRUE(NetNamespaceName(0, &a, &err)) << err;
  ASSERT_TRUE(NetNamespaceName(getpid(), &b, &err)) << err;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.compare(0, 4, "net-"), 0) << a;
}
