#include "qmp.hpp"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.hpp"
#include "fail.hpp"

namespace runall {

namespace {

// A monitor line is small; one that grows past this is not QMP talking.
constexpr size_t kMaxLine = 1u << 20;

}  // namespace

bool FitsSocketPath(const std::string& path) {
  struct sockaddr_un addr;
  return !path.empty() && path.size() < sizeof addr.sun_path;
}

QmpClient::~QmpClient() { Close(); }

void QmpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  peer_pid_ = 0;
  buffer_.clear();
}

bool QmpClient::Send(const std::string& line, std::string* err) {
  size_t done = 0;
  while (done < line.size()) {
    // MSG_NOSIGNAL: a QEMU that exits under us must not kill the driver
    // with SIGPIPE.
    ssize_t n = send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = ErrnoMessage("QMP: send");
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool QmpClient::ReadMessage(long long deadline_ms, JsonValue* msg, bool* closed, std::string* err) {
  *closed = false;
  while (true) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      return ParseJson(line, msg, err);
    }
    if (buffer_.size() > kMaxLine) {
      *err = "QMP: a line of over " + std::to_string(kMaxLine) + " bytes";
      return false;
    }
    const long long left = deadline_ms - MonotonicMs();
    if (left <= 0) {
      *err = "QMP: no answer in time";
      return false;
    }
    struct pollfd p = {fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left > 1000000 ? 1000000 : left));
    if (r < 0) {
      if (errno == EINTR) continue;
      *err = ErrnoMessage("QMP: poll");
      return false;
    }
    if (r == 0) continue;  // the deadline is checked above
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET)
        n = 0;
      else {
        *err = ErrnoMessage("QMP: recv");
        return false;
      }
    }
    if (n == 0) {
      *closed = true;
      *err = "QMP: QEMU closed the monitor";
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

bool QmpClient::Connect(const std::string& path, int timeout_ms, std::string* err) {
  Close();
  if (!FitsSocketPath(path)) {
    *err = path + ": too long for a unix socket";
    return false;
  }
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *err = ErrnoMessage("QMP: socket");
    return false;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.data(), path.size());
  int r;
  do {
    r = connect(fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    *err = ErrnoMessage(path);
    Close();
    return false;
  }
#ifdef SO_PEERCRED
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
    peer_pid_ = cred.pid;
#endif
  const long long deadline = MonotonicMs() + timeout_ms;
  JsonValue greeting;
  bool closed = false;
  if (!ReadMessage(deadline, &greeting, &closed, err)) {
    Close();
    return false;
  }
  if (greeting.Find("QMP") == nullptr) {
    *err = path + ": not a QMP monitor (no greeting)";
    Close();
    return false;
  }
  JsonValue ignored;
  if (!Execute("qmp_capabilities", "", static_cast<int>(deadline - MonotonicMs()), &ignored, err)) {
    Close();
    return false;
  }
  return true;
}

bool QmpClient::Execute(const std::string& command, const std::string& arguments, int timeout_ms,
                        JsonValue* result, std::string* err) {
  if (fd_ < 0) {
    *err = "QMP: not connected";
    return false;
  }
  std::string line = "{\"execute\": " + JsonQuote(command);
  if (!arguments.empty()) line += ", \"arguments\": " + arguments;
  line += "}\n";
  if (!Send(line, err)) return false;
  const long long deadline = MonotonicMs() + (timeout_ms > 0 ? timeout_ms : 0);
  while (true) {
    JsonValue msg;
    bool closed = false;
    if (!ReadMessage(deadline, &msg, &closed, err)) return false;
    if (msg.Find("event") != nullptr) {
      events_.push_back(msg.StringAt("event"));
      continue;
    }
    if (const JsonValue* ret = msg.Find("return")) {
      *result = *ret;
      return true;
    }
    if (const JsonValue* e = msg.Find("error")) {
      std::string desc = e->StringAt("desc");
      *err = command + ": " + (desc.empty() ? e->StringAt("class") : desc);
      return false;
    }
    // Anything else is not for us (QMP has nothing else today); skip it.
  }
}

bool QmpClient::WaitEvent(const std::string& name, int timeout_ms, bool* closed, std::string* err) {
  *closed = false;
  for (const std::string& e : events_)
    if (e == name) return true;
  if (fd_ < 0) {
    *err = "QMP: not connected";
    return false;
  }
  const long long deadline = MonotonicMs() + timeout_ms;
  while (true) {
    JsonValue msg;
    if (!ReadMessage(deadline, &msg, closed, err)) return false;
    if (msg.Find("event") == nullptr) continue;
    events_.push_back(msg.StringAt("event"));
    if (events_.back() == name) return true;
  }
}

}  // namespace runall
