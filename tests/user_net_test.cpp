#include "user_net.hpp"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "clock.hpp"
#include "fd.hpp"

using namespace runall;

namespace {

// What QEMU 7.2 with libslirp 4.7 answered "info usernet" for a guest
// forwarding a free port to its port 22, with a second netdev beside it.
const char kInfoUsernet[] =
    "Hub -1 (other):\r\n"
    "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n"
    "  TCP[HOST_FORWARD]   9       127.0.0.1 40001       10.0.2.15    22     0     0\r\n"
    "Hub -1 (runall0):\r\n"
    "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n"
    "  TCP[ESTABLISHED]   23       127.0.0.1 52044       10.0.2.15    22     0     0\r\n"
    "  TCP[HOST_FORWARD]  12       127.0.0.1  8080       10.0.2.15    80     0     0\r\n"
    "  TCP[HOST_FORWARD]   8       127.0.0.1 34853       10.0.2.15    22     0     0\r\n"
    "  UDP[236 sec]       25        10.0.2.15    68      10.0.2.2    67     0     0\r\n";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/runall-user-net-test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    EXPECT_EQ(system(cmd.c_str()), 0);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A QMP monitor that appears at `path` after `delay_ms`, greets one
// client and answers each command with `answer` in turn.
class LateMonitor {
 public:
  LateMonitor(const std::string& path, int delay_ms, std::string usernet)
      : path_(path), usernet_(std::move(usernet)) {
    thread_ = std::thread([this, delay_ms] { Serve(delay_ms); });
  }
  ~LateMonitor() { thread_.join(); }
  const std::string& last_command() const { return last_; }

 private:
  void Serve(int delay_ms) {
    SleepMs(delay_ms);
    Fd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path_.c_str());
    if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener.get(), 1) != 0)
      return;
    Fd c(accept(listener.get(), nullptr, nullptr));
    Write(c.get(), "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
    std::string line;
    char ch;
    while (read(c.get(), &ch, 1) == 1) {
      if (ch != '\n') {
        line += ch;
        continue;
      }
      last_ = line;
      line.clear();
      if (last_.find("qmp_capabilities") != std::string::npos)
        Write(c.get(), "{\"return\": {}}\r\n");
      else
        Write(c.get(), "{\"return\": " + usernet_ + "}\r\n");
    }
  }
  static void Write(int fd, const std::string& s) {
    ssize_t ignored = write(fd, s.data(), s.size());
    (void)ignored;
  }

  std::string path_;
  std::string usernet_;
  std::string last_;
  std::thread thread_;
};

}  // namespace

TEST(UserNet, FilesBesideTheLaunchFile) {
  EXPECT_EQ(ForwardedPortPath("/l", "deb12"), "/l/deb12:port");
  // The monitor is every guest's, in the user's own directory
  // (runqemuos_args' MonitorSocketPath), not a user-mode file.
}

TEST(UserNet, PortRecordRoundTrip) {
  EXPECT_EQ(FormatPortRecord(4711, 34853), "4711 34853\n");
  pid_t pid = 0;
  unsigned port = 0;
  ASSERT_TRUE(ParsePortRecord("4711 34853\n", &pid, &port));
  EXPECT_EQ(pid, 4711);
  EXPECT_EQ(port, 34853u);
  ASSERT_TRUE(ParsePortRecord("1 22", &pid, &port));
  for (const char* bad : {"", "4711", "4711 ", " 22", "4711 0", "4711 65536", "0 22", "x 22",
                          "4711 22 1", "4711  22", "-1 22"})
    EXPECT_FALSE(ParsePortRecord(bad, &pid, &port)) << bad;
}

TEST(UserNet, ParsesTheForwardedPortOfOurNetdev) {
  unsigned port = 0;
  ASSERT_TRUE(ParseUsernetForward(kInfoUsernet, "runall0", 22, &port));
  EXPECT_EQ(port, 34853u);  // not another netdev's, nor a connection's
  ASSERT_TRUE(ParseUsernetForward(kInfoUsernet, "runall0", 80, &port));
  EXPECT_EQ(port, 8080u);
  ASSERT_TRUE(ParseUsernetForward(kInfoUsernet, "other", 22, &port));
  EXPECT_EQ(port, 40001u);
  EXPECT_FALSE(ParseUsernetForward(kInfoUsernet, "runall0", 443, &port));
  EXPECT_FALSE(ParseUsernetForward(kInfoUsernet, "runall", 22, &port));
  EXPECT_FALSE(ParseUsernetForward("", "runall0", 22, &port));
  EXPECT_FALSE(
      ParseUsernetForward("Hub -1 (runall0):\n  TCP[HOST_FORWARD] 8\n", "runall0", 22, &port));
}

TEST(UserNet, ReadsNetdevHelp) {
  const char with[] =
      "Available netdev backend types:\nsocket\nstream\ndgram\nhubport\ntap\n"
      "user\nl2tpv3\nvde\nbridge\nvhost-user\nvhost-vdpa\n";
  const char without[] =
      "Available netdev backend types:\nsocket\nstream\ndgram\nhubport\ntap\n"
      "vhost-user\n";
  EXPECT_EQ(ParseNetdevHelp(with), UserNetSupport::kYes);
  EXPECT_EQ(ParseNetdevHelp(without), UserNetSupport::kNo);
  EXPECT_EQ(ParseNetdevHelp("qemu: -netdev help: invalid option\n"), UserNetSupport::kUnknown);
  EXPECT_EQ(ParseNetdevHelp(""), UserNetSupport::kUnknown);
}

TEST(UserNet, RecordIsReadOnlyForItsPid) {
  TempDir d;
  std::string err;
  unsigned port = 0;
  EXPECT_FALSE(ReadForwardedPort(d.path(), "g", 100, &port, &err));
  EXPECT_EQ(err, "");  // no record is no error
  ASSERT_TRUE(RecordForwardedPort(d.path(), "g", 100, 34853, &err)) << err;
  struct stat st;
  ASSERT_EQ(stat((d.path() + "/g:port").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_TRUE(ReadForwardedPort(d.path(), "g", 100, &port, &err)) << err;
  EXPECT_EQ(port, 34853u);
  // The record of another QEMU (the guest was started again since).
  EXPECT_FALSE(ReadForwardedPort(d.path(), "g", 101, &port, &err));
  EXPECT_EQ(err, "");
  // A broken record is said to be one.
  FILE* f = fopen((d.path() + "/g:port").c_str(), "w");
  fputs("garbage\n", f);
  fclose(f);
  EXPECT_FALSE(ReadForwardedPort(d.path(), "g", 100, &port, &err));
  EXPECT_EQ(err, d.path() + "/g:port: not \"PID PORT\"");
  RemoveUserNetFiles(d.path(), "g");
  EXPECT_NE(stat((d.path() + "/g:port").c_str(), &st), 0);
}

TEST(UserNet, QueriesTheMonitorOnceItAppears) {
  TempDir d;
  const std::string sock = d.path() + "/g:qmp";
  std::string info =
      "\"Hub -1 (runall0):\\r\\n  TCP[HOST_FORWARD]   8  127.0.0.1 "
      "34853  10.0.2.15  22  0  0\\r\\n\"";
  unsigned port = 0;
  std::string err;
  {
    LateMonitor m(sock, 150, info);
    ASSERT_TRUE(QueryForwardedPort(
        sock, 5000, [] { return true; }, &port, &err))
        << err;
  }
  EXPECT_EQ(port, 34853u);
}

TEST(UserNet, QueryGivesUpWhenQemuIsGone) {
  TempDir d;
  unsigned port = 0;
  std::string err;
  int64_t start = MonotonicMs();
  EXPECT_FALSE(QueryForwardedPort(
      d.path() + "/none:qmp", 5000, [] { return false; }, &port, &err));
  EXPECT_EQ(err, "QEMU exited before its monitor told the forwarded port");
  EXPECT_LT(MonotonicMs() - start, 1000);
  EXPECT_FALSE(QueryForwardedPort(
      d.path() + "/none:qmp", 200, [] { return true; }, &port, &err));
  EXPECT_EQ(err.compare(0, 16, "QEMU's monitor /"), 0) << err;
}

TEST(UserNet, QueryRefusesAnAnswerWithoutTheForwarding) {
  TempDir d;
  const std::string sock = d.path() + "/g:qmp";
  unsigned port = 0;
  std::string err;
  {
    LateMonitor m(sock, 0, "\"Hub -1 (runall0):\\r\\n\"");
    EXPECT_FALSE(QueryForwardedPort(sock, 5000, nullptr, &port, &err));
  }
  EXPECT_EQ(err, "QEMU's monitor " + sock +
                     " names no port forwarded to the guest's port 22 (info usernet)");
}

TEST(UserNet, LocalPortFreeSeesAListener) {
  // A listener of our own on a port the kernel picks: bound, not free.
  Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(s.get(), 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  unsigned port = ntohs(addr.sin_port);
  std::string why;
  EXPECT_FALSE(LocalPortFree(port, &why));
  EXPECT_EQ(why, "127.0.0.1:" + std::to_string(port) + " is in use by another program");
  s.Reset();
  EXPECT_TRUE(LocalPortFree(port, &why)) << why;
}

TEST(UserNet, SomeoneElsesRecordOrSocketIsIgnored) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make a file another user owns";
  TempDir d;
  std::string err;
  ASSERT_TRUE(RecordForwardedPort(d.path(), "g", 100, 2222, &err)) << err;
  ASSERT_EQ(chown((d.path() + "/g:port").c_str(), 65534, 65534), 0);
  unsigned port = 0;
  EXPECT_FALSE(ReadForwardedPort(d.path(), "g", 100, &port, &err));
  EXPECT_EQ(err, d.path() + "/g:port: not this user's file: ignored");
  // A monitor that answers, at a socket somebody else owns: never asked.
  const std::string sock = d.path() + "/h:qmp";
  std::string info =
      "\"Hub -1 (runall0):\\r\\n  TCP[HOST_FORWARD]   8  127.0.0.1 "
      "4444  10.0.2.15  22  0  0\\r\\n\"";
  LateMonitor m(sock, 0, info);
  for (int i = 0; i < 100 && access(sock.c_str(), F_OK) != 0; ++i) SleepMs(10);
  ASSERT_EQ(chown(sock.c_str(), 65534, 65534), 0);
  EXPECT_FALSE(QueryForwardedPort(sock, 300, nullptr, &port, &err));
  EXPECT_NE(err.find("no socket of this user's there yet"), std::string::npos) << err;
  // Let the monitor's thread end: connect as its one client, then leave.
  ASSERT_EQ(chown(sock.c_str(), geteuid(), getegid()), 0);
  EXPECT_TRUE(QueryForwardedPort(sock, 2000, nullptr, &port, &err)) << err;
  EXPECT_EQ(port, 4444u);
}
