#include "pidfile.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.hpp"
#include "fail.hpp"
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

// Who holds a write-conflicting lock on the file open at fd (0: nobody).
bool HolderOf(int fd, pid_t* holder, std::string* err,
              const std::string& path) {
  struct flock fl = WholeFile(F_WRLCK);
  if (fcntl(fd, F_GETLK, &fl) != 0) {
    *err = ErrnoMessage(path + ": F_GETLK");
    return false;
  }
  *holder = fl.l_type == F_UNLCK ? 0 : fl.l_pid;
  return true;
}

// Waits up to `ms` for nobody, or somebody other than `pid`, to hold the
// lock. The file stays open meanwhile, so the answer is about its inode.
bool WaitReleased(int fd, pid_t pid, int ms, const std::string& path,
                  std::string* err) {
  for (int waited = 0;; waited += 10) {
    pid_t now = 0;
    if (!HolderOf(fd, &now, err, path)) return false;
    if (now != pid) return true;
    if (waited >= ms) return false;
    SleepMs(10);
  }
}


}  // namespace

std::string DhcpPidFilePath(const std::string& run_dir,
                            const std::string& iface) {
  return run_dir + "/dhcpd-" + iface + ".pid";
}

bool EnsureRunDir(const std::string& dir, std::string* err) {
  if (dir.empty() || dir[0] != '/') {
    *err = dir + ": run directory must be an absolute path";
    return false;
  }
  mode_t old = umask(022);
  int r = mkdir(dir.c_str(), 0755);
  int saved = errno;
  umask(old);
  if (r != 0 && saved != EEXIST) {
    *err = ErrnoMessage(dir, saved);
    return false;
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    *err = ErrnoMessage(dir);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *err = dir + ": not a directory";
    return false;
  }
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    *err = dir + ": must be owned by uid " + std::to_string(geteuid()) +
           " and not writable by group or others; refusing it";
    return false;
  }
  return true;
}

int LockPidFile(const std::string& path, pid_t* holder, std::string* err) {
  *holder = 0;
  int fd = open(path.c_str(),
                O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
  if (fd < 0) {
    *err = ErrnoMessage(path);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *err = path + ": not a regular file";
    close(fd);
    return -1;
  }
  struct flock fl = WholeFile(F_WRLCK);
  if (fcntl(fd, F_SETLK, &fl) != 0) {
    int saved = errno;
    if (saved == EAGAIN || saved == EACCES) {
      std::string ignored;
      HolderOf(fd, holder, &ignored, path);
      *err = path + ": locked by process " + std::to_string(*holder);
    } else {
      *err = ErrnoMessage(path + ": F_SETLK", saved);
    }
    close(fd);
    return -1;
  }
  // The number is for people reading the file; the lock is what counts.
  std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) !=
          static_cast<ssize_t>(text.size())) {
    *err = ErrnoMessage(path + ": write");
    close(fd);
    return -1;
  }
  return fd;
}

bool PidFileHolder(const std::string& path, pid_t* holder, std::string* err) {
  *holder = 0;
  int fd = open(path.c_str(),
                O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    *err = ErrnoMessage(path);
    return false;
  }
  struct stat st;
  bool ok = false;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    *err = path + ": not a regular file";
  else
    ok = HolderOf(fd, holder, err, path);
  close(fd);
  return ok;
}

bool StopPidFileHolder(const std::string& path, const ProcessCheck& check,
                       int term_wait_ms, StopOutcome* outcome, pid_t* holder,
                       std::string* err) {
  *outcome = StopOutcome::kNotRunning;
  *holder = 0;
  err->clear();
  int fd = open(path.c_str(),
                O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    *err = ErrnoMessage(path);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *err = path + ": not a regular file";
    close(fd);
    return false;
  }
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
    *err = path + ": held by process " + std::to_string(pid) + ", " + why +
           "; not signalled";
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
      *err = "process " + std::to_string(pid) +
             " still holds " + path + " after SIGKILL";
    ok = false;
  }
  close(fd);
  return ok;
}

}  // namespace runall
