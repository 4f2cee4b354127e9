#include "file_io.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.hpp"

namespace runall {

bool WriteAll(int fd, const char* data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool WriteAll(int fd, const std::string& text) { return WriteAll(fd, text.data(), text.size()); }

bool ReadFdText(int fd, size_t max_bytes, std::string* text) {
  text->clear();
  char buf[8192];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    if (text->size() + static_cast<size_t>(n) > max_bytes) {
      errno = EFBIG;
      return false;
    }
    text->append(buf, static_cast<size_t>(n));
  }
}

bool ReadFileText(const std::string& path, const FileCheck& check, std::string* text,
                  std::string* err, int* errnum) {
  int dummy = 0;
  if (errnum == nullptr) errnum = &dummy;
  *errnum = 0;
  // O_NONBLOCK: a FIFO planted where a file was expected must not hang a
  // helper that sudo started; it is then refused as not a regular file.
  int fd = open(path.c_str(),
                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (check.follow ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    *errnum = errno;
    *err = errno == ELOOP && !check.follow ? path + ": is a symbolic link; refusing it"
                                           : ErrnoMessage(path);
    return false;
  }
  struct stat st;
  std::string refusal;
  if (fstat(fd, &st) != 0) {
    *errnum = errno;
    *err = ErrnoMessage(path);
    close(fd);
    return false;
  }
  if (check.regular && !S_ISREG(st.st_mode))
    refusal = path + ": not a regular file";
  else if (check.root_owned && (st.st_uid != 0 || (st.st_mode & 022) != 0))
    refusal = path +
              ": must be owned by root and not writable by group or "
              "others; refusing it";
  if (!refusal.empty()) {
    *err = refusal;
    close(fd);
    return false;
  }
  bool ok = ReadFdText(fd, check.max_bytes, text);
  int saved = errno;
  close(fd);
  if (!ok) {
    *errnum = saved;
    *err = saved == EFBIG
               ? path + ": larger than " + std::to_string(check.max_bytes) + " bytes; refusing it"
               : ErrnoMessage(path, saved);
  }
  return ok;
}

bool MakeDirs(const std::string& path, mode_t mode, std::string* err) {
  if (path.empty()) return true;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    *err = path + ": not a directory";
    return false;
  }
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0 && !MakeDirs(path.substr(0, slash), mode, err))
    return false;
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    *err = ErrnoMessage("mkdir " + path);
    return false;
  }
  return true;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace runall
