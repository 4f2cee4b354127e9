// pidfile: the DHCP daemon's pid file, RUN_DIR/dhcpd-IFACE.pid.
//
// The daemon holds a classic fcntl write lock on the file for its whole
// life. Whoever wants to stop it asks the kernel who holds the lock
// (F_GETLK): unlike the number written in the file, a lock cannot be faked
// by another user and vanishes when its holder dies, so a stale file never
// points at an unrelated process that reused the pid.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace runall {

/// RUN_DIR/dhcpd-IFACE.pid.
std::string DhcpPidFilePath(const std::string& run_dir,
                            const std::string& iface);

/// Makes `dir` (mode 0755) if it is missing, then checks that it is a real
/// directory (not a symlink) owned by us and writable by nobody else, since
/// what is in it decides which process gets signalled.
bool EnsureRunDir(const std::string& dir, std::string* err);

/// Opens `path` (created 0644), write-locks it with F_SETLK and writes our
/// pid into it. Returns the close-on-exec fd, which must stay open as long
/// as the lock should hold; closing ANY fd of this file in this process
/// drops the lock (POSIX rule). On failure returns -1 with *err, and
/// *holder is the pid holding the lock if that was the reason (else 0).
int LockPidFile(const std::string& path, pid_t* holder, std::string* err);

/// The pid holding the write lock on `path`, or 0 if nobody holds it or the
/// file does not exist. Never reports the calling process itself.
bool PidFileHolder(const std::string& path, pid_t* holder, std::string* err);

/// What StopPidFileHolder did.
enum class StopOutcome {
  kNotRunning,  ///< nobody held the lock
  kTerminated,  ///< the holder let go of it after SIGTERM
  kKilled,      ///< the holder needed SIGKILL
  kRefused,     ///< `check` rejected the holder: no signal was sent
};

/// Accepts or rejects a process before it is signalled (e.g. by its program
/// and uid); on rejection says why in *why.
using ProcessCheck = std::function<bool(pid_t pid, std::string* why)>;

/// Stops whoever holds the lock on `path`. The holder is pinned (a pidfd on
/// Linux) and `check`ed before any signal; then SIGTERM, up to
/// `term_wait_ms` for the lock to go, then SIGKILL and up to two more
/// seconds. *holder is the pid found (0 if none). False with *err on a
/// system error or if the lock outlived SIGKILL; kRefused is a success
/// with *err saying why.
bool StopPidFileHolder(const std::string& path, const ProcessCheck& check,
                       int term_wait_ms, StopOutcome* outcome, pid_t* holder,
                       std::string* err);

}  // namespace runall
