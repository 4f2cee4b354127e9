#include "hostname_file.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "fail.hpp"
#include "validate.hpp"

namespace runall {

HostnameFileAction DecideHostnameFile(const HostnameFileFacts& facts, uid_t uid, time_t now,
                                      unsigned delete_age, unsigned max_age) {
  // Someone else's file, or something that is not a file, is none of our
  // business: neither used nor deleted.
  if (!facts.regular || facts.owner != uid) return HostnameFileAction::kSkip;
  long long age = static_cast<long long>(now) - facts.mtime;
  if (age < 0) age = 0;
  if (age > static_cast<long long>(delete_age)) return HostnameFileAction::kDelete;
  if (age < static_cast<long long>(max_age)) return HostnameFileAction::kUse;
  return HostnameFileAction::kSkip;
}

pid_t WalkAncestors(pid_t start, const ParentOf& parent_of, const std::function<bool(pid_t)>& visit,
                    int max_steps) {
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

bool HostnameFilePid(const std::string& name, pid_t* pid) {
  const size_t dot = name.find('.');
  const std::string digits = name.substr(0, dot);
  if (digits.empty() || digits.size() > 10 || digits[0] == '0' ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  if (dot != std::string::npos) {
    const std::string suffix = name.substr(dot + 1);
    if (suffix.empty()) return false;
    for (char c : suffix)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
        return false;
  }
  const unsigned long long n = std::stoull(digits);
  if (n > 0x7fffffffULL) return false;
  *pid = static_cast<pid_t>(n);
  return true;
}

bool HostnameDirAcceptable(const HostnameDirFacts& facts, uid_t uid, std::string* why) {
  if (!facts.directory) {
    *why = "not a directory";
    return false;
  }
  const bool others_write = (facts.mode & 022) != 0;
  if (facts.owner == 0) {
    // Sticky: members of a shared directory cannot remove or rename one
    // another's files, so a file's owner is who wrote it there.
    if (others_write && (facts.mode & S_ISVTX) == 0) {
      *why =
          "owned by root, writable by group or others and not sticky "
          "(it should be root:runall 1770)";
      return false;
    }
    return true;
  }
  if (facts.owner == uid) {
    if (others_write) {
      *why = "owned by uid " + std::to_string(uid) + " but writable by group or others";
      return false;
    }
    return true;
  }
  *why = "owned by uid " + std::to_string(facts.owner) + ", neither root nor uid " +
         std::to_string(uid);
  return false;
}

HostnameDirStatus OpenHostnameDir(const std::string& dir, bool strict, uid_t uid, int* fd,
                                  std::string* why) {
  *fd = -1;
  const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int cur = -1;
  std::string done;  // the part of `dir` opened so far, for messages
  if (!strict) {
    cur = open(dir.c_str(), flags);
  } else if (dir.empty() || dir[0] != '/') {
    *why = dir + ": not an absolute path";
    return HostnameDirStatus::kRefused;
  } else {
    // One component at a time, none followed if it is a link: a user who
    // owns a directory on the way could otherwise point the rest of the
    // path anywhere.
    cur = open("/", flags);
    size_t pos = 1;
    while (cur >= 0 && pos < dir.size()) {
      size_t end = dir.find('/', pos);
      if (end == std::string::npos) end = dir.size();
      const std::string part = dir.substr(pos, end - pos);
      pos = end + 1;
      if (part.empty() || part == ".") continue;
      done += "/" + part;
      int next = openat(cur, part.c_str(), flags);
      int saved = errno;
      close(cur);
      cur = next;
      errno = saved;
    }
  }
  if (cur < 0) {
    const int saved = errno;
    const std::string what = done.empty() || done == dir ? dir : done;
    if (saved == ENOENT) {
      *why = ErrnoMessage(what, saved);
      return HostnameDirStatus::kMissing;
    }
    *why = saved == ELOOP || saved == ENOTDIR
               ? what + ": a symbolic link or not a directory; refused"
               : ErrnoMessage(what, saved);
    return HostnameDirStatus::kRefused;
  }
  if (strict) {
    struct stat st;
    HostnameDirFacts facts;
    std::string reason;
    if (fstat(cur, &st) != 0) {
      *why = ErrnoMessage(dir);
      close(cur);
      return HostnameDirStatus::kRefused;
    }
    facts.directory = S_ISDIR(st.st_mode);
    facts.owner = st.st_uid;
    facts.mode = st.st_mode & 07777;
    if (!HostnameDirAcceptable(facts, uid, &reason)) {
      *why = dir + ": " + reason + "; refused";
      close(cur);
      return HostnameDirStatus::kRefused;
    }
  }
  *fd = cur;
  return HostnameDirStatus::kOpen;
}

namespace {

// So many notes about one search would be someone filling the directory
// with names of our ancestors to flood our caller's terminal.
constexpr size_t kMaxNotes = 16;

// Removes dir/name if it is still the file we looked at: the name may have
// been replaced since, and then the newcomer is left alone.
void RemoveIfSame(int dirfd, const std::string& name, const struct stat& was) {
  struct stat now;
  if (fstatat(dirfd, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == was.st_dev &&
      now.st_ino == was.st_ino)
    unlinkat(dirfd, name.c_str(), 0);
}

// The names in the directory that are hostname files, by pid.
std::map<pid_t, std::vector<std::string>> ListHostnameFiles(int dirfd) {
  std::map<pid_t, std::vector<std::string>> files;
  int fd = dup(dirfd);
  if (fd < 0) return files;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return files;
  }
  while (struct dirent* e = readdir(d)) {
    pid_t pid = 0;
    if (HostnameFilePid(e->d_name, &pid)) files[pid].push_back(e->d_name);
  }
  closedir(d);
  for (auto& entry : files) std::sort(entry.second.begin(), entry.second.end());
  return files;
}

// A file that may name the guest.
struct Usable {
  std::string name;
  std::string hostname;
  struct stat st;
};

}  // namespace

HostnameSearch FindGuestHostnameIn(int dirfd, const std::string& dir, uid_t uid, time_t now,
                                   unsigned delete_age, unsigned max_age, pid_t start,
                                   const ParentOf& parent_of) {
  HostnameSearch found;
  size_t unsaid = 0;
  auto note = [&](const std::string& text) {
    if (found.notes.size() < kMaxNotes)
      found.notes.push_back(text);
    else
      ++unsaid;
  };
  const std::map<pid_t, std::vector<std::string>> files = ListHostnameFiles(dirfd);
  // Looks at one file of an ancestor; true (with *usable) if it may be used.
  auto look = [&](const std::string& name, Usable* usable) {
    const std::string path = dir + "/" + name;
    // O_NONBLOCK: a fifo planted under the name must not hang us.
    int fd = openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ELOOP)
        note(path + ": a symbolic link; ignored");
      else if (errno != ENOENT)
        note(ErrnoMessage(path));
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      note(ErrnoMessage(path));
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
          note(path + ": not a regular file; ignored");
        else if (facts.owner != uid)
          note(path + ": owned by uid " + std::to_string(facts.owner) + ", not uid " +
               std::to_string(uid) + "; ignored");
        else
          note(path + ": too old to use (over " + std::to_string(max_age) + " s); ignored");
        close(fd);
        return false;
      case HostnameFileAction::kDelete:
        note(path + ": older than " + std::to_string(delete_age) + " s; deleted");
        RemoveIfSame(dirfd, name, st);
        close(fd);
        return false;
      case HostnameFileAction::kUse: break;
    }
    char buf[512];
    ssize_t n;
    do {
      n = read(fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0) {
      note(ErrnoMessage(path));
      return false;
    }
    std::string hostname = FirstLine(std::string(buf, static_cast<size_t>(n)));
    std::string why;
    if (hostname.empty()) {
      note(path + ": empty; ignored");
      return false;
    }
    if (!ValidHostname(hostname, &why)) {
      note(path + ": " + why + "; ignored");
      return false;
    }
    usable->name = name;
    usable->hostname = hostname;
    usable->st = st;
    return true;
  };
  auto visit = [&](pid_t pid) {
    auto it = files.find(pid);
    if (it == files.end()) return false;
    bool any = false;
    Usable best;
    for (const std::string& name : it->second) {
      Usable usable;
      if (!look(name, &usable)) continue;
      // The newest: a process that launched twice wrote the later name
      // last. Equal times keep the first name in sorted order.
      if (!any || usable.st.st_mtim.tv_sec > best.st.st_mtim.tv_sec ||
          (usable.st.st_mtim.tv_sec == best.st.st_mtim.tv_sec &&
           usable.st.st_mtim.tv_nsec > best.st.st_mtim.tv_nsec))
        best = usable;
      any = true;
    }
    if (!any) return false;
    // Used once: the article deletes the file so a later, unrelated tap
    // cannot pick up a guest's name.
    RemoveIfSame(dirfd, best.name, best.st);
    found.hostname = best.hostname;
    found.pid = pid;
    return true;
  };
  WalkAncestors(start, parent_of, visit);
  if (unsaid > 0)
    found.notes.push_back("and " + std::to_string(unsaid) + " more files in " + dir + " ignored");
  return found;
}

HostnameSearch FindGuestHostname(const std::string& dir, uid_t uid, time_t now, unsigned delete_age,
                                 unsigned max_age, pid_t start, const ParentOf& parent_of) {
  int dirfd = -1;
  std::string why;
  if (OpenHostnameDir(dir, false, uid, &dirfd, &why) != HostnameDirStatus::kOpen) {
    HostnameSearch none;
    none.notes.push_back(why);
    return none;
  }
  HostnameSearch found =
      FindGuestHostnameIn(dirfd, dir, uid, now, delete_age, max_age, start, parent_of);
  close(dirfd);
  return found;
}

}  // namespace runall
