// file_io: reading a whole small file the way every runall tool should -
// close-on-exec, no controlling terminal, EINTR retried, a size cap, and,
// where asked, no symbolic link, only a regular file, only a root-owned file
// nobody else may write. One place, so a check is never forgotten in one
// reader and present in another.
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <string>

namespace runall {

struct FileCheck {
  bool follow = false;         ///< allow a symbolic link as the last component
  bool regular = true;         ///< refuse anything but a regular file
  bool root_owned = false;     ///< owned by root, not writable by group/others
  size_t max_bytes = 1 << 20;  ///< refuse a larger file
};

/// Reads the file at `path` into *text. On false, *err says why (naming the
/// path) and *errnum, if given, holds the errno (ENOENT for a missing file,
/// ELOOP for a refused symlink, 0 for a refusal by `check`).
bool ReadFileText(const std::string& path, const FileCheck& check, std::string* text,
                  std::string* err, int* errnum = nullptr);

/// Writes all of `text` to `fd`, retrying short writes and EINTR. False
/// (errno set) if a write failed.
bool WriteAll(int fd, const std::string& text);
/// The same for `len` bytes at `data`.
bool WriteAll(int fd, const char* data, size_t len);

/// Reads `fd` to its end into *text, at most `max_bytes` (EFBIG beyond).
/// Returns false with errno set.
bool ReadFdText(int fd, size_t max_bytes, std::string* text);

/// mkdir -p: makes `path` and its missing parents, each new one with
/// `mode`. An existing directory is fine; an existing non-directory is not.
bool MakeDirs(const std::string& path, mode_t mode, std::string* err);

/// The directory part of `path`: "." when it has no slash, "/" for "/x".
std::string DirName(const std::string& path);

}  // namespace runall
