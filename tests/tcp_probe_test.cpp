#include "tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

using namespace runall;

namespace {

// A listening socket on 127.0.0.1; its port in *port.
int Listener(std::string* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<struct sockaddr*>(&a), sizeof a);
  listen(fd, 4);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<struct sockaddr*>(&a), &len);
  *port = std::to_string(ntohs(a.sin_port));
  return fd;
}

}  // namespace

TEST(TcpProbe, OpenThenRefusedWhenClosed) {
  std::string port, why;
  int fd = Listener(&port);
  EXPECT_EQ(ProbeTcp("127.0.0.1", port, 1000, &why), TcpProbe::kOpen) << why;
  close(fd);
  EXPECT_EQ(ProbeTcp("127.0.0.1", port, 1000, &why), TcpProbe::kRefused);
  EXPECT_NE(why.find("refused"), std::string::npos) << why;
}

TEST(TcpProbe, NameThatDoesNotResolve) {
  std::string why;
  EXPECT_EQ(ProbeTcp("no-such-host.invalid", "22", 1000, &why), TcpProbe::kNoAddress);
  EXPECT_NE(why.find("no-such-host.invalid"), std::string::npos) << why;
  EXPECT_STREQ(TcpProbeName(TcpProbe::kNoAddress), "no address");
}

namespace {

// Accepts one connection on `listener`, writes `first` (if any) and closes.
void ServeOnce(int listener, const std::string& first) {
  int c = accept(listener, nullptr, nullptr);
  if (c < 0) return;
  if (!first.empty()) {
    ssize_t ignored = write(c, first.data(), first.size());
    (void)ignored;
  }
  close(c);
}

}  // namespace

TEST(TcpProbe, SshBannerTellsAnSshdFromAForwarderAlone) {
  std::string port, why;
  int fd = Listener(&port);
  // What QEMU's user-mode network does while the guest's sshd is not up:
  // accept, then close without a byte.
  std::thread closer(ServeOnce, fd, "");
  EXPECT_EQ(ProbeSshBanner("127.0.0.1", port, 2000, &why), TcpProbe::kRefused);
  closer.join();
  EXPECT_NE(why.find("closed before an ssh banner"), std::string::npos) << why;
  std::thread sshd(ServeOnce, fd, "SSH-2.0-dropbear_2022.83\r\n");
  EXPECT_EQ(ProbeSshBanner("127.0.0.1", port, 2000, &why), TcpProbe::kOpen) << why;
  sshd.join();
  std::thread http(ServeOnce, fd, "HTTP/1.1 400 Bad Request\r\n");
  EXPECT_EQ(ProbeSshBanner("127.0.0.1", port, 2000, &why), TcpProbe::kRefused);
  http.join();
  EXPECT_NE(why.find("not an ssh server"), std::string::npos) << why;
  // Accepted and silent: the deadline ends it.
  std::string why2;
  EXPECT_EQ(ProbeSshBanner("127.0.0.1", port, 200, &why2), TcpProbe::kTimedOut);
  EXPECT_NE(why2.find("no ssh banner in time"), std::string::npos) << why2;
  close(fd);
}
