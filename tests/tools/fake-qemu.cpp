// fake-qemu: stands in for QEMU in the runqemuos tests. It treats its disk
// image the way QEMU does (opens it, takes QEMU's lock bytes 100, 101 and
// 201, and keeps opening and closing more descriptors on it while it
// runs), checks what runqemuos handed over, and reports it:
//
//   fake-qemu [QEMU-ARGS...] [-fake-report FILE] [-fake-run SECONDS]
//             [-fake-attach TAP]
//
// The report, written once at start (through a rename), has lines
//   pid= ppid= sid= pgid= image= tap= lock_fd= lock_seen= stdin= args=
// tap is the interface behind -netdev tap,fd=N (TUNGETIFF), or "none";
// lock_fd says whether an inherited descriptor other than its own refers to
// the image; lock_seen whether byte 0 of the image is locked. It writes a
// line to stdout and to stderr, then runs until SIGTERM or SIGINT (exit 0)
// or for SECONDS. With -fake-attach it also attaches to persistent tap TAP
// itself and holds it, as a guest runall did not start would.
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#ifdef __linux__
#include <linux/if_tun.h>
#endif

#include "qemu_args.hpp"
#include "tun.hpp"

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

void LockByte(int fd, off_t byte) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
#ifdef F_OFD_SETLK
  if (fcntl(fd, F_OFD_SETLK, &fl) != 0) perror("fake-qemu: lock");
#else
  if (fcntl(fd, F_SETLK, &fl) != 0) perror("fake-qemu: lock");
#endif
}

bool Byte0Locked(const std::string& image) {
  int fd = open(image.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
#ifdef F_OFD_GETLK
  int rc = fcntl(fd, F_OFD_GETLK, &fl);
#else
  int rc = fcntl(fd, F_GETLK, &fl);
#endif
  close(fd);
  return rc == 0 && fl.l_type != F_UNLCK;
}

// An inherited descriptor on the image other than `own`: runqemuos's lock.
int InheritedImageFd(const std::string& image, int own) {
  struct stat want;
  if (stat(image.c_str(), &want) != 0) return -1;
  for (int fd = 3; fd < 1024; ++fd) {
    struct stat st;
    if (fd == own || fstat(fd, &st) != 0) continue;
    if (st.st_dev == want.st_dev && st.st_ino == want.st_ino) return fd;
  }
  return -1;
}

std::string TapName(int fd) {
#ifdef __linux__
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd, TUNGETIFF, &ifr) == 0) return ifr.ifr_name;
#else
  (void)fd;
#endif
  return "unusable";
}

std::string StdinKind() {
  struct stat in, null;
  if (fstat(STDIN_FILENO, &in) != 0) return "closed";
  if (stat("/dev/null", &null) == 0 && in.st_rdev == null.st_rdev && S_ISCHR(in.st_mode))
    return "devnull";
  return isatty(STDIN_FILENO) ? "tty" : "other";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  std::string report;
  double run_seconds = -1;
  int tap_fd = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-fake-report" && i + 1 < argc) {
      report = argv[++i];
    } else if (a == "-fake-attach" && i + 1 < argc) {
      std::string err;
      int errnum = 0;
      if (runall::AttachTap(argv[++i], true, false, &err, &errnum) < 0) {
        fprintf(stderr, "fake-qemu: %s\n", err.c_str());
        return 1;
      }
    } else if (a == "-fake-run" && i + 1 < argc) {
      run_seconds = atof(argv[++i]);
    } else {
      if (a == "-netdev" && i + 1 < argc) {
        std::string v = argv[i + 1];
        size_t p = v.find("fd=");
        if (v.compare(0, 4, "tap,") == 0 && p != std::string::npos)
          tap_fd = atoi(v.c_str() + p + 3);
      }
      args.push_back(a);
    }
  }
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);

  std::string image;
  int image_fd = -1;
  if (runall::FindImageArg(args, &image)) {
    image_fd = open(image.c_str(), O_RDWR | O_CLOEXEC);
    if (image_fd < 0) {
      perror(("fake-qemu: " + image).c_str());
      return 1;
    }
    // QEMU's locks for a writable disk that shares no writes.
    LockByte(image_fd, 100);
    LockByte(image_fd, 101);
    LockByte(image_fd, 201);
  }
  int inherited = image.empty() ? -1 : InheritedImageFd(image, image_fd);
  std::string tap = tap_fd < 0 ? "none" : TapName(tap_fd);

  if (!report.empty()) {
    std::string text = "pid=" + std::to_string(getpid()) + "\nppid=" + std::to_string(getppid()) +
                       "\nsid=" + std::to_string(getsid(0)) +
                       "\npgid=" + std::to_string(getpgrp()) + "\nimage=" + image + "\ntap=" + tap +
                       "\nlock_fd=" + (inherited >= 0 ? "yes" : "no") +
                       "\nlock_seen=" + (!image.empty() && Byte0Locked(image) ? "yes" : "no") +
                       "\nstdin=" + StdinKind() + "\nargs=";
    for (size_t i = 0; i < args.size(); ++i) text += (i ? " " : "") + args[i];
    text += "\n";
    std::string tmp = report + ".tmp";
    FILE* f = fopen(tmp.c_str(), "w");
    if (f == nullptr || fputs(text.c_str(), f) < 0 || fclose(f) != 0 ||
        rename(tmp.c_str(), report.c_str()) != 0) {
      perror("fake-qemu: report");
      return 1;
    }
  }
  printf("fake-qemu: running as pid %d\n", static_cast<int>(getpid()));
  fflush(stdout);
  fprintf(stderr, "fake-qemu: a line on stderr\n");

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!g_stop) {
    // QEMU opens and closes descriptors on its image as it runs; a lock
    // tied to the process rather than to runqemuos's descriptor would be
    // lost here.
    if (!image.empty()) {
      int fd = open(image.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) close(fd);
    }
    usleep(100 * 1000);
    if (run_seconds >= 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      double elapsed = static_cast<double>(now.tv_sec - start.tv_sec) +
                       static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e9;
      if (elapsed >= run_seconds) break;
    }
  }
  return 0;
}
