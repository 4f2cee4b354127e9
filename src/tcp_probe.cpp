#include "tcp_probe.hpp"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.hpp"
#include "interrupt.hpp"

namespace runall {

namespace {

TcpProbe FromErrno(int e) {
  switch (e) {
    case ECONNREFUSED: return TcpProbe::kRefused;
    case ETIMEDOUT: return TcpProbe::kTimedOut;
    default: return TcpProbe::kUnreachable;
  }
}

// Waits on connected `fd` until the deadline for the server's first bytes:
// kOpen when they begin an ssh identification.
TcpProbe ReadBanner(int fd, long long deadline, std::string* why) {
  static const char kSsh[] = "SSH-";
  const size_t want = sizeof kSsh - 1;
  std::string got;
  while (got.size() < want) {
    long long left = deadline - MonotonicMs();
    if (left <= 0) {
      *why = "connected, but no ssh banner in time";
      return TcpProbe::kTimedOut;
    }
    struct pollfd p[2] = {{fd, POLLIN, 0}, {InterruptFd(), POLLIN, 0}};
    int n = poll(p, InterruptFd() >= 0 ? 2 : 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (Interrupted()) return TcpProbe::kInterrupted;
    if (n <= 0 || !(p[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
    char buf[8];
    ssize_t r = read(fd, buf, want - got.size());
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) {
      *why = r == 0 ? "closed before an ssh banner (nothing listens behind it yet)"
                    : std::string("reset before an ssh banner: ") + strerror(errno);
      return TcpProbe::kRefused;
    }
    got.append(buf, static_cast<size_t>(r));
  }
  if (got != kSsh) {
    *why = "connected, but what answers is not an ssh server";
    return TcpProbe::kRefused;
  }
  return TcpProbe::kOpen;
}

// One address: kOpen, a failure, or kTimedOut when the deadline passed.
// With `banner`, kOpen also needs the server's ssh banner.
TcpProbe TryAddress(const struct addrinfo* ai, long long deadline, bool banner, std::string* why) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *why = std::string("socket: ") + strerror(errno);
    return TcpProbe::kUnreachable;
  }
  TcpProbe result;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
    result = TcpProbe::kOpen;
  } else if (errno != EINPROGRESS) {
    *why = strerror(errno);
    result = FromErrno(errno);
  } else {
    result = TcpProbe::kTimedOut;
    while (true) {
      long long left = deadline - MonotonicMs();
      if (left <= 0) {
        *why = "no answer in time";
        break;
      }
      struct pollfd p[2] = {{fd, POLLOUT, 0}, {InterruptFd(), POLLIN, 0}};
      int n = poll(p, InterruptFd() >= 0 ? 2 : 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (Interrupted()) {
        result = TcpProbe::kInterrupted;
        break;
      }
      if (n <= 0 || !(p[0].revents & (POLLOUT | POLLERR | POLLHUP))) continue;
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr == 0) {
        result = TcpProbe::kOpen;
      } else {
        *why = strerror(soerr);
        result = FromErrno(soerr);
      }
      break;
    }
  }
  if (banner && result == TcpProbe::kOpen) result = ReadBanner(fd, deadline, why);
  close(fd);
  return result;
}

TcpProbe Probe(const std::string& host, const std::string& port, int timeout_ms, bool banner,
               std::string* why) {
  const long long deadline = MonotonicMs() + timeout_ms;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) {
    *why = std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
    return TcpProbe::kNoAddress;
  }
  TcpProbe result = TcpProbe::kNoAddress;
  *why = "no address for " + host;
  for (const struct addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    result = TryAddress(ai, deadline, banner, why);
    if (result == TcpProbe::kOpen || result == TcpProbe::kInterrupted || MonotonicMs() >= deadline)
      break;
  }
  freeaddrinfo(list);
  return result;
}

}  // namespace

TcpProbe ProbeTcp(const std::string& host, const std::string& port, int timeout_ms,
                  std::string* why) {
  return Probe(host, port, timeout_ms, false, why);
}

TcpProbe ProbeSshBanner(const std::string& host, const std::string& port, int timeout_ms,
                        std::string* why) {
  return Probe(host, port, timeout_ms, true, why);
}

const char* TcpProbeName(TcpProbe result) {
  switch (result) {
    case TcpProbe::kOpen: return "open";
    case TcpProbe::kRefused: return "refused";
    case TcpProbe::kUnreachable: return "unreachable";
    case TcpProbe::kNoAddress: return "no address";
    case TcpProbe::kTimedOut: return "timed out";
    case TcpProbe::kInterrupted: return "interrupted";
  }
  return "?";
}

}  // namespace runall
