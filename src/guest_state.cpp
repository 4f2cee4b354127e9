#include "guest_state.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.hpp"
#include "proc.hpp"
#include "validate.hpp"
#include "wait_file.hpp"

namespace runall {

bool ParseLaunchPid(const std::string& text, pid_t* pid) {
  std::string t = text;
  if (!t.empty() && t.back() == '\n') t.pop_back();
  unsigned long v = 0;
  if (!ParseUnsigned(t, 0x7fffffffUL, &v) || v < 2) return false;
  *pid = static_cast<pid_t>(v);
  return true;
}

bool ReadLaunchFile(const std::string& path, LaunchFile* launch, std::string* err) {
  *launch = LaunchFile();
  // No symlinks: the file is ours, written by runqemuos through rename.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    *err = ErrnoMessage(path);
    return false;
  }
  struct stat st;
  char buf[32];
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    do {
      n = read(fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
  } else {
    errno = EINVAL;
  }
  int saved = errno;
  close(fd);
  if (n < 0) {
    *err = ErrnoMessage(path, saved);
    return false;
  }
  launch->exists = true;
  launch->mtime = st.st_mtim;
  // A file too long or not a pid names no process.
  if (n >= static_cast<ssize_t>(sizeof buf) ||
      !ParseLaunchPid(std::string(buf, static_cast<size_t>(n)), &launch->pid))
    launch->pid = 0;
  return true;
}

ProcessFacts ReadProcessFacts(pid_t pid) {
  ProcessFacts p;
  std::string err;
  if (pid <= 1 || !ProcessStart(pid, &p.comm, &p.start, &p.start_known, &err)) return p;
  p.exists = true;
  // Unreadable for another user's process: IsLaunchedQemu then goes by the
  // command name.
  if (!ProcessExe(pid, &p.exe, &err)) p.exe.clear();
  return p;
}

bool LaunchFileNamesLiveQemu(const LaunchFile& launch) {
  return LaunchFileQemuProblem(launch, 0).empty();
}

std::string LaunchFileQemuProblem(const LaunchFile& launch, pid_t launched_here) {
  if (!launch.exists) return "no launch file";
  if (launch.pid == 0) return "the launch file holds no pid";
  std::string why = LaunchedQemuProblem(ReadProcessFacts(launch.pid), launch.mtime,
                                        launched_here != 0 && launch.pid == launched_here);
  return why.empty() ? why : "pid " + std::to_string(launch.pid) + ": " + why;
}

void GatherFileFacts(const LaunchFile& launch, const std::string& up_file, unsigned start_timeout,
                     const struct timespec& now, StartupFacts* facts, pid_t launched_here) {
  facts->launch_names_live_qemu = LaunchFileQemuProblem(launch, launched_here).empty();
  facts->later_up_file = false;
  facts->start_timeout_expired = false;
  if (!launch.exists) return;
  struct timespec up = {0, 0};
  if (FileNewerThan(up_file, launch.mtime, &up)) {
    facts->later_up_file = true;
    facts->up_file_mtime = up;
  }
  // The article: expired when more than START_TIMEOUT seconds have passed
  // since the launch file was written.
  long long age_ns =
      (now.tv_sec - launch.mtime.tv_sec) * 1000000000LL + (now.tv_nsec - launch.mtime.tv_nsec);
  facts->start_timeout_expired = age_ns > static_cast<long long>(start_timeout) * 1000000000LL;
}

int64_t MillisBetween(const struct timespec& from, const struct timespec& to) {
  return (to.tv_sec - from.tv_sec) * 1000LL + (to.tv_nsec - from.tv_nsec) / 1000000;
}

}  // namespace runall
