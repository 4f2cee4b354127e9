#include "file_copy.hpp"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <vector>

#ifdef __linux__
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif

#include "file_io.hpp"

namespace runall {

namespace {

// Large enough that a few hundred MiB take a few hundred calls.
const size_t kChunk = 1 << 20;

// The file system's clone of a whole file, where it has one (Linux's
// FICLONE: btrfs, XFS with reflink, bcachefs, overlayfs over those).
bool Clone(int from, int to) {
#ifdef FICLONE
  return ioctl(to, FICLONE, from) == 0;
#else
  (void)from;
  (void)to;
  return false;
#endif
}

}  // namespace

bool CopyFileContents(int from, int to, bool* cloned, std::string* err) {
  *cloned = Clone(from, to);
  if (*cloned) return true;
  // A failed clone (EOPNOTSUPP, EXDEV, EINVAL) has written nothing.
  std::vector<char> buf(kChunk);
  for (;;) {
    ssize_t n = read(from, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = std::string("read: ") + strerror(errno);
      return false;
    }
    if (n == 0) return true;
    if (!WriteAll(to, buf.data(), static_cast<size_t>(n))) {
      *err = std::string("write: ") + strerror(errno);
      return false;
    }
  }
}

}  // namespace runall
