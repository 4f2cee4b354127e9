#include "ssh_mux.hpp"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd.hpp"

namespace runall {

namespace {

const char kControlDirTemplate[] = "/runall-ssh.XXXXXX";

// Only characters ssh reads as themselves in a ControlPath: no blanks or
// quotes (its option parser splits and unquotes), no '%' or a leading '~'
// (it expands tokens), nothing a log line would mangle.
bool PlainPath(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  for (char c : path) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '.' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// FNV-1a, 64 bits: a short, stable stand-in for a hostname too long to
// name its socket.
std::string HostHash(const std::string& host) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : host) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::vector<std::string> ControlDirBases(const char* xdg_runtime_dir, const char* tmpdir) {
  std::vector<std::string> bases;
  // Room for the directory's own name and a socket named by a hash.
  const size_t room = kMaxControlPathBytes - (sizeof kControlDirTemplate - 1) - 18;
  for (const char* candidate : {xdg_runtime_dir, tmpdir, "/tmp"}) {
    if (candidate == nullptr) continue;
    std::string base = candidate;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    if (!PlainPath(base) || base.size() > room) continue;
    bool seen = false;
    for (const std::string& b : bases) seen = seen || b == base;
    if (!seen) bases.push_back(base);
  }
  return bases;
}

bool SafeControlBase(uid_t owner, mode_t mode, uid_t euid) {
  if (owner == euid && (mode & (S_IWGRP | S_IWOTH)) == 0) return true;
  return (mode & S_ISVTX) != 0 && (owner == 0 || owner == euid);
}

std::string ControlSocketPath(const std::string& dir, const std::string& host) {
  std::string path = dir + "/" + host;
  if (!host.empty() && host[0] != '_' && PlainPath(path) && path.size() <= kMaxControlPathBytes)
    return path;
  path = dir + "/_" + HostHash(host);
  return path.size() <= kMaxControlPathBytes ? path : std::string();
}

MuxPlan PlanSsh(bool enabled, MasterState state, unsigned masters_opened) {
  if (!enabled) return MuxPlan::kPlain;
  if (state == MasterState::kLive) return MuxPlan::kReuse;
  return masters_opened < kMaxMastersPerRun ? MuxPlan::kOpen : MuxPlan::kPlain;
}

std::vector<std::string> SshExitMasterArgv(const std::string& ssh_program,
                                           const std::string& control_path,
                                           const std::string& host) {
  return {ssh_program, "-F", "none", "-o", "ControlPath=" + control_path, "-O", "exit", "--", host};
}

// --- the system calls -------------------------------------------------------------

bool MakeControlDir(const std::vector<std::string>& bases, std::string* dir, std::string* err) {
  std::string tried;
  for (const std::string& base : bases) {
    struct stat st;
    std::string why;
    if (stat(base.c_str(), &st) != 0) {
      why = strerror(errno);
    } else if (!S_ISDIR(st.st_mode)) {
      why = "not a directory";
    } else if (!SafeControlBase(st.st_uid, st.st_mode, geteuid())) {
      why = "writable by others and not sticky";
    } else {
      std::string path = base + kControlDirTemplate;
      // mkdtemp makes it 0700: the sockets in it are for this user only.
      if (mkdtemp(&path[0]) != nullptr) {
        *dir = path;
        return true;
      }
      why = strerror(errno);
    }
    tried += (tried.empty() ? "" : "; ") + base + ": " + why;
  }
  *err = "no directory for ssh's control sockets" + (tried.empty() ? "" : " (" + tried + ")");
  return false;
}

void RemoveControlDir(const std::string& dir) {
  if (dir.empty()) return;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      unlink((dir + "/" + e->d_name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

MasterState ProbeMaster(const std::string& socket_path, ino_t* ino) {
  *ino = 0;
  struct stat st;
  if (lstat(socket_path.c_str(), &st) != 0) return MasterState::kAbsent;
  *ino = st.st_ino;
  if (!S_ISSOCK(st.st_mode)) return MasterState::kStale;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return MasterState::kStale;
  memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  // Non-blocking: a master whose backlog is full makes connect wait, and
  // is alive all the same.
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.ok()) return MasterState::kStale;
  // A master accepts at once, reads nothing from a client that hangs up,
  // and goes on; a dead one's socket refuses.
  if (connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EAGAIN)
    return MasterState::kStale;
  return MasterState::kLive;
}

}  // namespace runall
