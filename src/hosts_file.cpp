#include "hosts_file.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "fail.hpp"
#include "fd.hpp"

namespace runall {

namespace {

// A hosts file bigger than this is not one update-dynamic-hosts should be
// rewriting; refusing it also bounds the memory a bad path can cost.
const off_t kMaxHostsSize = 64 << 20;

// Removes a temporary file unless told it has been renamed away.
class TempName {
 public:
  explicit TempName(int dirfd) : dirfd_(dirfd) {}
  ~TempName() {
    if (!name.empty()) unlinkat(dirfd_, name.c_str(), 0);
  }
  TempName(const TempName&) = delete;
  TempName& operator=(const TempName&) = delete;
  void Release() { name.clear(); }
  std::string name;

 private:
  int dirfd_;
};

// Nanoseconds of `clock`.
uint64_t Nanoseconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Random enough for temporary names (O_EXCL settles collisions) and for
// spreading the retries of writers waiting for the lock.
uint64_t NextRandom() {
  // Per thread, so that a multi-threaded caller has no data race; the
  // state's address tells the threads apart.
  thread_local uint64_t state = 0;
  if (state == 0)
    state = Nanoseconds(CLOCK_REALTIME) ^ (static_cast<uint64_t>(getpid()) << 32) ^
            reinterpret_cast<uintptr_t>(&state);
  state += 0x9e3779b97f4a7c15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

const char kTempChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const size_t kTempSuffix = 6;

std::string TempCandidate(const std::string& base) {
  std::string name = "." + base + ".";
  uint64_t r = NextRandom();
  for (size_t i = 0; i < kTempSuffix; ++i) {
    name += kTempChars[r % (sizeof kTempChars - 1)];
    r /= sizeof kTempChars - 1;
  }
  return name;
}

bool IsTempName(const std::string& name, const std::string& base) {
  const size_t prefix = base.size() + 2;
  if (name.size() != prefix + kTempSuffix || name[0] != '.' ||
      name.compare(1, base.size(), base) != 0 || name[prefix - 1] != '.')
    return false;
  for (size_t i = prefix; i < name.size(); ++i) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool SplitPath(const std::string& path, std::string* dir, std::string* base, std::string* err) {
  size_t slash = path.rfind('/');
  *dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  *base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base->empty() || *base == "." || *base == "..") {
    *err = "\"" + path + "\": not a file name";
    return false;
  }
  return true;
}

bool WriteAt(int fd, const char* data, size_t size, off_t offset, const std::string& what,
             std::string* err) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = ErrnoMessage(what);
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

bool ReadAll(int fd, off_t size, std::string* text, const std::string& what, std::string* err) {
  text->clear();
  text->reserve(static_cast<size_t>(size) + 1);
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = ErrnoMessage(what);
      return false;
    }
    if (n == 0) return true;
    text->append(buf, static_cast<size_t>(n));
    if (text->size() > static_cast<size_t>(kMaxHostsSize)) {
      *err = what + ": larger than 64 MiB; refusing it";
      return false;
    }
  }
}

// Waits for the lock with short, growing, jittered sleeps rather than a
// blocking flock: a blocking wait could only be bounded with a signal, and
// this code also runs inside other tools whose signal handling it must not
// disturb. The kernel drops the lock when its holder dies, so a killed
// writer never leaves it stuck.
bool TakeLock(int dirfd, const std::string& name, const std::string& shown,
              const HostsFileOptions& options, Fd* lock, std::string* err) {
  lock->Reset(openat(dirfd, name.c_str(),
                     O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600));
  if (!lock->ok()) {
    *err = errno == ELOOP ? shown + ": is a symbolic link; refusing it" : ErrnoMessage(shown);
    return false;
  }
  struct stat st;
  if (fstat(lock->get(), &st) != 0) {
    *err = ErrnoMessage(shown);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *err = shown + ": not a regular file; refusing it";
    return false;
  }
  auto now = [&options]() {
    return options.clock_ns ? options.clock_ns() : Nanoseconds(CLOCK_MONOTONIC);
  };
  const unsigned timeout_ms = options.lock_timeout_ms;
  const uint64_t start = now();
  const uint64_t limit = static_cast<uint64_t>(timeout_ms) * 1000000u;
  uint64_t delay = 50000;  // ns
  while (flock(lock->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      *err = ErrnoMessage(shown + ": lock");
      return false;
    }
    uint64_t waited = now() - start;
    if (waited >= limit) {
      *err = shown + ": still locked by another writer after " + std::to_string(timeout_ms / 1000) +
             "." + std::to_string(timeout_ms % 1000 / 100) + " s; giving up";
      return false;
    }
    uint64_t sleep = delay / 2 + NextRandom() % delay;
    if (sleep > limit - waited) sleep = limit - waited;
    if (options.sleep_ns) {
      options.sleep_ns(sleep);
    } else {
      struct timespec ts = {static_cast<time_t>(sleep / 1000000000u),
                            static_cast<long>(sleep % 1000000000u)};
      nanosleep(&ts, nullptr);
    }
    if (delay < 4000000) delay *= 2;
  }
  return true;
}

// A temporary file exists only while its writer holds the lock; we hold it
// now, so any left over belongs to a writer that was killed. Failing to
// remove one is harmless, hence no error.
void RemoveStaleTemps(int dirfd, const std::string& base) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return;
  }
  while (struct dirent* ent = readdir(d)) {
    std::string name = ent->d_name;
    if (!IsTempName(name, base)) continue;
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
      unlinkat(dirfd, name.c_str(), 0);
  }
  closedir(d);
}

bool CreateTemp(int dirfd, const std::string& base, const std::string& dir, Fd* fd, TempName* temp,
                std::string* err) {
  for (int tries = 0; tries < 100; ++tries) {
    std::string name = TempCandidate(base);
    fd->Reset(openat(dirfd, name.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (fd->ok()) {
      temp->name = name;
      return true;
    }
    if (errno != EEXIST) {
      *err = ErrnoMessage(dir + "/" + name);
      return false;
    }
  }
  *err = dir + ": no free temporary file name";
  return false;
}

// Owner first, mode second: chown may clear set-id bits, chmod restores the
// original mode exactly. chown is skipped when it would change nothing, so
// that an unprivileged user can edit their own test file.
bool CopyOwnerAndMode(int fd, const struct stat& st, const std::string& what, std::string* err) {
  struct stat now;
  if (fstat(fd, &now) != 0) {
    *err = ErrnoMessage(what);
    return false;
  }
  if ((now.st_uid != st.st_uid || now.st_gid != st.st_gid) &&
      fchown(fd, st.st_uid, st.st_gid) != 0) {
    *err = ErrnoMessage(what + ": cannot give it the hosts file's owner");
    return false;
  }
  if (fchmod(fd, st.st_mode & 07777) != 0) {
    *err = ErrnoMessage(what + ": cannot give it the hosts file's mode");
    return false;
  }
  return true;
}

// Writes `text` to a new temporary file with the hosts file's owner and
// mode, fsync'd. On success the caller renames it (and releases `temp`).
bool WriteTemp(int dirfd, const std::string& dir, const std::string& base, const std::string& text,
               const struct stat& st, TempName* temp, std::string* err) {
  Fd fd;
  if (!CreateTemp(dirfd, base, dir, &fd, temp, err)) return false;
  std::string shown = dir + "/" + temp->name;
  if (!WriteAt(fd.get(), text.data(), text.size(), 0, shown, err) ||
      !CopyOwnerAndMode(fd.get(), st, shown, err))
    return false;
  if (fsync(fd.get()) != 0) {
    *err = ErrnoMessage(shown + ": fsync");
    return false;
  }
  return true;
}

// Keeps the previous version as NAME.old. A hard link costs nothing and is
// exactly the old inode, which the rename path never modifies; where that
// is impossible (a bind-mounted hosts file gives EXDEV) or wrong (the file
// is about to be rewritten in place, so a link would change with it), a
// copy is written through a temporary file. Either way NAME.old is
// replaced by rename, so it too is always complete. *linked tells which.
bool KeepOld(int dirfd, const std::string& dir, const std::string& base,
             const std::string& old_text, const struct stat& st, bool may_link, bool* linked,
             std::string* err) {
  const std::string old_name = base + ".old";
  *linked = false;
  TempName temp(dirfd);
  if (may_link) {
    for (int tries = 0; tries < 100 && temp.name.empty(); ++tries) {
      std::string name = TempCandidate(base);
      if (linkat(dirfd, base.c_str(), dirfd, name.c_str(), 0) == 0)
        temp.name = name;
      else if (errno != EEXIST)
        break;
    }
    *linked = !temp.name.empty();
  }
  if (!*linked && !WriteTemp(dirfd, dir, base, old_text, st, &temp, err)) return false;
  if (renameat(dirfd, temp.name.c_str(), dirfd, old_name.c_str()) != 0) {
    *err = ErrnoMessage(dir + "/" + old_name);
    *linked = false;
    return false;
  }
  // Not released: if NAME.old was already a link to the same file (a writer
  // was killed between keeping it and its own rename), rename does nothing
  // and succeeds, leaving the temporary link behind; removing the name
  // afterwards covers that case and is harmless otherwise.
  return true;
}

// The in-place rewrite, for a hosts file that cannot be replaced. Readers
// take no lock, so they may read while this writes; the order of the steps
// decides what they can see:
//   - Bytes before the first one that changes are never written, so the
//     static part of the file (usually everything above the section) is
//     always intact.
//   - The file never shrinks before its new content is complete and never
//     grows by content that is not yet there: if the new text is longer,
//     the file is first extended with newlines (old text plus blank lines,
//     a valid hosts file); then the changed tail is written in one pwrite
//     within the current size, padded with newlines if the new text is
//     shorter (new text plus blank lines); only then is it truncated to the
//     new length, which removes nothing but those blank lines.
// So a reader never sees the file empty, shorter than its static part, or
// ending in the middle of a line. What remains possible, and is documented:
// a read that races the single pwrite of the tail may get part of the old
// tail and part of the new one (the kernel copies page by page and does not
// make reads atomic against writes). A kill -9 between steps leaves a valid
// file (old or new text, perhaps followed by blank lines).
bool RewriteInPlace(int dirfd, const std::string& base, const std::string& path,
                    const struct stat& st, const std::string& old_text, const std::string& new_text,
                    std::string* err) {
  Fd fd(openat(dirfd, base.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.ok()) {
    *err = ErrnoMessage(path);
    return false;
  }
  struct stat now;
  if (fstat(fd.get(), &now) != 0) {
    *err = ErrnoMessage(path);
    return false;
  }
  if (now.st_dev != st.st_dev || now.st_ino != st.st_ino ||
      now.st_size != static_cast<off_t>(old_text.size())) {
    *err = path + ": changed by another program while locked; not written";
    return false;
  }
  size_t same = 0;
  size_t common = std::min(old_text.size(), new_text.size());
  while (same < common && old_text[same] == new_text[same]) ++same;

  const size_t old_size = old_text.size(), new_size = new_text.size();
  if (new_size > old_size) {
    std::string blank(new_size - old_size, '\n');
    if (!WriteAt(fd.get(), blank.data(), blank.size(), static_cast<off_t>(old_size), path, err))
      return false;
  }
  std::string tail = new_text.substr(same);
  if (old_size > new_size) tail.append(old_size - new_size, '\n');
  if (!WriteAt(fd.get(), tail.data(), tail.size(), static_cast<off_t>(same), path, err))
    return false;
  if (new_size < old_size && ftruncate(fd.get(), static_cast<off_t>(new_size)) != 0) {
    *err = ErrnoMessage(path + ": truncate");
    return false;
  }
  if (fsync(fd.get()) != 0) {
    *err = ErrnoMessage(path + ": fsync");
    return false;
  }
  return true;
}

}  // namespace

std::string HostsLockPath(const std::string& path) { return path + ".lock"; }

bool EditHostsFile(const std::string& path, const HostsEditor& editor,
                   const HostsFileOptions& options, HostsFileResult* result, std::string* err) {
  *result = HostsFileResult();
  std::string dir, base;
  if (!SplitPath(path, &dir, &base, err)) return false;
  Fd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.ok()) {
    *err = ErrnoMessage(dir);
    return false;
  }
  // Every later name is looked up in this directory, so the directory
  // cannot be swapped underneath between the steps.
  Fd lock;
  if (!TakeLock(dirfd.get(), base + ".lock", HostsLockPath(path), options, &lock, err))
    return false;
  RemoveStaleTemps(dirfd.get(), base);

  Fd hosts(
      openat(dirfd.get(), base.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!hosts.ok()) {
    if (errno == ELOOP)
      *err = path +
             ": is a symbolic link; refusing it (the hosts file, "
             "/etc/hosts included, is never reached through a "
             "symlink: name the real file)";
    else if (errno == ENOENT)
      *err = path + ": does not exist";
    else
      *err = ErrnoMessage(path);
    return false;
  }
  struct stat st;
  if (fstat(hosts.get(), &st) != 0) {
    *err = ErrnoMessage(path);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *err = path + ": is a directory";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *err = path + ": not a regular file";
    return false;
  }
  if (st.st_size > kMaxHostsSize) {
    *err = path + ": larger than 64 MiB; refusing it";
    return false;
  }
  std::string old_text, new_text;
  if (!ReadAll(hosts.get(), st.st_size, &old_text, path, err)) return false;
  hosts.Reset(-1);

  result->outcome = editor(old_text, &new_text, &result->why);
  if (result->outcome != SectionEdit::kChanged) return true;

  bool linked = false;
  if (options.in_place) {
    if (!KeepOld(dirfd.get(), dir, base, old_text, st, false, &linked, err) ||
        !RewriteInPlace(dirfd.get(), base, path, st, old_text, new_text, err))
      return false;
    result->write = HostsWrite::kInPlace;
  } else {
    TempName temp(dirfd.get());
    if (!WriteTemp(dirfd.get(), dir, base, new_text, st, &temp, err) ||
        !KeepOld(dirfd.get(), dir, base, old_text, st, true, &linked, err))
      return false;
    if (renameat(dirfd.get(), temp.name.c_str(), dirfd.get(), base.c_str()) == 0) {
      temp.Release();
      result->write = HostsWrite::kRenamed;
    } else if (errno == EBUSY) {
      // A mount point cannot be renamed over: the hosts file is a bind
      // mount. NAME.old must not share the inode about to be rewritten.
      if (linked && !KeepOld(dirfd.get(), dir, base, old_text, st, false, &linked, err))
        return false;
      if (!RewriteInPlace(dirfd.get(), base, path, st, old_text, new_text, err)) return false;
      result->write = HostsWrite::kInPlace;
    } else {
      *err = ErrnoMessage(path + ": rename");
      return false;
    }
  }
  // The renames are durable only once the directory is.
  if (fsync(dirfd.get()) != 0) {
    *err = ErrnoMessage(dir + ": fsync");
    return false;
  }
  return true;
}

bool EditDynamicHosts(const std::string& path, const DynamicHostEdit& edit,
                      const SectionRules& rules, const HostsFileOptions& options,
                      HostsFileResult* result, std::string* err) {
  *result = HostsFileResult();
  // Arguments are checked before anything is opened or locked.
  if (!CheckDynamicHostname(edit.hostname, &result->why) ||
      (!edit.remove && !CheckDynamicAddress(edit.ip, nullptr, &result->why))) {
    result->outcome = SectionEdit::kInvalid;
    return true;
  }
  auto editor = [&](const std::string& old_text, std::string* out, std::string* why) {
    return edit.remove ? UnmapDynamicHost(old_text, edit.hostname, rules, out, why)
                       : MapDynamicHost(old_text, edit.hostname, edit.ip, rules, out, why);
  };
  return EditHostsFile(path, editor, options, result, err);
}

}  // namespace runall
