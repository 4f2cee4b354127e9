#include "image_lock.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.hpp"

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

// Asks whether a write lock on `byte` would conflict with a lock someone
// else holds. Any lock there, shared or not, means it is held.
bool Held(int fd, LockKind kind, off_t byte, bool* held, pid_t* pid,
          std::string* err) {
  struct flock fl = OneByte(F_WRLCK, byte);
  if (fcntl(fd, GetLockCommand(kind), &fl) != 0) {
    *err = ErrnoMessage("cannot test the lock on byte " + std::to_string(byte));
    return false;
  }
  *held = fl.l_type != F_UNLCK;
  // OFD locks have no owning process; the kernel reports -1.
  *pid = fl.l_pid;
  return true;
}

std::string PidNote(pid_t pid) {
  return pid > 0 ? " (pid " + std::to_string(pid) + ")" : "";
}

}  // namespace

LockKind DefaultLockKind() { return HaveOfd() ? LockKind::kOfd : LockKind::kPosix; }

ImageUse ProbeImage(int fd, LockKind kind, std::string* who, std::string* err) {
  if (kind == LockKind::kOfd && !HaveOfd()) {
    *err = "open-file-description locks are not available here";
    return ImageUse::kError;
  }
  bool held = false;
  pid_t pid = 0;
  if (!Held(fd, kind, kRunallByte, &held, &pid, err)) return ImageUse::kError;
  if (held) {
    *who = "locked by a guest that runqemuos started" + PidNote(pid);
    return ImageUse::kRunall;
  }
  if (!Held(fd, kind, kQemuWriteByte, &held, &pid, err)) return ImageUse::kError;
  if (held) {
    *who = "open for writing by a QEMU that runall did not start" + PidNote(pid);
    return ImageUse::kQemu;
  }
  if (!Held(fd, kind, kQemuNoShareWriteByte, &held, &pid, err))
    return ImageUse::kError;
  if (held) {
    *who = "open in a QEMU that runall did not start, which lets nobody else "
           "write to it" + PidNote(pid);
    return ImageUse::kQemu;
  }
  who->clear();
  return ImageUse::kFree;
}

ImageUse ImageInUse(const std::string& path, std::string* who,
                    std::string* err) {
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

LockResult LockImage(const std::string& path, LockKind kind, int* fd,
                     std::string* err) {
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
      *err = ErrnoMessage(path + ": cannot open for writing (runall locks "
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
  struct flock fl = OneByte(F_WRLCK, kRunallByte);
  if (fcntl(lock_fd, SetLockCommand(kind), &fl) != 0) {
    int saved = errno;
    if (saved == EAGAIN || saved == EACCES) {
      std::string who, probe_err;
      if (ProbeImage(lock_fd, kind, &who, &probe_err) == ImageUse::kFree)
        who = "locked by a guest that runqemuos started";
      *err = path + ": in use: " + who;
      close(lock_fd);
      return LockResult::kInUse;
    }
    *err = ErrnoMessage(path + ": cannot lock", saved);
    close(lock_fd);
    return LockResult::kError;
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
    case ImageUse::kError:
      break;
  }
  *err = path + ": " + *err;
  close(lock_fd);
  return LockResult::kError;
}

}  // namespace runall
