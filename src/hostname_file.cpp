#include "hostname_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "fail.hpp"
#include "validate.hpp"

namespace runall {

HostnameFileAction DecideHostnameFile(const HostnameFileFacts& facts,
                                      uid_t uid, time_t now,
                                      unsigned delete_age, unsigned max_age) {
  // Someone else's file, or something that is not a file, is none of our
  // business: neither used nor deleted.
  if (!facts.regular || facts.owner != uid) return HostnameFileAction::kSkip;
  long long age = static_cast<long long>(now) - facts.mtime;
  if (age < 0) age = 0;
  if (age > static_cast<long long>(delete_age))
    return HostnameFileAction::kDelete;
  if (age < static_cast<long long>(max_age)) return HostnameFileAction::kUse;
  return HostnameFileAction::kSkip;
}

pid_t WalkAncestors(pid_t start, const ParentOf& parent_of,
                    const std::function<bool(pid_t)>& visit, int max_steps) {
  std::set<pid_t> seen;
  pid_t pid = start;
  for (int step = 0; step < max_steps && pid > 0; ++step) {
    if (!seen.insert(pid).second) return 0;
    if (visit(pid)) return pid;
    if (pid == 1) return 0;
    pid_t parent = 0;
    if (!parent_of(pid, &parent)) return 0;
    pid = parent;
  }
  return 0;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  size_t end = line.find_last_not_of(" \t\r");
  return end == std::string::npos ? "" : line.substr(0, end + 1);
}

namespace {

// Removes dir/name if it is still the file we looked at: the name may have
// been replaced since, and then the newcomer is left alone.
void RemoveIfSame(int dirfd, const std::string& name, const struct stat& was) {
  struct stat now;
  if (fstatat(dirfd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
      now.st_dev == was.st_dev && now.st_ino == was.st_ino)
    unlinkat(dirfd, name.c_str(), 0);
}

}  // namespace

HostnameSearch FindGuestHostname(const std::string& dir, uid_t uid,
                                 time_t now, unsigned delete_age,
                                 unsigned max_age, pid_t start,
                                 const ParentOf& parent_of) {
  HostnameSearch found;
  int dirfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    found.notes.push_back(ErrnoMessage(dir));
    return found;
  }
  auto visit = [&](pid_t pid) {
    const std::string name = std::to_string(pid);
    const std::string path = dir + "/" + name;
    // O_NONBLOCK: a fifo planted under the name must not hang us.
    int fd = openat(dirfd, name.c_str(),
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ELOOP)
        found.notes.push_back(path + ": a symbolic link; ignored");
      else if (errno != ENOENT)
        found.notes.push_back(ErrnoMessage(path));
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      found.notes.push_back(ErrnoMessage(path));
      close(fd);
      return false;
    }
    HostnameFileFacts facts;
    facts.regular = S_ISREG(st.st_mode);
    facts.owner = st.st_uid;
    facts.mtime = st.st_mtime;
    switch (DecideHostnameFile(facts, uid, now, delete_age, max_age)) {
      case HostnameFileAction::kSkip:
        if (!facts.regular)
          found.notes.push_back(path + ": not a regular file; ignored");
        else if (facts.owner != uid)
          found.notes.push_back(path + ": owned by uid " +
                                std::to_string(facts.owner) + ", not uid " +
                                std::to_string(uid) + "; ignored");
        else
          found.notes.push_back(path + ": too old to use (over " +
                                std::to_string(max_age) + " s); ignored");
        close(fd);
        return false;
      case HostnameFileAction::kDelete:
        found.notes.push_back(path + ": older than " +
                              std::to_string(delete_age) + " s; deleted");
        RemoveIfSame(dirfd, name, st);
        close(fd);
        return false;
      case HostnameFileAction::kUse:
        break;
    }
    char buf[512];
    ssize_t n;
    do {
      n = read(fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0) {
      found.notes.push_back(ErrnoMessage(path));
      return false;
    }
    std::string hostname = FirstLine(std::string(buf, static_cast<size_t>(n)));
    std::string why;
    if (hostname.empty()) {
      found.notes.push_back(path + ": empty; ignored");
      return false;
    }
    if (!ValidHostname(hostname, &why)) {
      found.notes.push_back(path + ": " + why + "; ignored");
      return false;
    }
    // Used once: the article deletes the file so a later, unrelated tap
    // cannot pick up a guest's name.
    RemoveIfSame(dirfd, name, st);
    found.hostname = hostname;
    found.pid = pid;
    return true;
  };
  WalkAncestors(start, parent_of, visit);
  close(dirfd);
  return found;
}

}  // namespace runall
