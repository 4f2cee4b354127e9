#include "wait_file.hpp"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "clock.hpp"
#include "interrupt.hpp"

namespace runall {

namespace {

#ifdef __linux__
// The events that can mean "the file was written": created, written (the
// guest's `date >> file` appends), closed after writing, renamed into place,
// or touched. IN_IGNORED comes anyway when the directory goes away.
const uint32_t kWatchMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB;

// inotify instances are kept for reuse rather than closed: closing one
// waits for an RCU grace period in the kernel (8-25 ms measured here), which
// would sit between the up-file appearing and the script starting. Removing
// a watch is quick. The pool is shared by the driver's -j threads.
std::mutex g_pool_mutex;
std::vector<int> g_pool;

int TakeInotify() {
  {
    std::lock_guard<std::mutex> lock(g_pool_mutex);
    if (!g_pool.empty()) {
      int fd = g_pool.back();
      g_pool.pop_back();
      return fd;
    }
  }
  return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

void GiveInotify(int fd) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_pool.push_back(fd);
}

// An inotify watch on one directory; fd() is -1 if inotify is unavailable.
class DirWatch {
 public:
  explicit DirWatch(const std::string& dir) {
    if (dir.empty()) return;
    fd_ = TakeInotify();
    if (fd_ < 0) return;
    wd_ = inotify_add_watch(fd_, dir.c_str(), kWatchMask);
    if (wd_ < 0) {
      GiveInotify(fd_);
      fd_ = -1;
    }
  }
  ~DirWatch() {
    if (fd_ < 0) return;
    inotify_rm_watch(fd_, wd_);  // fails harmlessly if the watch ended
    // Leave no events behind for the next user of this instance (it
    // ignores other watches' events anyway).
    bool gone = false;
    Drain(std::string(), &gone);
    GiveInotify(fd_);
  }
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;

  int fd() const { return fd_; }

  // Reads every queued event. True if one may concern `name` (or events
  // were lost); *gone if the watch ended (the directory was removed or
  // unmounted), after which the caller falls back to polling.
  bool Drain(const std::string& name, bool* gone) {
    bool relevant = false;
    alignas(struct inotify_event) char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        const struct inotify_event* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
        off += sizeof(struct inotify_event) + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) relevant = true;
        if (ev->wd != wd_) continue;  // a previous wait's watch
        if (ev->mask & IN_IGNORED) *gone = true;
        if (ev->len > 0 && name == ev->name) relevant = true;
      }
    }
    return relevant || *gone;
  }

 private:
  int fd_ = -1;
  int wd_ = -1;
};
#endif

}  // namespace

bool TimespecAfter(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

bool FileNewerThan(const std::string& path, const struct timespec& newer_than,
                   struct timespec* mtime) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  if (mtime) *mtime = st.st_mtim;
  return TimespecAfter(st.st_mtim, newer_than);
}

WaitResult WaitForFile(const FileWait& w, struct timespec* mtime) {
  const std::string path = w.dir + "/" + w.name;
  const int64_t start = MonotonicMs();
  const int64_t deadline = start + (w.timeout_ms > 0 ? w.timeout_ms : 0);
  const unsigned tick_ms = w.tick_ms > 0 ? w.tick_ms : 1000;
  int64_t next_tick = start + tick_ms;

  int watch_fd = -1;
#ifdef __linux__
  // Watch first, then look: a file written between the two is still seen.
  DirWatch watch(w.use_inotify ? w.dir : std::string());
  if (w.use_inotify) watch_fd = watch.fd();
#endif
  bool polling = watch_fd < 0;
  const unsigned poll_ms = w.poll_ms > 0 ? w.poll_ms : 100;

  struct timespec seen = {0, 0};
  bool check = true;
  for (;;) {
    if (Interrupted()) return WaitResult::kInterrupted;
    if (check && FileNewerThan(path, w.newer_than, &seen)) {
      if (mtime) *mtime = seen;
      return WaitResult::kAppeared;
    }
    check = false;
    int64_t now = MonotonicMs();
    if (now >= next_tick) {
      if (w.tick && !w.tick(now - start)) return WaitResult::kStopped;
      next_tick += tick_ms;
      if (next_tick <= now) next_tick = now + tick_ms;
      check = true;  // the safety-net stat
      continue;
    }
    if (now >= deadline) return WaitResult::kTimedOut;

    int64_t wake = next_tick < deadline ? next_tick : deadline;
    if (polling && now + poll_ms < wake) wake = now + poll_ms;
    struct pollfd fds[2];
    int nfds = 0;
    if (InterruptFd() >= 0) fds[nfds++] = {InterruptFd(), POLLIN, 0};
    int watch_index = -1;
    if (!polling) {
      watch_index = nfds;
      fds[nfds++] = {watch_fd, POLLIN, 0};
    }
    int n = poll(fds, nfds, static_cast<int>(wake - now));
    if (n < 0 && errno != EINTR) {
      // Should not happen; fall back to sleeping the poll interval.
      usleep(poll_ms * 1000);
    }
    if (polling) {
      check = true;
      continue;
    }
#ifdef __linux__
    if (n > 0 && watch_index >= 0 && (fds[watch_index].revents & POLLIN)) {
      bool gone = false;
      if (watch.Drain(w.name, &gone)) check = true;
      // The directory went away under us: keep trying by polling, in case
      // it comes back (a remount).
      if (gone) polling = true;
    }
#else
    (void)watch_index;
#endif
  }
}

}  // namespace runall
