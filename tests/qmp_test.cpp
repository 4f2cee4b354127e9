#include "qmp.hpp"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace runall;

namespace {

// A fake QEMU monitor on a unix socket: greets, then answers each line it
// reads with the next reply of its script (a reply may hold several lines,
// events among them). It records what the client sent.
class FakeMonitor {
 public:
  explicit FakeMonitor(
      std::vector<std::string> replies,
      std::string greeting = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n")
      : replies_(std::move(replies)), greeting_(std::move(greeting)) {
    char tmpl[] = "/tmp/runall-qmp-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/qmp.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path_.c_str());
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeMonitor() {
    Join();
    close(listen_fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& path() const { return path_; }
  const std::vector<std::string>& received() const { return received_; }

 private:
  void Serve() {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    Write(fd, greeting_);
    std::string buf;
    size_t next = 0;
    char c;
    while (read(fd, &c, 1) == 1) {
      if (c != '\n') {
        buf += c;
        continue;
      }
      received_.push_back(buf);
      buf.clear();
      if (next == replies_.size()) break;
      const std::string& r = replies_[next++];
      if (r == "CLOSE") break;
      Write(fd, r);
    }
    close(fd);
  }
  static void Write(int fd, const std::string& s) {
    ssize_t ignored = write(fd, s.data(), s.size());
    (void)ignored;
  }

  std::vector<std::string> replies_;
  std::string greeting_;
  std::string dir_, path_;
  int listen_fd_ = -1;
  std::thread thread_;
  std::vector<std::string> received_;
};

}  // namespace

TEST(Qmp, NegotiatesThenRunsACommandAndKeepsEvents) {
  FakeMonitor monitor({"{\"return\": {}}\r\n",
                       "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
                       "\"event\": \"POWERDOWN\"}\r\n{\"return\": {}}\r\n"});
  QmpClient qmp;
  std::string err;
  ASSERT_TRUE(qmp.Connect(monitor.path(), 2000, &err)) << err;
  JsonValue result;
  ASSERT_TRUE(qmp.Execute("system_powerdown", "", 2000, &result, &err)) << err;
  ASSERT_EQ(qmp.events().size(), 1u);
  EXPECT_EQ(qmp.events()[0], "POWERDOWN");
  bool closed = false;
  EXPECT_TRUE(qmp.WaitEvent("POWERDOWN", 10, &closed, &err)) << err;
  qmp.Close();
  monitor.Join();
  ASSERT_EQ(monitor.received().size(), 2u);
  EXPECT_EQ(monitor.received()[0], "{\"execute\": \"qmp_capabilities\"}");
  EXPECT_EQ(monitor.received()[1], "{\"execute\": \"system_powerdown\"}");
}

TEST(Qmp, PassesArgumentsAndReturnsTheResult) {
  FakeMonitor monitor({"{\"return\": {}}\n", "{\"return\": \"done\\r\\n\"}\n"});
  QmpClient qmp;
  std::string err;
  ASSERT_TRUE(qmp.Connect(monitor.path(), 2000, &err)) << err;
  JsonValue result;
  ASSERT_TRUE(qmp.Execute("human-monitor-command", "{\"command-line\": \"savevm runall\"}", 2000,
                          &result, &err))
      << err;
  EXPECT_EQ(result.text, "done\r\n");
  qmp.Close();
  monitor.Join();
  ASSERT_EQ(monitor.received().size(), 2u);
  EXPECT_EQ(monitor.received()[1],
            "{\"execute\": \"human-monitor-command\", \"arguments\": "
            "{\"command-line\": \"savevm runall\"}}");
}

TEST(Qmp, ReportsErrorsAndClosedMonitors) {
  FakeMonitor monitor({"{\"return\": {}}\n",
                       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no such device\"}}\n",
                       "CLOSE"});
  QmpClient qmp;
  std::string err;
  ASSERT_TRUE(qmp.Connect(monitor.path(), 2000, &err)) << err;
  JsonValue result;
  EXPECT_FALSE(qmp.Execute("device_del", "{\"id\": \"x\"}", 2000, &result, &err));
  EXPECT_EQ(err, "device_del: no such device");
  bool closed = false;
  EXPECT_FALSE(qmp.Execute("query-status", "", 2000, &result, &err));
  EXPECT_FALSE(qmp.WaitEvent("SHUTDOWN", 2000, &closed, &err));
  EXPECT_TRUE(closed) << err;
}

TEST(Qmp, RefusesWhatIsNotAMonitor) {
  FakeMonitor monitor({}, "SSH-2.0-OpenSSH_9.2\r\n");
  QmpClient qmp;
  std::string err;
  EXPECT_FALSE(qmp.Connect(monitor.path(), 2000, &err));
  EXPECT_NE(err.find("JSON"), std::string::npos) << err;
}

TEST(Qmp, NamesAMissingSocket) {
  QmpClient qmp;
  std::string err;
  EXPECT_FALSE(qmp.Connect("/nonexistent/runall/qmp.sock", 100, &err));
  EXPECT_NE(err.find("/nonexistent/runall/qmp.sock"), std::string::npos) << err;
  EXPECT_FALSE(qmp.Connect(std::string(200, 'x'), 100, &err));
  EXPECT_NE(err.find("too long for a unix socket"), std::string::npos) << err;
}
