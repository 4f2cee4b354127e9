#include "user_net.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "clock.hpp"
#include "fail.hpp"
#include "fd.hpp"
#include "file_io.hpp"
#include "json.hpp"
#include "process.hpp"
#include "qemu_args.hpp"    // kNetdevId
#include "qemu_launch.hpp"  // WriteFileAtomically
#include "qmp.hpp"
#include "validate.hpp"

namespace runall {

namespace {

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > b) words.push_back(line.substr(b, i - b));
  }
  return words;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

// True if `path` is ours (not a symbolic link): in a launch directory
// someone else may write to, a record or socket of theirs must not send
// our ssh, or our question, to them.
bool OwnedByUs(const std::string& path, bool socket_file) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && st.st_uid == geteuid() &&
         (socket_file ? S_ISSOCK(st.st_mode) : S_ISREG(st.st_mode));
}

bool ParsePort(const std::string& text, unsigned* port) {
  unsigned long n = 0;
  if (!ParseUnsigned(text, 65535, &n) || n == 0) return false;
  *port = static_cast<unsigned>(n);
  return true;
}

}  // namespace

std::string ForwardedPortPath(const std::string& launch_dir, const std::string& host) {
  return launch_dir + "/" + host + ":port";
}

std::string FormatPortRecord(pid_t pid, unsigned port) {
  return std::to_string(pid) + " " + std::to_string(port) + "\n";
}

bool ParsePortRecord(const std::string& text, pid_t* pid, unsigned* port) {
  std::string t = text;
  if (!t.empty() && t.back() == '\n') t.pop_back();
  size_t space = t.find(' ');
  if (space == std::string::npos) return false;
  unsigned long p = 0;
  if (!ParseUnsigned(t.substr(0, space), 0x7fffffffUL, &p) || p == 0) return false;
  if (!ParsePort(t.substr(space + 1), port)) return false;
  *pid = static_cast<pid_t>(p);
  return true;
}

bool ParseUsernetForward(const std::string& info, const std::string& netdev_id, unsigned guest_port,
                         unsigned* host_port) {
  // Sections begin "Hub -1 (ID):" (or "VLAN n (ID):" in older QEMU), each
  // with a table of sockets; a forwarding rule is a listening socket
  //   TCP[HOST_FORWARD]  FD  SRC-ADDR SRC-PORT  DST-ADDR DST-PORT  RECVQ SENDQ
  // whose source port is the one bound on the host.
  const std::string marker = "(" + netdev_id + "):";
  bool ours = false;
  for (const std::string& line : Lines(info)) {
    if (line.empty()) continue;
    if (line[0] != ' ' && line[0] != '\t') {
      ours = line.size() >= marker.size() &&
             line.compare(line.size() - marker.size(), marker.size(), marker) == 0;
      continue;
    }
    if (!ours) continue;
    std::vector<std::string> w = Words(line);
    if (w.size() < 6 || w[0] != "TCP[HOST_FORWARD]") continue;
    unsigned src = 0, dst = 0;
    if (ParsePort(w[3], &src) && ParsePort(w[5], &dst) && dst == guest_port) {
      *host_port = src;
      return true;
    }
  }
  return false;
}

UserNetSupport ParseNetdevHelp(const std::string& output) {
  bool listed = false;
  for (const std::string& line : Lines(output)) {
    std::vector<std::string> w = Words(line);
    if (w.size() == 1 && w[0] == "user") return UserNetSupport::kYes;
    if (line.find("netdev backend types") != std::string::npos) listed = true;
  }
  return listed ? UserNetSupport::kNo : UserNetSupport::kUnknown;
}

UserNetSupport QemuUserNetSupport(const std::string& program) {
  // Its stderr is kept from ours: a QEMU asked for help still complains
  // about display modules it cannot load, which is no news to anyone.
  ChildOptions opts;
  opts.out = opts.err = ChildOutput::kPipe;
  Child c;
  std::string err, out;
  if (!StartChild({program, "-netdev", "help"}, opts, &c, &err)) return UserNetSupport::kUnknown;
  ChildIo io;
  io.on_out = [&](const char* d, size_t n) {
    if (out.size() < 65536) out.append(d, n);
  };
  io.on_err = [](const char*, size_t) {};
  io.timeout_ms = 10000;
  DriveChild(c, io);
  return ParseNetdevHelp(out);
}

bool QueryForwardedPort(const std::string& socket, int timeout_ms,
                        const std::function<bool()>& alive, unsigned* port, std::string* err) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  QmpClient qmp;
  std::string why;
  while (true) {
    if (alive && !alive()) {
      *err = "QEMU exited before its monitor told the forwarded port";
      return false;
    }
    int64_t left = deadline - MonotonicMs();
    if (left <= 0) {
      *err = "QEMU's monitor " + socket + " did not answer within " +
             std::to_string(timeout_ms / 1000) + "s (" + why + ")";
      return false;
    }
    // A short wait for the greeting at a time: a QEMU that has made its
    // socket answers at once, unless another client holds the monitor.
    // A socket that is not ours is not our QEMU's (which replaces
    // whatever is at its path as it starts).
    if (!OwnedByUs(socket, true)) {
      why = "no socket of this user's there yet";
    } else if (qmp.Connect(socket, static_cast<int>(std::min<int64_t>(left, 1000)), &why)) {
      break;
    }
    SleepMs(20);
  }
  JsonValue result;
  int left = static_cast<int>(std::max<int64_t>(1000, deadline - MonotonicMs()));
  if (!qmp.Execute("human-monitor-command", "{\"command-line\": \"info usernet\"}", left, &result,
                   err)) {
    *err = "QEMU's monitor " + socket + ": " + *err;
    return false;
  }
  if (result.type != JsonValue::Type::kString ||
      !ParseUsernetForward(result.text, kNetdevId, 22, port)) {
    *err = "QEMU's monitor " + socket +
           " names no port forwarded to the "
           "guest's port 22 (info usernet)";
    return false;
  }
  return true;
}

bool RecordForwardedPort(const std::string& launch_dir, const std::string& host, pid_t pid,
                         unsigned port, std::string* err) {
  return WriteFileAtomically(launch_dir, host + ":port", FormatPortRecord(pid, port), err);
}

bool ReadForwardedPort(const std::string& launch_dir, const std::string& host, pid_t pid,
                       unsigned* port, std::string* err) {
  FileCheck check;
  check.max_bytes = 64;
  std::string text;
  int errnum = 0;
  const std::string path = ForwardedPortPath(launch_dir, host);
  if (!ReadFileText(path, check, &text, err, &errnum)) {
    if (errnum == ENOENT) err->clear();
    return false;
  }
  if (!OwnedByUs(path, false)) {
    *err = path + ": not this user's file: ignored";
    return false;
  }
  pid_t recorded = 0;
  unsigned p = 0;
  if (!ParsePortRecord(text, &recorded, &p)) {
    *err = path + ": not \"PID PORT\"";
    return false;
  }
  if (recorded != pid) return false;
  *port = p;
  return true;
}

void RemoveUserNetFiles(const std::string& launch_dir, const std::string& host) {
  // The monitor socket is the guest's whatever its network (runqemuos
  // makes it, and removes it with a launch that fails).
  unlink(ForwardedPortPath(launch_dir, host).c_str());
}

bool LocalPortFree(unsigned port, std::string* why) {
  Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.ok()) {
    *why = ErrnoMessage("socket");
    return false;
  }
  // As QEMU's user-mode network binds it: a port left in TIME_WAIT by a
  // guest that just stopped is free to it, and so to us.
  int one = 1;
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0) return true;
  const std::string where = "127.0.0.1:" + std::to_string(port);
  if (errno == EADDRINUSE)
    *why = where + " is in use by another program";
  else
    *why = ErrnoMessage(where);
  return false;
}

}  // namespace runall
