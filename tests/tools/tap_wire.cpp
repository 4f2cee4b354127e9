// tap_wire TAP NETNS IFACE: the wire between a tap and a guest NIC. Attaches
// to the persistent tap TAP (in the caller's network namespace) the way QEMU
// does, then copies every frame between it and IFACE in the network
// namespace NETNS (/run/netns/NETNS), whose peer is the guest's NIC: what
// QEMU would do for a guest, without booting one. Prints "wired" once both
// ends are open, and runs until killed. Needs root.
//
// The root tests use it to give a tap that start-tun-interface -c made for
// a user (a veth is refused through sudo) a guest that takes a real lease.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "tun.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: tap_wire TAP NETNS IFACE\n");
    return 100;
  }
  std::string err;
  int errnum = 0;
  int tap = runall::AttachTap(argv[1], true, false, &err, &errnum);
  if (tap < 0) {
    fprintf(stderr, "tap_wire: %s\n", err.c_str());
    return 111;
  }
  const std::string ns_path = std::string("/run/netns/") + argv[2];
  int ns = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
    perror(ns_path.c_str());
    return 111;
  }
  close(ns);
  // The packet socket belongs to the namespace it is made in: NETNS's.
  int wire = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  struct sockaddr_ll ll;
  memset(&ll, 0, sizeof ll);
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  ll.sll_ifindex = static_cast<int>(if_nametoindex(argv[3]));
  if (wire < 0 || ll.sll_ifindex == 0 ||
      bind(wire, reinterpret_cast<struct sockaddr*>(&ll), sizeof ll) != 0) {
    perror(argv[3]);
    return 111;
  }
  printf("wired %s to %s in %s\n", argv[1], argv[3], argv[2]);
  fflush(stdout);
  unsigned char frame[65536];
  struct pollfd fds[2] = {{tap, POLLIN, 0}, {wire, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return 111;
    }
    if (fds[0].revents & POLLIN) {
      // What the host sends on the tap goes out to the guest.
      ssize_t n = read(tap, frame, sizeof frame);
      if (n > 0) (void)!send(wire, frame, static_cast<size_t>(n), 0);
    }
    if (fds[1].revents & POLLIN) {
      struct sockaddr_ll from;
      socklen_t len = sizeof from;
      ssize_t n =
          recvfrom(wire, frame, sizeof frame, 0, reinterpret_cast<struct sockaddr*>(&from), &len);
      // What the guest sent comes in on the tap; what we sent ourselves
      // shows up as outgoing and is not sent back.
      if (n > 0 && from.sll_pkttype != PACKET_OUTGOING)
        (void)!write(tap, frame, static_cast<size_t>(n));
    }
    if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) return 1;
  }
}
