// pidfile: the DHCP daemon's pid file and the run directory that holds it.
//
// The daemon holds a classic fcntl write lock on RUN_DIR/net-<inode>/
// dhcpd-IFACE.pid for its whole life. Whoever wants to stop it asks the
// kernel who holds the lock (F_GETLK): unlike the number written in the
// file, a lock cannot be faked and vanishes when its holder dies, so a stale
// file never points at an unrelated process that reused the pid.
//
// Only root may open anything here: the run directory and each network
// namespace's subdirectory are 0700, the files 0600. A read lock taken on a
// pid file (by a process that opened it before that was so) names no
// daemon, and a new daemon locks a fresh file that it then renames into
// place, so no lock it cannot get stands between a tap and its server.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace runall {

/// NS_DIR/dhcpd-IFACE.pid, where NS_DIR is a network namespace's
/// directory (NamespaceRunDir).
std::string DhcpPidFilePath(const std::string& ns_dir, const std::string& iface);

/// NS_DIR/IFACE.lock: serialises the runs that configure or stop IFACE.
std::string InterfaceLockPath(const std::string& ns_dir, const std::string& iface);

/// RUN_DIR/NAMESPACE: the directory of one network namespace's pid files,
/// locks and marks (NAMESPACE as NetNamespaceName gives it: net-<inode>).
std::string NamespaceRunDir(const std::string& run_dir, const std::string& ns_name);

/// Makes `dir` (mode 0700) if it is missing, then checks that it is a real
/// directory (not a symlink) owned by us, and narrows it to 0700 if it is
/// wider (a run directory made by an older runall was 0755): what is in it
/// decides which process gets signalled, and nobody else may open it. A
/// wider one that holds anything but runall's own files is refused instead.
bool EnsureRunDir(const std::string& dir, std::string* err);

/// Opens (creating, 0600) the lock file `path` and takes a write lock on
/// it, retrying for up to `wait_ms`. Returns the close-on-exec fd, which
/// holds the lock until it is closed, or -1 with *err (and *holder, the
/// pid in the way if that was the reason, else 0).
int LockFileWait(const std::string& path, int wait_ms, pid_t* holder, std::string* err);

/// Takes `path` for the calling process: refuses (returning -1, *holder
/// set) if a process holds a write lock on it - a daemon still runs;
/// otherwise creates a fresh file beside it (0600), write-locks it with
/// F_SETLK, writes our pid into it and renames it over `path`. A fresh
/// file is one nobody else has open, so its lock is always ours. Returns
/// the close-on-exec fd, which must stay open as long as the lock should
/// hold; closing ANY fd of this file in this process drops the lock (POSIX
/// rule). On failure returns -1 with *err.
int LockPidFile(const std::string& path, pid_t* holder, std::string* err);

/// The pid holding a write lock on `path`, or 0 if nobody does or the file
/// does not exist. A read lock is no daemon's and is not reported. Never
/// reports the calling process itself.
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

/// Stops whoever holds the write lock on `path`. The holder is pinned (a pidfd on
/// Linux) and `check`ed before any signal; then SIGTERM, up to
/// `term_wait_ms` for the lock to go, then SIGKILL and up to two more
/// seconds. *holder is the pid found (0 if none). False with *err on a
/// system error or if the lock outlived SIGKILL; kRefused is a success
/// with *err saying why.
bool StopPidFileHolder(const std::string& path, const ProcessCheck& check, int term_wait_ms,
                       StopOutcome* outcome, pid_t* holder, std::string* err);

}  // namespace runall
