#include "image_lock.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#include "fail.hpp"
#include "file_io.hpp"
#include "proc.hpp"

namespace runall {

namespace {

// The byte runall locks, and QEMU's bytes for the WRITE permission (bit 1):
// 100 + 1 is held by a QEMU that writes, 200 + 1 by one that lets nobody
// else write.
const off_t kRunallByte = 0;
const off_t kQemuWriteByte = 101;
const off_t kQemuNoShareWriteByte = 201;

bool HaveOfd() {
#ifdef F_OFD_SETLK
  return true;
#else
  return false;
#endif
}

int GetLockCommand(LockKind kind) {
#ifdef F_OFD_GETLK
  if (kind == LockKind::kOfd) return F_OFD_GETLK;
#endif
  (void)kind;
  return F_GETLK;
}

int SetLockCommand(LockKind kind) {
#ifdef F_OFD_SETLK
  if (kind == LockKind::kOfd) return F_OFD_SETLK;
#endif
  (void)kind;
  return F_SETLK;
}

struct flock OneByte(short type, off_t byte) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);  // F_OFD_* insist on l_pid == 0
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
  return fl;
}

// What holds a lock that a write lock on a byte would conflict with.
struct Conflict {
  bool held = false;
  bool write = false;  ///< a write lock (else a read lock)
  pid_t pid = 0;       ///< a POSIX lock's holder as the kernel gives it
};

// Asks whether a write lock on `byte` would conflict with a lock someone
// else holds. Any lock there, shared or not, means it is held.
bool Held(int fd, LockKind kind, off_t byte, Conflict* c, std::string* err) {
  struct flock fl = OneByte(F_WRLCK, byte);
  if (fcntl(fd, GetLockCommand(kind), &fl) != 0) {
    *err = ErrnoMessage("cannot test the lock on byte " + std::to_string(byte));
    return false;
  }
  c->held = fl.l_type != F_UNLCK;
  c->write = fl.l_type == F_WRLCK;
  // OFD locks have no owning process; the kernel reports -1. A POSIX
  // lock's holder in a pid namespace we cannot see is reported as 0.
  c->pid = fl.l_pid > 0 ? fl.l_pid : 0;
  return true;
}

bool ReadSmallFile(const std::string& path, std::string* text) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  bool ok = ReadFdText(fd, 1 << 20, text);
  close(fd);
  return ok;
}

// The process holding an OFD lock of that type on `byte` of the file open
// at `fd`, found through the descriptors of every process this user may
// inspect (/proc/PID/fd and fdinfo are closed to everyone else); 0 if
// none of those holds it. The lock belongs to an open file description,
// which several processes may share; the first found is named.
pid_t FindOfdHolder(int fd, bool write_lock, off_t byte) {
#ifdef __linux__
  struct stat image;
  if (fstat(fd, &image) != 0) return 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  pid_t found = 0;
  while (found == 0) {
    struct dirent* p = readdir(proc);
    if (p == nullptr) break;
    char* end = nullptr;
    long pid = strtol(p->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    const std::string base = std::string("/proc/") + p->d_name;
    DIR* fds = opendir((base + "/fd").c_str());
    if (fds == nullptr) continue;  // not ours to inspect, or gone
    while (struct dirent* f = readdir(fds)) {
      if (f->d_name[0] == '.') continue;
      // stat follows the link to the open file: only a descriptor on the
      // image has its fdinfo read.
      struct stat st;
      std::string text;
      if (stat((base + "/fd/" + f->d_name).c_str(), &st) != 0 || st.st_dev != image.st_dev ||
          st.st_ino != image.st_ino || !ReadSmallFile(base + "/fdinfo/" + f->d_name, &text))
        continue;
      if (FdinfoHasLock(text, true, write_lock, byte)) {
        found = static_cast<pid_t>(pid);
        break;
      }
    }
    closedir(fds);
  }
  closedir(proc);
  return found;
#else
  (void)fd;
  (void)write_lock;
  (void)byte;
  return 0;
#endif
}

// A process's name is whatever its owner set (prctl, or the program's
// file name): control characters in it are shown escaped, so it cannot
// write to the terminal or log of the user who reads the message.
std::string Printable(const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\\')
      out += "\\\\";
    else if (c < 0x20 || c == 0x7f)
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::string UserName(uid_t uid) {
  struct passwd pw, *found = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr)
    return std::string("user ") + found->pw_name;
  return "uid " + std::to_string(uid);
}

// The holder of a conflicting lock, as far as it can be named.
struct Holder {
  pid_t pid = 0;      ///< 0: unknown
  std::string facts;  ///< "qemu-system-x86, user alice", or less
};

Holder HolderOf(int fd, LockKind kind, off_t byte, const Conflict& c) {
  Holder h;
  h.pid = c.pid;
  if (h.pid == 0 && kind == LockKind::kOfd) h.pid = FindOfdHolder(fd, c.write, byte);
  if (h.pid == 0) return h;
  std::string err, comm;
  struct timespec start;
  bool start_known = false;
  if (ProcessStart(h.pid, &comm, &start, &start_known, &err)) h.facts = Printable(comm);
  uid_t real = 0, effective = 0;
  if (ProcessUids(h.pid, &real, &effective, &err))
    h.facts += (h.facts.empty() ? "" : ", ") + UserName(real);
  return h;
}

// " (pid 4711: qemu-system-x86, user alice)", or "" for an unknown holder.
std::string HolderNote(const Holder& h) {
  if (h.pid == 0) return "";
  return " (pid " + std::to_string(h.pid) + (h.facts.empty() ? "" : ": " + h.facts) + ")";
}

}  // namespace

LockKind DefaultLockKind() { return HaveOfd() ? LockKind::kOfd : LockKind::kPosix; }

bool FdinfoHasLock(const std::string& fdinfo, bool ofd, bool write_lock, off_t byte) {
  size_t pos = 0;
  while (pos < fdinfo.size()) {
    size_t eol = fdinfo.find('\n', pos);
    if (eol == std::string::npos) eol = fdinfo.size();
    std::string line = fdinfo.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.compare(0, 5, "lock:") != 0) continue;
    // "lock:" ID: CLASS ADVISORY|MANDATORY READ|WRITE PID DEV:INO START END
    std::vector<std::string> w;
    size_t i = 5;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (i > start) w.push_back(line.substr(start, i - start));
    }
    if (w.size() < 8) continue;
    const std::string& cls = w[1];
    if (cls != (ofd ? "OFDLCK" : "POSIX") || w[3] != (write_lock ? "WRITE" : "READ")) continue;
    char* end = nullptr;
    errno = 0;
    long long first = strtoll(w[6].c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || first < 0) continue;
    long long last = -1;
    if (w[7] != "EOF") {
      last = strtoll(w[7].c_str(), &end, 10);
      if (errno != 0 || *end != '\0' || last < first) continue;
    }
    if (byte >= first && (last < 0 || byte <= last)) return true;
  }
  return false;
}

ImageUse ProbeImage(int fd, LockKind kind, std::string* who, std::string* err) {
  if (kind == LockKind::kOfd && !HaveOfd()) {
    *err = "open-file-description locks are not available here";
    return ImageUse::kError;
  }
  Conflict c;
  if (!Held(fd, kind, kRunallByte, &c, err)) return ImageUse::kError;
  if (c.held && c.write) {
    *who =
        "locked by a guest that runqemuos started" + HolderNote(HolderOf(fd, kind, kRunallByte, c));
    return ImageUse::kRunall;
  }
  if (c.held) {
    // Anyone who may read the image can take this lock; runqemuos never
    // does. It stops a guest all the same (runqemuos cannot take its
    // write lock), so it is reported, and its holder named where we can.
    Holder h = HolderOf(fd, kind, kRunallByte, c);
    std::string holder = "a process this user may not inspect";
    if (h.pid != 0)
      holder = "pid " + std::to_string(h.pid) + (h.facts.empty() ? "" : " (" + h.facts + ")");
    *who = "not by a guest that runqemuos started: " + holder +
           " holds a read lock on byte 0, where runqemuos's guests hold a "
           "write lock";
    return ImageUse::kQemu;
  }
  if (!Held(fd, kind, kQemuWriteByte, &c, err)) return ImageUse::kError;
  if (c.held) {
    *who = "open for writing by a QEMU that runall did not start" +
           HolderNote(HolderOf(fd, kind, kQemuWriteByte, c));
    return ImageUse::kQemu;
  }
  if (!Held(fd, kind, kQemuNoShareWriteByte, &c, err)) return ImageUse::kError;
  if (c.held) {
    *who =
        "open in a QEMU that runall did not start, which lets nobody else "
        "write to it" +
        HolderNote(HolderOf(fd, kind, kQemuNoShareWriteByte, c));
    return ImageUse::kQemu;
  }
  who->clear();
  return ImageUse::kFree;
}

ImageUse ImageInUse(const std::string& path, std::string* who, std::string* err) {
  // Testing for a lock needs no write access, so a user who may only read
  // the image can still learn that it is busy.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *err = ErrnoMessage(path);
    return ImageUse::kError;
  }
  ImageUse use = ProbeImage(fd, DefaultLockKind(), who, err);
  if (use == ImageUse::kError) *err = path + ": " + *err;
  close(fd);
  return use;
}

LockResult LockImage(const std::string& path, LockKind kind, int* fd, std::string* err) {
  *fd = -1;
  if (kind == LockKind::kOfd && !HaveOfd()) {
    *err = "open-file-description locks are not available here";
    return LockResult::kError;
  }
  // Not O_CLOEXEC: this descriptor is meant to pass into QEMU, and with it
  // the lock, which then lasts exactly as long as QEMU.
  int lock_fd = open(path.c_str(), O_RDWR | O_NOCTTY);
  if (lock_fd < 0) {
    if (errno == EACCES || errno == EROFS || errno == EPERM)
      *err = ErrnoMessage(path +
                          ": cannot open for writing (runall locks "
                          "the image, which needs write access)");
    else
      *err = ErrnoMessage(path);
    return LockResult::kError;
  }
  struct stat st;
  if (fstat(lock_fd, &st) != 0) {
    *err = ErrnoMessage(path);
    close(lock_fd);
    return LockResult::kError;
  }
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    *err = path + ": not a regular file or block device";
    close(lock_fd);
    return LockResult::kError;
  }
  // A refused lock is reported with what holds byte 0 - a guest, or a
  // read lock someone else took. A holder that let go between the refusal
  // and the look is tried again, a few times.
  for (int attempt = 0;; ++attempt) {
    struct flock fl = OneByte(F_WRLCK, kRunallByte);
    if (fcntl(lock_fd, SetLockCommand(kind), &fl) == 0) break;
    int saved = errno;
    if (saved != EAGAIN && saved != EACCES) {
      *err = ErrnoMessage(path + ": cannot lock", saved);
      close(lock_fd);
      return LockResult::kError;
    }
    std::string who, probe_err;
    ImageUse use = ProbeImage(lock_fd, kind, &who, &probe_err);
    if (use == ImageUse::kFree && attempt < 3) continue;
    if (use == ImageUse::kFree)
      who = "byte 0 is locked and unlocked again as we look";
    else if (use == ImageUse::kError)
      who = "byte 0 is locked (" + probe_err + ")";
    *err = path + ": in use: " + who;
    close(lock_fd);
    return LockResult::kInUse;
  }
  // Byte 0 is ours now, so another runqemuos cannot slip in; a QEMU started
  // by hand might still have the image.
  std::string who;
  switch (ProbeImage(lock_fd, kind, &who, err)) {
    case ImageUse::kFree:
    case ImageUse::kRunall:  // our own lock; no other holder is possible
      *fd = lock_fd;
      return LockResult::kLocked;
    case ImageUse::kQemu:
      *err = path + ": in use: " + who;
      close(lock_fd);
      return LockResult::kInUse;
    case ImageUse::kError: break;
  }
  *err = path + ": " + *err;
  close(lock_fd);
  return LockResult::kError;
}

}  // namespace runall
