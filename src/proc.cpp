#include "proc.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "fail.hpp"
#include "file_io.hpp"
#include "process.hpp"
#include "validate.hpp"

namespace runall {

namespace {

bool ParsePid(const std::string& text, pid_t* pid) {
  unsigned long v = 0;
  if (!ParseUnsigned(text, 0x7fffffffUL, &v)) return false;
  *pid = static_cast<pid_t>(v);
  return true;
}

bool ParseUid(const std::string& text, uid_t* uid) {
  unsigned long v = 0;
  if (!ParseUnsigned(text, 0xffffffffUL, &v)) return false;
  *uid = static_cast<uid_t>(v);
  return true;
}

// The whitespace-separated words of one line.
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

#ifdef __linux__
bool ReadProcFile(const std::string& path, std::string* text, std::string* err) {
  FileCheck check;
  check.max_bytes = 4u << 20;  // /proc/net tables stay far below
  return ReadFileText(path, check, text, err);
}
#else
// ps(1) is POSIX; -o with an empty header ("ppid=") prints the bare value.
bool PsField(pid_t pid, const char* field, std::string* value, std::string* err) {
  std::string out;
  ExitStatus status;
  std::vector<std::string> argv = {"/bin/ps", "-o", std::string(field) + "=", "-p",
                                   std::to_string(pid)};
  if (!RunChild(argv, &out, &status, err)) return false;
  std::vector<std::string> words = Words(out);
  if (!status.success() || words.size() != 1) {
    *err = "process " + std::to_string(pid) + ": not found by ps";
    return false;
  }
  *value = words[0];
  return true;
}
#endif

}  // namespace

bool ParseStatParent(const std::string& stat, pid_t* ppid) {
  // "pid (comm) state ppid ...": comm is whatever the program chose, so only
  // the last ')' reliably ends it.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<std::string> fields = Words(stat.substr(close + 1));
  if (fields.size() < 2 || fields[0].size() != 1) return false;
  return ParsePid(fields[1], ppid);
}

bool ParseStatusUids(const std::string& status, uid_t* real, uid_t* effective) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 4, "Uid:") != 0) continue;
    std::vector<std::string> w = Words(line.substr(4));
    return w.size() >= 2 && ParseUid(w[0], real) && ParseUid(w[1], effective);
  }
  return false;
}

std::vector<unsigned long> ParseUdpSocketInodes(const std::string& table, uint16_t port) {
  // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout
  // inode ...", addresses as hex "ADDR:PORT".
  std::vector<unsigned long> inodes;
  std::istringstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> w = Words(line);
    if (w.size() < 10) continue;
    size_t colon = w[1].rfind(':');
    if (colon == std::string::npos) continue;
    char* end = nullptr;
    std::string port_text = w[1].substr(colon + 1);
    unsigned long p = strtoul(port_text.c_str(), &end, 16);
    if (port_text.empty() || *end != '\0' || p != port) continue;
    unsigned long inode = 0;
    if (ParseUnsigned(w[9], ULONG_MAX, &inode) && inode != 0) inodes.push_back(inode);
  }
  return inodes;
}

std::vector<unsigned long> ParsePacketSocketInodes(const std::string& table) {
  // "sk RefCnt Type Proto Iface R Rmem User Inode": the inode is last.
  std::vector<unsigned long> inodes;
  std::istringstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> w = Words(line);
    unsigned long inode = 0;
    if (w.size() >= 9 && ParseUnsigned(w.back(), ULONG_MAX, &inode) && inode != 0)
      inodes.push_back(inode);
  }
  return inodes;
}

bool ParseStatStart(const std::string& stat, std::string* comm, unsigned long long* start_ticks) {
  size_t open = stat.find('(');
  size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  // After the name: field 3 (the state) is fields[0], so field 22 is [19].
  std::vector<std::string> fields = Words(stat.substr(close + 1));
  if (fields.size() < 20 || fields[0].size() != 1) return false;
  unsigned long v = 0;
  if (!ParseUnsigned(fields[19], ULONG_MAX, &v)) return false;
  *comm = stat.substr(open + 1, close - open - 1);
  *start_ticks = v;
  return true;
}

bool ParseStatState(const std::string& stat, char* state) {
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<std::string> fields = Words(stat.substr(close + 1));
  if (fields.empty() || fields[0].size() != 1) return false;
  *state = fields[0][0];
  return true;
}

bool ProcessStart(pid_t pid, std::string* comm, struct timespec* start, bool* start_known,
                  std::string* err) {
#ifdef __linux__
  std::string text;
  if (!ReadProcFile("/proc/" + std::to_string(pid) + "/stat", &text, err)) return false;
  unsigned long long ticks = 0;
  char state = '?';
  if (!ParseStatStart(text, comm, &ticks) || !ParseStatState(text, &state)) {
    *err = "/proc/" + std::to_string(pid) + "/stat: unexpected format";
    return false;
  }
  if (state == 'Z' || state == 'X') {
    *err = "process " + std::to_string(pid) + " has exited";
    return false;
  }
  // The start time counts from boot (CLOCK_BOOTTIME, suspend included);
  // the wall clock time is now minus how long ago that was.
  long hz = sysconf(_SC_CLK_TCK);
  struct timespec real, boot;
  if (hz <= 0 || clock_gettime(CLOCK_REALTIME, &real) != 0 ||
      clock_gettime(CLOCK_BOOTTIME, &boot) != 0) {
    *err = ErrnoMessage("clock_gettime");
    return false;
  }
  long long started_ns = static_cast<long long>(ticks / hz) * 1000000000LL +
                         static_cast<long long>(ticks % hz) * 1000000000LL / hz;
  long long boot_ns = boot.tv_sec * 1000000000LL + boot.tv_nsec;
  long long real_ns = real.tv_sec * 1000000000LL + real.tv_nsec;
  long long at = real_ns - (boot_ns - started_ns);
  start->tv_sec = static_cast<time_t>(at / 1000000000LL);
  start->tv_nsec = static_cast<long>(at % 1000000000LL);
  *start_known = true;
  return true;
#else
  if (!PsField(pid, "comm", comm, err)) return false;
  *start = {0, 0};
  *start_known = false;
  return true;
#endif
}

bool ParentPid(pid_t pid, pid_t* ppid, std::string* err) {
#ifdef __linux__
  std::string text;
  if (!ReadProcFile("/proc/" + std::to_string(pid) + "/stat", &text, err)) return false;
  if (!ParseStatParent(text, ppid)) {
    *err = "/proc/" + std::to_string(pid) + "/stat: unexpected format";
    return false;
  }
  return true;
#else
  std::string value;
  if (!PsField(pid, "ppid", &value, err)) return false;
  if (!ParsePid(value, ppid)) {
    *err = "ps: unexpected parent pid \"" + value + "\"";
    return false;
  }
  return true;
#endif
}

bool ProcessUids(pid_t pid, uid_t* real, uid_t* effective, std::string* err) {
#ifdef __linux__
  std::string text;
  if (!ReadProcFile("/proc/" + std::to_string(pid) + "/status", &text, err)) return false;
  if (!ParseStatusUids(text, real, effective)) {
    *err = "/proc/" + std::to_string(pid) + "/status: no Uid line";
    return false;
  }
  return true;
#else
  std::string r, e;
  if (!PsField(pid, "ruid", &r, err) || !PsField(pid, "uid", &e, err)) return false;
  if (!ParseUid(r, real) || !ParseUid(e, effective)) {
    *err = "ps: unexpected uid";
    return false;
  }
  return true;
#endif
}

bool ProcessExe(pid_t pid, std::string* path, std::string* err) {
#ifdef __linux__
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  char buf[PATH_MAX + 16];
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    *err = ErrnoMessage(link);
    return false;
  }
  path->assign(buf, static_cast<size_t>(n));
  return true;
#else
  (void)pid;
  (void)path;
  *err = "a process's program is only known on Linux";
  return false;
#endif
}

bool SameProgram(const std::string& exe, const std::string& path) {
  static const std::string kDeleted = " (deleted)";
  if (exe == path) return true;
  return exe.size() == path.size() + kDeleted.size() && exe.compare(0, path.size(), path) == 0 &&
         exe.compare(path.size(), std::string::npos, kDeleted) == 0;
}

bool SelfExe(std::string* path, std::string* err) {
#ifdef __linux__
  return ProcessExe(getpid(), path, err);
#else
  (void)path;
  *err = "the running program's path is only known on Linux";
  return false;
#endif
}

bool ParseNetNamespaceLink(const std::string& link, std::string* name) {
  static const std::string kPrefix = "net:[";
  if (link.size() <= kPrefix.size() + 1 || link.compare(0, kPrefix.size(), kPrefix) != 0 ||
      link.back() != ']')
    return false;
  const std::string digits = link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1);
  if (digits.empty() || digits.size() > 20 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *name = "net-" + digits;
  return true;
}

bool NetNamespaceName(pid_t pid, std::string* name, std::string* err) {
#ifdef __linux__
  const std::string link =
      "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/ns/net";
  char buf[64];
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    *err = ErrnoMessage(link);
    return false;
  }
  if (!ParseNetNamespaceLink(std::string(buf, static_cast<size_t>(n)), name)) {
    *err = link + ": not a network namespace";
    return false;
  }
  return true;
#else
  (void)pid;
  (void)err;
  *name = "net-default";
  return true;
#endif
}

bool OwnOpenFds(std::vector<int>* fds, std::string* err) {
#ifdef __linux__
  fds->clear();
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) {
    *err = ErrnoMessage("/proc/self/fd");
    return false;
  }
  // The directory's own fd is listed too; it is closed by the time the
  // caller acts on the list, so it is left out.
  int own = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    unsigned long n = 0;
    if (ParseUnsigned(e->d_name, 0x7fffffffUL, &n) && static_cast<int>(n) != own)
      fds->push_back(static_cast<int>(n));
  }
  closedir(d);
  return true;
#else
  (void)fds;
  *err = "open fds are only listed on Linux";
  return false;
#endif
}

bool ProcessHasDhcpSocket(pid_t pid, uint16_t port, bool* bound, std::string* err) {
#ifdef __linux__
  *bound = false;
  std::string udp, packet;
  if (!ReadProcFile("/proc/net/udp", &udp, err)) return false;
  std::vector<unsigned long> wanted = ParseUdpSocketInodes(udp, port);
  // A server that answers through a packet socket has no UDP socket to show.
  if (ReadProcFile("/proc/net/packet", &packet, err)) {
    std::vector<unsigned long> p = ParsePacketSocketInodes(packet);
    wanted.insert(wanted.end(), p.begin(), p.end());
  }
  if (wanted.empty()) return true;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    *err = ErrnoMessage(dir);
    return false;
  }
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[64];
    std::string link = dir + "/" + e->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    std::string t(target, static_cast<size_t>(n));
    // Sockets read "socket:[INODE]".
    if (t.compare(0, 8, "socket:[") != 0 || t.back() != ']') continue;
    unsigned long inode = 0;
    if (!ParseUnsigned(t.substr(8, t.size() - 9), ULONG_MAX, &inode)) continue;
    if (std::find(wanted.begin(), wanted.end(), inode) != wanted.end()) {
      *bound = true;
      break;
    }
  }
  closedir(d);
  return true;
#else
  (void)pid;
  (void)port;
  (void)bound;
  *err = "a process's sockets are only known on Linux";
  return false;
#endif
}

}  // namespace runall
