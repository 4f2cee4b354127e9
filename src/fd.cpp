#include "fd.hpp"

#include <unistd.h>

namespace runall {

void Fd::Reset(int fd) {
  // close() is not retried on EINTR: on Linux the descriptor is gone
  // either way, and a retry could close one another thread just opened.
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

int Fd::Close() {
  int fd = Release();
  return fd >= 0 ? close(fd) : 0;
}

}  // namespace runall
