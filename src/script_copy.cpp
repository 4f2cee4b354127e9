#include "script_copy.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.hpp"
#include "fd.hpp"
#include "file_io.hpp"

namespace runall {

namespace {

int OpenRegular(const std::string& path, struct stat* st, std::string* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *err = ErrnoMessage(path);
    return -1;
  }
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    *err = path + ": not a regular file";
    close(fd);
    return -1;
  }
  return fd;
}

// Reads up to `len` bytes, retrying short reads, so that two files are
// compared block for block. Returns the count, or -1.
ssize_t ReadFull(int fd, char* buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

bool FilesIdentical(const std::string& a, const std::string& b, bool* identical, std::string* err) {
  struct stat sa, sb;
  Fd fa(OpenRegular(a, &sa, err));
  if (fa.get() < 0) return false;
  Fd fb(OpenRegular(b, &sb, err));
  if (fb.get() < 0) return false;
  if (sa.st_size != sb.st_size) {
    *identical = false;
    return true;
  }
  char ba[8192], bb[8192];
  while (true) {
    ssize_t na = ReadFull(fa.get(), ba, sizeof ba);
    ssize_t nb = ReadFull(fb.get(), bb, sizeof bb);
    if (na < 0 || nb < 0) {
      *err = ErrnoMessage(na < 0 ? a : b);
      return false;
    }
    if (na != nb || memcmp(ba, bb, static_cast<size_t>(na)) != 0) {
      *identical = false;
      return true;
    }
    if (na == 0) break;
  }
  *identical = true;
  return true;
}

bool CopyScript(const std::string& source, const std::string& target, std::string* err) {
  struct stat st;
  Fd in(OpenRegular(source, &st, err));
  if (in.get() < 0) return false;
  size_t slash = target.rfind('/');
  std::string dir = slash == std::string::npos ? "." : target.substr(0, slash);
  std::string name = slash == std::string::npos ? target : target.substr(slash + 1);
  // A hidden temporary beside the target: the same filesystem, so the
  // rename is atomic, and no guest mistakes it for a script.
  std::string tmp = dir + "/." + name + ".XXXXXX";
  Fd out(mkostemp(&tmp[0], O_CLOEXEC));
  if (out.get() < 0) {
    *err = ErrnoMessage("cannot create a file in " + dir);
    return false;
  }
  bool ok = true;
  char buf[8192];
  while (ok) {
    ssize_t n = read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = ErrnoMessage(source);
      ok = false;
    } else if (n == 0) {
      break;
    } else if (!WriteAll(out.get(), buf, static_cast<size_t>(n))) {
      *err = ErrnoMessage(tmp);
      ok = false;
    }
  }
  mode_t mode = (st.st_mode & 07777 & ~static_cast<mode_t>(S_ISUID | S_ISGID)) | S_IXUSR;
  if (ok && fchmod(out.get(), mode) != 0) {
    *err = ErrnoMessage(tmp);
    ok = false;
  }
  if (ok && out.Close() != 0) {
    *err = ErrnoMessage(tmp);
    ok = false;
  }
  if (ok && rename(tmp.c_str(), target.c_str()) != 0) {
    *err = ErrnoMessage("rename to " + target);
    ok = false;
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

bool MakeUserExecutable(const std::string& path, std::string* err) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    *err = ErrnoMessage(path);
    return false;
  }
  if (st.st_mode & S_IXUSR) return true;
  if (chmod(path.c_str(), (st.st_mode & 07777) | S_IXUSR) != 0) {
    *err = ErrnoMessage("chmod u+x " + path);
    return false;
  }
  return true;
}

}  // namespace runall
