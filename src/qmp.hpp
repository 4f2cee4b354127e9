// qmp: a client for QEMU's machine protocol (QMP) on a unix socket - what
// runall-os-test uses to press a guest's power button (system_powerdown)
// and to ask the monitor for anything else, without a terminal or a
// privilege inside the guest. One JSON object per line each way; the
// server greets, the client negotiates capabilities, then each command
// gets one "return" or "error", with asynchronous "event" lines between.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "json.hpp"

namespace runall {

class QmpClient {
 public:
  QmpClient() = default;
  ~QmpClient();
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  /// Connects to the monitor at `path`, reads its greeting and leaves
  /// capabilities negotiation mode, within `timeout_ms`. False with *err
  /// (the socket missing, nobody listening, not a QMP server, too slow).
  bool Connect(const std::string& path, int timeout_ms, std::string* err);

  /// Runs `command` with `arguments` (a JSON object's text, or empty for
  /// none) and waits up to `timeout_ms` for its answer. On "return", true
  /// with the value in *result (may be null); on "error", false with *err
  /// holding the server's description. Events seen meanwhile are kept.
  bool Execute(const std::string& command, const std::string& arguments, int timeout_ms,
               JsonValue* result, std::string* err);

  /// Waits up to `timeout_ms` for the event `name` (one already seen
  /// counts). False with *err on a timeout or when QEMU closed the socket
  /// (*closed then true: QEMU has exited or is exiting).
  bool WaitEvent(const std::string& name, int timeout_ms, bool* closed, std::string* err);

  /// The pid of the process that listens on the socket (SO_PEERCRED, on
  /// Linux), so a caller can check it is the QEMU it means; 0 if unknown.
  pid_t peer_pid() const { return peer_pid_; }

  /// The names of the events received so far, oldest first.
  const std::vector<std::string>& events() const { return events_; }

  void Close();

 private:
  // Reads one JSON line before `deadline_ms` (MonotonicMs); *closed when
  // the peer closed the connection.
  bool ReadMessage(long long deadline_ms, JsonValue* msg, bool* closed, std::string* err);
  bool Send(const std::string& line, std::string* err);

  int fd_ = -1;
  pid_t peer_pid_ = 0;
  std::string buffer_;
  std::vector<std::string> events_;
};

/// Whether `path` fits a unix socket address (sun_path, with its NUL).
bool FitsSocketPath(const std::string& path);

}  // namespace runall
