// image_lock: one QEMU per disk image, without lsof.
//
// runqemuos takes a write lock on byte 0 of the image and keeps the fd open
// across exec, so the lock lives exactly as long as QEMU. QEMU's own image
// locks sit on bytes 100-103 (permissions it holds) and 200-203 (ones it
// will not share); byte 0 is never among them, so the two never conflict.
// On Linux the lock is an open-file-description lock (F_OFD_SETLK), which
// belongs to the fd: QEMU opening and closing its own descriptors on the
// image leaves it alone. Elsewhere it is a POSIX lock (F_SETLK, lockf's
// kind), which the kernel drops when the process closes ANY descriptor of
// the file - weaker, and documented as such. The only module that knows
// F_OFD_*, and so the one that reads the locks in /proc/PID/fdinfo.
//
// Anyone who can read an image can take a READ lock on it, byte 0 too; a
// write lock needs the image open for writing. runqemuos only ever takes a
// write lock on byte 0, so a read lock there is never a guest's: it is
// reported as what it is, with its holder's pid, program and user where
// this user may see them (the kernel gives the pid of a POSIX lock to
// anyone, that of an OFD lock only through /proc/PID/fdinfo of a process
// one may inspect).
#pragma once

#include <sys/types.h>

#include <string>

namespace runall {

/// Who has an image.
enum class ImageUse {
  kFree,    ///< nobody: a guest may be started on it
  kRunall,  ///< write-locked on byte 0: a QEMU that runqemuos started
  /// Someone runqemuos did not start: a QEMU that has it open for writing
  /// (QEMU's own lock bytes), or a read lock on byte 0, which no guest of
  /// runqemuos's holds. Either way no guest may be started on it.
  kQemu,
  kError,  ///< could not tell (*err says why); do not start a guest
};

/// The kind of lock: kOfd exists on Linux only.
enum class LockKind { kOfd, kPosix };

/// kOfd where the system has it, else kPosix.
LockKind DefaultLockKind();

/// What LockImage did.
enum class LockResult {
  kLocked,  ///< *fd holds the lock
  kInUse,   ///< someone has the image; *err says who
  kError,   ///< *err says why
};

/// Opens `path` read-write and takes a write lock on byte 0, then checks
/// QEMU's lock bytes. On kLocked, *fd is NOT close-on-exec, so that the lock
/// passes into the program exec'd next. The image must be writable by the
/// caller: a write lock needs an fd open for writing.
LockResult LockImage(const std::string& path, LockKind kind, int* fd, std::string* err);

/// The test runall-os-test makes before it boots a guest: probes byte 0 and
/// QEMU's write-permission bytes (101: a QEMU writes; 201: a QEMU shares no
/// writes) without taking any lock. *who describes the holder.
ImageUse ImageInUse(const std::string& path, std::string* who, std::string* err);

/// ImageInUse on an open fd (any access mode), with the given lock kind's
/// probe.
ImageUse ProbeImage(int fd, LockKind kind, std::string* who, std::string* err);

/// True if the text of a /proc/PID/fdinfo/N file lists a lock of the given
/// class (OFD or POSIX) and type (write, else read) that covers `byte`.
/// The kernel lists there the locks held through that descriptor, as
/// "lock:\t1: OFDLCK ADVISORY  READ -1 fe:00:1234 0 0" (start and end
/// bytes, or EOF as the end).
bool FdinfoHasLock(const std::string& fdinfo, bool ofd, bool write_lock, off_t byte);

}  // namespace runall
