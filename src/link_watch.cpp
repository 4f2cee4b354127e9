#include "link_watch.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

#include "fail.hpp"

namespace runall {

LinkWatch::~LinkWatch() {
  if (fd_ >= 0) close(fd_);
}

#ifdef __linux__

bool LinkWatch::Open(std::string* err) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  NETLINK_ROUTE);
  if (fd < 0) {
    *err = ErrnoMessage("netlink socket");
    return false;
  }
  struct sockaddr_nl addr = {};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    *err = ErrnoMessage("netlink bind");
    close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

bool LinkWatch::Drain(unsigned ifindex) {
  if (fd_ < 0) return false;
  bool gone = false;
  // Aligned for the nlmsghdr casts below.
  alignas(struct nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // ENOBUFS: the kernel dropped events for us. One of them may have
      // been the deletion, so the caller must check by name.
      if (errno == ENOBUFS) gone = true;
      return gone;
    }
    if (n == 0) return gone;
    size_t len = static_cast<size_t>(n);
    for (struct nlmsghdr* h = reinterpret_cast<struct nlmsghdr*>(buf);
         NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != RTM_DELLINK) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) continue;
      const struct ifinfomsg* info =
          static_cast<const struct ifinfomsg*>(NLMSG_DATA(h));
      if (static_cast<unsigned>(info->ifi_index) == ifindex) gone = true;
    }
  }
}

#else

bool LinkWatch::Open(std::string* err) {
  *err = "link events: not available on this system";
  return false;
}

bool LinkWatch::Drain(unsigned) { return false; }

#endif

}  // namespace runall
