#include "dhcp_daemon.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.hpp"
#include "dhcp_packet.hpp"
#include "dhcp_server.hpp"
#include "file_io.hpp"
#include "interrupt.hpp"
#include "link_watch.hpp"
#include "validate.hpp"

namespace runall {

namespace {

// How often the interface is looked up by name, in case link events are
// not available or were lost.
constexpr int kCheckIntervalMs = 2000;
// Per-packet log lines allowed in one window; more are counted and the
// count logged, so a flood cannot fill the disk through syslog.
constexpr int kLogWindowSeconds = 10;
constexpr unsigned kLogLinesPerWindow = 20;
// Packets handled per wakeup before signals and link events are looked at
// again.
constexpr int kBurst = 64;

// Serving allocates nothing: one buffer in, one out, one packet each way,
// all static.
uint8_t g_in[kDhcpMaxSize + 1];
uint8_t g_out[kDhcpMaxSize];
DhcpPacket g_request;
DhcpPacket g_reply;

struct Counters {
  unsigned long received = 0;
  unsigned long replies = 0;
  unsigned long malformed = 0;
  unsigned long ignored = 0;
  unsigned long send_errors = 0;
};

// Lease times and the log window are whole seconds of the monotonic
// clock, which no administrator or NTP steps.
int64_t MonotonicSeconds() { return MonotonicMs() / 1000; }

std::string Ip(uint32_t a) { return FormatIPv4(a); }

void FormatIp(uint32_t a, char* out, size_t cap) {
  snprintf(out, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

class Daemon {
 public:
  explicit Daemon(const DhcpConfig& cfg) : cfg_(cfg), server_(cfg) {}
  int Run();

 private:
  void Log(int priority, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void PacketLog(int priority, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void LogCounters(const char* why);
  bool OpenSocket();
  bool InterfaceGone();
  void Receive();
  void Handle(size_t len);
  void SendReply(const DhcpDecision& d);

  const DhcpConfig& cfg_;
  DhcpServer server_;
  unsigned ifindex_ = 0;
  int sock_ = -1;
  Counters count_;
  LogLimiter packet_lines_{kLogWindowSeconds, kLogLinesPerWindow};
};

void Daemon::Log(int priority, const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  syslog(priority, "%s: %s", cfg_.interface.c_str(), line);
}

void Daemon::PacketLog(int priority, const char* fmt, ...) {
  unsigned long suppressed = 0;
  bool allowed = packet_lines_.Allow(MonotonicSeconds(), &suppressed);
  if (suppressed) Log(LOG_NOTICE, "%lu packet log lines suppressed", suppressed);
  if (!allowed) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  syslog(priority, "%s: %s", cfg_.interface.c_str(), line);
}

void Daemon::LogCounters(const char* why) {
  Log(LOG_INFO,
      "%s: %lu packets received, %lu replies sent, %lu malformed, "
      "%lu ignored, %lu send errors",
      why, count_.received, count_.replies, count_.malformed, count_.ignored, count_.send_errors);
}

bool Daemon::OpenSocket() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) {
    Log(LOG_ERR, "socket: %s", strerror(errno));
    return false;
  }
  int on = 1;
  // SO_REUSEADDR lets one daemon per interface bind port 67 side by side;
  // SO_BINDTODEVICE keeps each to its own interface, so neither they nor a
  // host DHCP server on another interface see each other's traffic.
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0 ||
      setsockopt(s, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0) {
    Log(LOG_ERR, "setsockopt: %s", strerror(errno));
    close(s);
    return false;
  }
#ifdef SO_BINDTODEVICE
  if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, cfg_.interface.c_str(),
                 static_cast<socklen_t>(cfg_.interface.size() + 1)) != 0) {
    Log(LOG_ERR, "bind to device: %s", strerror(errno));
    close(s);
    return false;
  }
#endif
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kDhcpServerPort);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    Log(LOG_ERR, "bind to port %u: %s", kDhcpServerPort, strerror(errno));
    close(s);
    return false;
  }
  sock_ = s;
  return true;
}

bool Daemon::InterfaceGone() {
  unsigned index = if_nametoindex(cfg_.interface.c_str());
  if (index == 0) return errno == ENODEV || errno == ENXIO;
  // Same name, new index: the interface was deleted and made again, and our
  // socket is still tied to the old one.
  return index != ifindex_;
}

void Daemon::Receive() {
  for (int i = 0; i < kBurst; ++i) {
    struct sockaddr_in from = {};
    struct iovec iov = {g_in, sizeof g_in};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct msghdr msg = {};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock_, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: all read
    }
    ++count_.received;
    unsigned arrived_on = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo info;
        memcpy(&info, CMSG_DATA(c), sizeof info);
        arrived_on = static_cast<unsigned>(info.ipi_ifindex);
      }
    }
    if (arrived_on != 0 && arrived_on != ifindex_) {
      // Only possible where SO_BINDTODEVICE does not exist.
      ++count_.ignored;
      continue;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      ++count_.malformed;
      PacketLog(LOG_WARNING, "dropped a %zd-byte packet: too long", n);
      continue;
    }
    Handle(static_cast<size_t>(n));
  }
}

void Daemon::Handle(size_t len) {
  DhcpParseError error = DhcpParseError::kNone;
  if (!ParseDhcpPacket(g_in, len, &g_request, &error)) {
    ++count_.malformed;
    PacketLog(LOG_WARNING, "dropped a malformed packet (%zu bytes): %s", len,
              DhcpParseErrorText(error));
    return;
  }
  DhcpDecision d = server_.Handle(g_request, MonotonicSeconds(), &g_reply);
  char hw[64], addr[16], name[64];
  FormatHardwareAddress(g_request, hw, sizeof hw);
  FormatClientName(g_request.hostname, name, sizeof name);
  const char* type = DhcpMessageTypeName(g_request.message_type);
  switch (d.outcome) {
    case DhcpOutcome::kIgnored:
      ++count_.ignored;
      PacketLog(LOG_INFO, "ignored %s from %s: %s", type, hw, d.reason);
      return;
    case DhcpOutcome::kDeclined:
      FormatIp(g_request.requested_address, addr, sizeof addr);
      PacketLog(LOG_WARNING, "%s of %s from %s: %s; not offered for %lld s", type, addr, hw,
                d.reason, static_cast<long long>(kDhcpDeclineHoldSeconds));
      return;
    case DhcpOutcome::kReleased:
      FormatIp(g_request.ciaddr, addr, sizeof addr);
      PacketLog(LOG_INFO, "%s of %s from %s", type, addr, hw);
      return;
    case DhcpOutcome::kReply: break;
  }
  if (d.took_over)
    PacketLog(LOG_NOTICE,
              "%s from %s while another client's lease runs: the address "
              "goes to the new client",
              type, hw);
  SendReply(d);
  const char* sent = DhcpMessageTypeName(g_reply.message_type);
  char to[16];
  FormatIp(d.broadcast ? 0xffffffffu : d.destination, to, sizeof to);
  if (g_reply.message_type == kDhcpNak) {
    PacketLog(LOG_NOTICE, "%s from %s%s%s: %s to %s: %s", type, hw, name[0] ? " host " : "", name,
              sent, to, d.reason);
  } else {
    FormatIp(g_reply.yiaddr ? g_reply.yiaddr : g_reply.ciaddr, addr, sizeof addr);
    PacketLog(LOG_INFO, "%s from %s%s%s: %s %s to %s", type, hw, name[0] ? " host " : "", name,
              sent, addr, to);
  }
}

void Daemon::SendReply(const DhcpDecision& d) {
  size_t len = EncodeDhcpPacket(g_reply, g_out, DhcpServer::ReplyLimit(g_request));
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(kDhcpClientPort);
  to.sin_addr.s_addr = htonl(d.broadcast ? INADDR_BROADCAST : d.destination);
  struct iovec iov = {g_out, len};
  // The source address is the server identifier, and the interface ours,
  // whatever else the host has configured.
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct in_pktinfo))] = {};
  struct msghdr msg = {};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
  struct in_pktinfo info = {};
  info.ipi_ifindex = static_cast<int>(ifindex_);
  info.ipi_spec_dst.s_addr = htonl(cfg_.server);
  memcpy(CMSG_DATA(c), &info, sizeof info);
  ssize_t n = sendmsg(sock_, &msg, 0);
  if (n < 0 && errno == EINVAL) {
    // The server address is not (yet) on the interface: let the kernel
    // choose the source.
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    n = sendmsg(sock_, &msg, 0);
  }
  if (n < 0) {
    ++count_.send_errors;
    PacketLog(LOG_ERR, "sending %s: %s", DhcpMessageTypeName(g_reply.message_type),
              strerror(errno));
    return;
  }
  ++count_.replies;
}

int Daemon::Run() {
  ifindex_ = if_nametoindex(cfg_.interface.c_str());
  if (ifindex_ == 0) {
    Log(LOG_ERR, "no such interface: %s", strerror(errno));
    return 111;
  }
  if (!OpenSocket()) return 111;
  LinkWatch watch;
  std::string err;
  if (!watch.Open(&err))
    Log(LOG_NOTICE, "%s; checking every %d ms instead", err.c_str(), kCheckIntervalMs);

  std::string dns;
  for (uint32_t a : cfg_.dns) dns += (dns.empty() ? "" : ",") + Ip(a);
  Log(LOG_INFO, "serving %s to one guest: router %s, mask %s, lease %u s%s%s%s%s%s%s",
      Ip(cfg_.client).c_str(), Ip(cfg_.server).c_str(), Ip(cfg_.netmask).c_str(), cfg_.lease_time,
      cfg_.hostname.empty() ? "" : ", hostname ", cfg_.hostname.c_str(),
      // Said either way: a guest that waits on its lookups is explained by
      // this line.
      ", dns ", dns.empty() ? "none" : dns.c_str(), cfg_.domain.empty() ? "" : ", domain ",
      cfg_.domain.c_str());

  // SIGTERM, SIGINT and SIGHUP stop the server, SIGUSR1 logs the
  // counters: each read from the self-pipe and acted on here, outside the
  // handler.
  if (!CatchSignals({SIGTERM, SIGINT, SIGHUP, SIGUSR1}, &err)) {
    Log(LOG_ERR, "%s", err.c_str());
    close(sock_);
    return 111;
  }
  struct sigaction ignore = {}, old_pipe;
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);

  int code = 0;
  const char* why = nullptr;
  int64_t last_check = MonotonicSeconds();
  while (!why) {
    struct pollfd fds[3] = {
        {sock_, POLLIN, 0}, {InterruptFd(), POLLIN, 0}, {watch.fd(), POLLIN, 0}};
    int r = poll(fds, watch.fd() >= 0 ? 3 : 2, kCheckIntervalMs);
    if (r < 0 && errno != EINTR) {
      Log(LOG_ERR, "poll: %s", strerror(errno));
      why = "poll failed";
      code = 111;
      break;
    }
    if (r > 0 && (fds[1].revents & POLLIN)) {
      int sigs[16];
      size_t n;
      while ((n = TakeSignals(sigs, 16)) > 0) {
        for (size_t i = 0; i < n; ++i) {
          const char* stop = StopReason(sigs[i]);
          if (stop)
            why = stop;
          else
            LogCounters("counters");
        }
      }
    }
    if (why) break;
    if (r > 0 && watch.fd() >= 0 && (fds[2].revents & POLLIN) && watch.Drain(ifindex_) &&
        InterfaceGone()) {
      why = "interface gone, stopping";
      break;
    }
    if (MonotonicSeconds() - last_check >= kCheckIntervalMs / 1000 || r == 0) {
      last_check = MonotonicSeconds();
      if (InterfaceGone()) {
        why = "interface gone, stopping";
        break;
      }
    }
    if (r > 0 && (fds[0].revents & (POLLIN | POLLERR))) Receive();
  }
  LogCounters(why);

  ReleaseSignals();
  sigaction(SIGPIPE, &old_pipe, nullptr);
  close(sock_);
  sock_ = -1;
  return code;
}

}  // namespace

bool LogLimiter::Allow(int64_t now_s, unsigned long* suppressed) {
  *suppressed = 0;
  if (!started_ || now_s - window_start_ >= window_s_) {
    *suppressed = dropped_;
    started_ = true;
    window_start_ = now_s;
    logged_ = 0;
    dropped_ = 0;
  }
  if (logged_ >= lines_) {
    ++dropped_;
    return false;
  }
  ++logged_;
  return true;
}

void FormatHardwareAddress(const DhcpPacket& p, char* out, size_t cap) {
  size_t n = p.hlen > 16 ? 16 : p.hlen;
  size_t pos = 0;
  if (cap == 0) return;
  out[0] = '\0';
  for (size_t i = 0; i < n && pos + 4 <= cap; ++i)
    pos += static_cast<size_t>(snprintf(out + pos, cap - pos, i ? ":%02x" : "%02x", p.chaddr[i]));
}

void FormatClientName(const DhcpBytes& name, char* out, size_t cap) {
  size_t n = 0;
  if (cap == 0) return;
  for (size_t i = 0; i < name.len && n + 1 < cap && n < 63; ++i) {
    unsigned char c = name.data[i];
    out[n++] = (c > 32 && c < 127) ? static_cast<char>(c) : '?';
  }
  out[n] = '\0';
}

const char* StopReason(int sig) {
  switch (sig) {
    case SIGHUP: return "stopping on SIGHUP";
    case SIGINT: return "stopping on SIGINT";
    case SIGTERM: return "stopping on SIGTERM";
    default: return nullptr;
  }
}

bool ReadNameservers(const std::string& path, std::vector<uint32_t>* dns, std::string* err) {
  FileCheck check;
  check.follow = true;
  check.max_bytes = 1u << 16;
  std::string text;
  if (!ReadFileText(path, check, &text, err)) return false;
  for (uint32_t a : NameserversFromResolvConf(text)) dns->push_back(a);
  return true;
}

int RunDhcpDaemon(const DhcpConfig& cfg) {
  openlog("runall-dhcpd", LOG_PID | LOG_NDELAY | (cfg.log_to_stderr ? LOG_PERROR : 0), LOG_DAEMON);
  std::string err;
  if (!ValidDhcpConfig(cfg, &err)) {
    syslog(LOG_ERR, "%s: invalid configuration: %s", cfg.interface.c_str(), err.c_str());
    closelog();
    return 100;
  }
  Daemon daemon(cfg);
  int code = daemon.Run();
  closelog();
  return code;
}

}  // namespace runall
