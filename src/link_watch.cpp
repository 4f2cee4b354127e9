#include "link_watch.hpp"

#include <errno.h>
#include <string.h>
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
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
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
    if (LinkDeletedIn(buf, static_cast<size_t>(n), ifindex)) gone = true;
  }
}

bool LinkDeletedIn(const void* buf, size_t len, unsigned ifindex) {
  // NLMSG_OK and NLMSG_NEXT walk the messages without leaving the buffer;
  // a message shorter than its header says ends the walk.
  const struct nlmsghdr* h = static_cast<const struct nlmsghdr*>(buf);
  for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type != RTM_DELLINK) continue;
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) continue;
    struct ifinfomsg info;
    memcpy(&info, NLMSG_DATA(h), sizeof info);
    if (static_cast<unsigned>(info.ifi_index) == ifindex) return true;
  }
  return false;
}

#else

bool LinkWatch::Open(std::string* err) {
  *err = "link events: not available on this system";
  return false;
}

bool LinkWatch::Drain(unsigned) { return false; }

bool LinkDeletedIn(const void*, size_t, unsigned) { return false; }

#endif

}  // namespace runall
