#include "pidfile.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "process_watch.hpp"

namespace runall {

namespace {

struct flock WholeFile(short type) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  return fl;
}

// Who holds a write lock on the file open at fd (0: nobody). A daemon
// holds a write lock; a read lock is somebody else's, who has no business
// here and whom nobody signals (the pid files are root's alone, but one
// opened before they were may still be held).
bool HolderOf(int fd, pid_t* holder, std::string* err, const std::string& path) {
  struct flock fl = WholeFile(F_WRLCK);
  if (fcntl(fd, F_GETLK, &fl) != 0) {
    *err = ErrnoMessage(path + ": F_GETLK");
    return false;
  }
  *holder = fl.l_type == F_WRLCK ? fl.l_pid : 0;
  return true;
}

// Opens an existing regular file of ours read-only, never through a
// symlink nor blocking on a fifo. -1 with errno ENOENT if there is none;
// -1 with *err on anything else.
int OpenOwnFile(const std::string& path, std::string* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int saved = errno;
    if (saved != ENOENT) *err = ErrnoMessage(path, saved);
    errno = saved;
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *err = path + ": not a regular file";
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

// Waits up to `ms` for nobody, or somebody other than `pid`, to hold the
// lock. The file stays open meanwhile, so the answer is about its inode.
bool WaitReleased(int fd, pid_t pid, int ms, const std::string& path, std::string* err) {
  for (int waited = 0;; waited += 10) {
    pid_t now = 0;
    if (!HolderOf(fd, &now, err, path)) return false;
    if (now != pid) return true;
    if (waited >= ms) return false;
    SleepMs(10);
  }
}

// True if every entry of the directory open at `fd` is of the kinds runall
// keeps in a run directory; else the first other one is in *stranger. A
// run directory wider than 0700 is narrowed only then: run_dir set to /run
// or /tmp by mistake must not end up 0700.
bool OnlyRunallEntries(int fd, std::string* stranger) {
  int copy = dup(fd);
  DIR* d = copy < 0 ? nullptr : fdopendir(copy);
  if (d == nullptr) {
    if (copy >= 0) close(copy);
    *stranger = "entries that cannot be listed";
    return false;
  }
  auto ends = [](const std::string& name, const char* tail) {
    const size_t n = strlen(tail);
    return name.size() > n && name.compare(name.size() - n, n, tail) == 0;
  };
  bool ok = true;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    // net-<inode>/, dhcpd-IFACE.pid and its fresh .dhcpd-IFACE.pid.<pid>,
    // IFACE.created(.new), IFACE.lock, create.lock.
    if (name.compare(0, 4, "net-") == 0 || name.compare(0, 6, "dhcpd-") == 0 ||
        name.compare(0, 7, ".dhcpd-") == 0 || ends(name, ".created") ||
        ends(name, ".created.new") || ends(name, ".lock"))
      continue;
    *stranger = name;
    ok = false;
    break;
  }
  closedir(d);
  return ok;
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::string DhcpPidFilePath(const std::string& ns_dir, const std::string& iface) {
  return ns_dir + "/dhcpd-" + iface + ".pid";
}

std::string InterfaceLockPath(const std::string& ns_dir, const std::string& iface) {
  return ns_dir + "/" + iface + ".lock";
}

std::string NamespaceRunDir(const std::string& run_dir, const std::string& ns_name) {
  return run_dir + "/" + ns_name;
}

bool EnsureRunDir(const std::string& dir, std::string* err) {
  if (dir.empty() || dir[0] != '/') {
    *err = dir + ": run directory must be an absolute path";
    return false;
  }
  mode_t old = umask(077);
  int r = mkdir(dir.c_str(), 0700);
  int saved = errno;
  umask(old);
  if (r != 0 && saved == ENOENT) {
    // Only the last component is made: a parent that is missing is a
    // setting to fix (or a tmpfs not mounted yet), not a tree to invent.
    const std::string parent = dir.substr(0, dir.rfind('/'));
    *err = dir + ": cannot make it: its parent " + (parent.empty() ? std::string("/") : parent) +
           " does not exist (create it, or set run_dir in runall.conf)";
    return false;
  }
  if (r != 0 && saved != EEXIST) {
    *err = ErrnoMessage(dir, saved);
    return false;
  }
  // Checked and narrowed through one fd, so the directory looked at is the
  // one changed, and a symlink put in its place is never followed.
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    *err = errno == ELOOP || errno == ENOTDIR
               ? dir + ": not a directory (a symbolic link?); refusing it"
               : ErrnoMessage(dir);
    return false;
  }
  struct stat st;
  bool ok = false;
  std::string stranger;
  if (fstat(fd, &st) != 0)
    *err = ErrnoMessage(dir);
  else if (st.st_uid != geteuid())
    *err = dir + ": owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
           std::to_string(geteuid()) + "; refusing it";
  else if ((st.st_mode & 07777) == 0700)
    ok = true;
  else if (!OnlyRunallEntries(fd, &stranger))
    *err = dir + ": mode " + OctalMode(st.st_mode) + " and holds " + stranger +
           ", which is not runall's; refusing to make it 0700 "
           "(run_dir must be a directory of runall's own)";
  else if (fchmod(fd, 0700) != 0)
    *err = ErrnoMessage(dir + ": chmod 0700");
  else
    ok = true;
  close(fd);
  return ok;
}

int LockFileWait(const std::string& path, int wait_ms, pid_t* holder, std::string* err) {
  *holder = 0;
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0) {
    *err = ErrnoMessage(path);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
    *err = path + ": not a regular file of uid " + std::to_string(geteuid());
    close(fd);
    return -1;
  }
  for (int waited = 0;; waited += 20) {
    struct flock fl = WholeFile(F_WRLCK);
    if (fcntl(fd, F_SETLK, &fl) == 0) return fd;
    if (errno != EAGAIN && errno != EACCES) {
      *err = ErrnoMessage(path + ": F_SETLK");
      break;
    }
    if (waited >= wait_ms) {
      struct flock who = WholeFile(F_WRLCK);
      if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK) *holder = who.l_pid;
      *err = path + ": held by process " + std::to_string(*holder) + " for over " +
             std::to_string(wait_ms / 1000) + " s";
      break;
    }
    SleepMs(20);
  }
  close(fd);
  return -1;
}

int LockPidFile(const std::string& path, pid_t* holder, std::string* err) {
  *holder = 0;
  // A daemon that still runs keeps its file: a second one must not take
  // its place.
  int old = OpenOwnFile(path, err);
  if (old < 0 && errno != ENOENT) return -1;
  if (old >= 0) {
    bool ok = HolderOf(old, holder, err, path);
    close(old);
    if (!ok) return -1;
    if (*holder != 0) {
      *err = path + ": locked by process " + std::to_string(*holder);
      return -1;
    }
  }
  // A fresh inode, which nobody else can have open: whatever lock another
  // process took on the old file, ours cannot fail. The name holds our pid,
  // so two daemons never share it; one left by a daemon that died before
  // its rename is taken over.
  const size_t slash = path.rfind('/');
  const std::string fresh =
      path.substr(0, slash + 1) + "." + path.substr(slash + 1) + "." + std::to_string(getpid());
  unlink(fresh.c_str());
  int fd = open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0) {
    *err = ErrnoMessage(fresh);
    return -1;
  }
  struct flock fl = WholeFile(F_WRLCK);
  // The number is for people reading the file; the lock is what counts.
  const std::string text = std::to_string(getpid()) + "\n";
  if (fcntl(fd, F_SETLK, &fl) != 0) {
    *err = ErrnoMessage(fresh + ": F_SETLK");
  } else if (!WriteAll(fd, text)) {
    *err = ErrnoMessage(fresh + ": write");
  } else if (rename(fresh.c_str(), path.c_str()) != 0) {
    *err = ErrnoMessage(fresh + ": rename to " + path);
  } else {
    return fd;
  }
  unlink(fresh.c_str());
  close(fd);
  return -1;
}

bool PidFileHolder(const std::string& path, pid_t* holder, std::string* err) {
  *holder = 0;
  int fd = OpenOwnFile(path, err);
  if (fd < 0) return errno == ENOENT;
  bool ok = HolderOf(fd, holder, err, path);
  close(fd);
  return ok;
}

bool StopPidFileHolder(const std::string& path, const ProcessCheck& check, int term_wait_ms,
                       StopOutcome* outcome, pid_t* holder, std::string* err) {
  *outcome = StopOutcome::kNotRunning;
  *holder = 0;
  err->clear();
  int fd = OpenOwnFile(path, err);
  if (fd < 0) return errno == ENOENT;
  pid_t pid = 0;
  if (!HolderOf(fd, &pid, err, path)) {
    close(fd);
    return false;
  }
  *holder = pid;
  if (pid <= 0) {
    close(fd);
    return true;
  }
  // Pin the process, then ask again who holds the lock: if it is still the
  // same pid, the pinned process is the holder and every check below is
  // about the process that will get the signal.
  ProcessWatch pinned(pid);
  if (!pinned.Alive()) {  // died between the two calls
    close(fd);
    return true;
  }
  pid_t again = 0;
  if (!HolderOf(fd, &again, err, path)) {
    close(fd);
    return false;
  }
  if (again != pid) {
    // It let go meanwhile; whoever holds it now is a new daemon, not ours to
    // stop in this call.
    close(fd);
    *holder = again;
    if (again != 0) {
      *err = path + ": taken over by process " + std::to_string(again) +
             " while stopping process " + std::to_string(pid);
      return false;
    }
    return true;
  }
  std::string why;
  if (!check(pid, &why)) {
    *outcome = StopOutcome::kRefused;
    *err = path + ": held by process " + std::to_string(pid) + ", " + why + "; not signalled";
    close(fd);
    return true;
  }
  bool ok = true;
  std::string signal_err;
  if (!pinned.Signal(SIGTERM, &signal_err) && errno != ESRCH) {
    *err = signal_err + " (SIGTERM)";
    ok = false;
  } else if (WaitReleased(fd, pid, term_wait_ms, path, err)) {
    *outcome = StopOutcome::kTerminated;
  } else if (!err->empty()) {
    ok = false;
  } else if (!pinned.Signal(SIGKILL, &signal_err) && errno != ESRCH) {
    *err = signal_err + " (SIGKILL)";
    ok = false;
  } else if (WaitReleased(fd, pid, 2000, path, err)) {
    *outcome = StopOutcome::kKilled;
  } else {
    if (err->empty())
      *err = "process " + std::to_string(pid) + " still holds " + path + " after SIGKILL";
    ok = false;
  }
  close(fd);
  return ok;
}

}  // namespace runall
