// dhcp_flood: sends hostile and malformed datagrams to port 67 through one
// interface, for the root test that checks the DHCP daemon survives them.
//
//   dhcp_flood -i IFACE [-n COUNT] [-s SEED]
//
// Each datagram is one of a fixed list of hand-made hostile packets
// (truncated, bad cookie, options running past the end, a zero-length or
// doubled message type, a huge hlen, a bad overload, oversized, empty,
// relayed, a server's message) or a valid DISCOVER with random bytes
// overwritten. Deterministic for a given seed. Prints the number sent.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "dhcp_packet.hpp"
#include "fail.hpp"
#include "validate.hpp"

using namespace runall;

namespace {

std::vector<uint8_t> Discover() {
  DhcpPacket p;
  p.op = kBootRequest;
  p.htype = kHtypeEthernet;
  p.hlen = 6;
  p.xid = 0x0badf00d;
  p.chaddr[0] = 0x02;
  p.chaddr[5] = 0x99;
  p.message_type = kDhcpDiscover;
  uint8_t buf[kDhcpMaxSize];
  size_t n = EncodeDhcpPacket(p, buf, sizeof buf);
  return std::vector<uint8_t>(buf, buf + n);
}

// The hand-made hostile packets; index i picks one.
std::vector<uint8_t> Hostile(size_t i) {
  std::vector<uint8_t> p = Discover();
  const size_t opt = kDhcpMinSize;  // the message type option starts here
  switch (i) {
    case 0: p.resize(100); break;     // truncated header
    case 1: p.resize(239); break;     // cookie cut short
    case 2: p[239] = 0; break;        // bad magic cookie
    case 3: p[opt + 1] = 250; break;  // runs past the end
    case 4: p[opt + 1] = 0; break;    // zero-length type
    case 5: p[2] = 255; break;        // huge hlen
    case 6: p[0] = 7; break;          // bad op
    case 7:                           // type twice
      p[opt + 3] = 53;
      p[opt + 4] = 1;
      p[opt + 5] = 3;
      p[opt + 6] = 255;
      break;
    case 8:  // bad overload
      p[opt + 3] = 52;
      p[opt + 4] = 1;
      p[opt + 5] = 9;
      p[opt + 6] = 255;
      break;
    case 9:  // overload spills
      p[opt + 3] = 52;
      p[opt + 4] = 1;
      p[opt + 5] = 1;
      p[opt + 6] = 255;
      p[230] = 12;
      p[231] = 60;
      break;
    case 10: p.assign(3000, 0x41); break;  // oversized
    case 11: p.clear(); break;             // empty datagram
    case 12: p[opt + 2] = 42; break;       // unknown type
    case 13:
      p[opt + 3] = 61;
      p[opt + 4] = 1;
      break;                                  // 1-byte client id
    case 14: p[24] = 10; break;               // relayed (valid)
    case 15: p[opt + 2] = kDhcpOffer; break;  // a server's message
    default: break;
  }
  return p;
}
constexpr size_t kHostileKinds = 16;

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  std::string iface;
  unsigned long count = 1000, seed = 1;
  int opt;
  while ((opt = getopt(argc, argv, "i:n:s:")) != -1) {
    switch (opt) {
      case 'i': iface = optarg; break;
      case 'n':
        if (!ParseUnsigned(optarg, 10000000, &count)) Fatal(kExitUsage, "bad -n");
        break;
      case 's':
        if (!ParseUnsigned(optarg, 0xffffffffu, &seed)) Fatal(kExitUsage, "bad -s");
        break;
      default: Fatal(kExitUsage, "usage: dhcp_flood -i IFACE [-n COUNT] [-s SEED]");
    }
  }
  if (iface.empty()) Fatal(kExitUsage, "usage: dhcp_flood -i IFACE [-n COUNT] [-s SEED]");
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Fatal(kExitSystem, ErrnoMessage("socket"));
  int on = 1;
  if (setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0 ||
      setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, iface.c_str(),
                 static_cast<socklen_t>(iface.size() + 1)) != 0)
    Fatal(kExitSystem, ErrnoMessage("setsockopt " + iface));
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(kDhcpServerPort);
  to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
  srandom(static_cast<unsigned>(seed));
  unsigned long sent = 0;
  for (unsigned long i = 0; i < count; ++i) {
    std::vector<uint8_t> p;
    if (i % 2 == 0) {
      p = Hostile((i / 2) % kHostileKinds);
    } else {
      p = Discover();
      int flips = 1 + static_cast<int>(random() % 8);
      for (int f = 0; f < flips; ++f)
        p[static_cast<size_t>(random()) % p.size()] = static_cast<uint8_t>(random());
      if (random() % 4 == 0) p.resize(static_cast<size_t>(random()) % p.size());
    }
    if (sendto(s, p.data(), p.size(), 0, reinterpret_cast<struct sockaddr*>(&to), sizeof to) >= 0) {
      ++sent;
    } else if (errno != EMSGSIZE && errno != ENOBUFS) {
      Fatal(kExitSystem, ErrnoMessage("sendto"));
    }
    // Pace a little so that the receiver's socket buffer, not the sender,
    // decides what is dropped only when really flooded.
    if (i % 32 == 31) usleep(1000);
  }
  printf("%lu\n", sent);
  return 0;
}
