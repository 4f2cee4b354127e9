#include "tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
  EXPECT_EQ(ProbeTcp("no-such-host.invalid", "22", 1000, &why),
            TcpProbe::kNoAddress);
  EXPECT_NE(why.find("no-such-host.invalid"), std::string::npos) << why;
  EXPECT_STREQ(TcpProbeName(TcpProbe::kNoAddress), "no address");
}
