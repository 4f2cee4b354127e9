// link_watch: hear at once that a network interface was deleted. On Linux a
// route netlink socket subscribed to link events; elsewhere there is no
// event source and the caller polls if_nametoindex instead.
#pragma once

#include <stddef.h>

#include <string>

namespace runall {

class LinkWatch {
 public:
  LinkWatch() = default;
  ~LinkWatch();
  LinkWatch(const LinkWatch&) = delete;
  LinkWatch& operator=(const LinkWatch&) = delete;

  /// Starts listening. False, with *err, where link events cannot be had;
  /// the caller then relies on polling alone.
  bool Open(std::string* err);

  /// The descriptor to poll for input; -1 when not open.
  int fd() const { return fd_; }

  /// Reads every pending event. True if interface `ifindex` was deleted, or
  /// if events were lost and the caller must look for itself.
  bool Drain(unsigned ifindex);

 private:
  int fd_ = -1;
};

/// True if the route netlink messages in buf[0, len) - what one recv()
/// gave - hold the deletion of interface `ifindex` (an RTM_DELLINK naming
/// it). Messages too short for what they claim are skipped. Linux only;
/// false elsewhere.
bool LinkDeletedIn(const void* buf, size_t len, unsigned ifindex);

}  // namespace runall
