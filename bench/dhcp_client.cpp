// dhcp_client: a minimal DHCP client that times the embedded server.
//
//   dhcp_client -i IFACE [-n ITERATIONS]
//
// Over IFACE (no address needed: a UDP socket bound to the device sends
// from 0.0.0.0 and hears the broadcast replies), each iteration sends a
// DISCOVER, waits for the OFFER, sends the REQUEST for it and waits for the
// ACK. Prints the median, 99th percentile and worst of DISCOVER->OFFER and
// of the whole DISCOVER->ACK exchange, in microseconds, and how many
// exchanges got no answer within a second.
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dhcp_packet.hpp"
#include "fail.hpp"
#include "validate.hpp"

using namespace runall;

namespace {

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

class Client {
 public:
  explicit Client(const std::string& iface) {
    sock_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock_ < 0) Fatal(kExitSystem, ErrnoMessage("socket"));
    int on = 1;
    if (setsockopt(sock_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        setsockopt(sock_, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0 ||
        setsockopt(sock_, SOL_SOCKET, SO_BINDTODEVICE, iface.c_str(),
                   static_cast<socklen_t>(iface.size() + 1)) != 0)
      Fatal(kExitSystem, ErrnoMessage("setsockopt " + iface));
    struct sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(kDhcpClientPort);
    if (bind(sock_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
      Fatal(kExitSystem, ErrnoMessage("bind port 68"));
    struct ifreq ifr = {};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface.c_str());
    if (ioctl(sock_, SIOCGIFHWADDR, &ifr) != 0)
      Fatal(kExitSystem, ErrnoMessage("hardware address of " + iface));
    memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
  }

  DhcpPacket Message(uint8_t type, uint32_t xid) const {
    DhcpPacket p;
    p.op = kBootRequest;
    p.htype = kHtypeEthernet;
    p.hlen = 6;
    p.xid = xid;
    memcpy(p.chaddr, mac_, 6);
    p.message_type = type;
    p.parameters.Assign("\x01\x03\x06\x0c\x0f", 5);
    return p;
  }

  void Send(const DhcpPacket& p) {
    uint8_t buf[kDhcpMaxSize];
    size_t n = EncodeDhcpPacket(p, buf, sizeof buf);
    struct sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(kDhcpServerPort);
    to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
    if (sendto(sock_, buf, n, 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to) < 0)
      Fatal(kExitSystem, ErrnoMessage("sendto"));
  }

  // Waits up to `timeout_ms` for a reply of `type` to `xid`.
  bool Await(uint8_t type, uint32_t xid, int timeout_ms, DhcpPacket* reply) {
    int64_t deadline = NowNs() + int64_t{timeout_ms} * 1000000;
    for (;;) {
      int64_t left = (deadline - NowNs()) / 1000000;
      if (left < 0) return false;
      struct pollfd pfd = {sock_, POLLIN, 0};
      int r = poll(&pfd, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      uint8_t buf[kDhcpMaxSize + 1];
      ssize_t n = recv(sock_, buf, sizeof buf, 0);
      if (n < 0) continue;
      if (ParseDhcpPacket(buf, static_cast<size_t>(n), reply, nullptr) && reply->op == kBootReply &&
          reply->xid == xid && reply->message_type == type)
        return true;
    }
  }

 private:
  int sock_ = -1;
  uint8_t mac_[6] = {};
};

void Report(const char* what, std::vector<int64_t> ns, const char* target) {
  if (ns.empty()) {
    printf("%-22s no answers\n", what);
    return;
  }
  std::sort(ns.begin(), ns.end());
  auto us = [](int64_t v) { return static_cast<double>(v) / 1000.0; };
  size_t p99 = (ns.size() * 99 + 99) / 100 - 1;
  printf("%-22s median %8.1f us   p99 %8.1f us   max %8.1f us   (%zu runs; target %s)\n", what,
         us(ns[ns.size() / 2]), us(ns[std::min(p99, ns.size() - 1)]), us(ns.back()), ns.size(),
         target);
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  std::string iface;
  unsigned long iterations = 1000;
  int opt;
  while ((opt = getopt(argc, argv, "i:n:")) != -1) {
    switch (opt) {
      case 'i': iface = optarg; break;
      case 'n':
        if (!ParseUnsigned(optarg, 1000000, &iterations) || iterations == 0)
          Fatal(kExitUsage, "bad -n");
        break;
      default: Fatal(kExitUsage, "usage: dhcp_client -i IFACE [-n ITERATIONS]");
    }
  }
  if (iface.empty()) Fatal(kExitUsage, "usage: dhcp_client -i IFACE [-n ITERATIONS]");
  Client client(iface);
  srandom(static_cast<unsigned>(getpid()));
  std::vector<int64_t> offer_ns, ack_ns;
  unsigned long lost = 0;
  for (unsigned long i = 0; i < iterations; ++i) {
    uint32_t xid = static_cast<uint32_t>(random());
    DhcpPacket offer, ack;
    int64_t start = NowNs();
    client.Send(client.Message(kDhcpDiscover, xid));
    if (!client.Await(kDhcpOffer, xid, 1000, &offer)) {
      ++lost;
      continue;
    }
    int64_t offered = NowNs();
    DhcpPacket request = client.Message(kDhcpRequest, xid);
    request.server_id = offer.server_id;
    request.requested_address = offer.yiaddr;
    client.Send(request);
    if (!client.Await(kDhcpAck, xid, 1000, &ack)) {
      ++lost;
      continue;
    }
    int64_t acked = NowNs();
    offer_ns.push_back(offered - start);
    ack_ns.push_back(acked - start);
  }
  Report("DISCOVER->OFFER", offer_ns, "< 1 ms");
  Report("DISCOVER->ACK (lease)", ack_ns, "< 5 ms");
  printf("%-22s %lu of %lu exchanges\n", "unanswered", lost, iterations);
  return 0;
}
