// ssh_mux: one ssh connection per guest per run of runall-os-test. The
// first ssh of a guest's run that reaches it becomes an OpenSSH master
// (ControlMaster), and the connection test, the script and the shutdown
// command after it are sessions of that one connection: one key exchange
// and one authentication per guest per run instead of one per ssh. The
// master's socket lives in a directory of the run's own (mode 0700, made
// by mkdtemp, removed at the end of the run), one socket per guest.
//
// The decisions (which socket, whether an ssh may open a master, reuses
// one or goes without) are pure; the directory and the look at a socket
// are the only system calls, at the end of this file.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace runall {

/// The longest control socket path runall gives ssh. ssh binds its master
/// to PATH.XXXXXXXXXXXXXXXX (a dot and 16 random characters) and renames
/// it into place, and a socket's path must fit sockaddr_un's sun_path:
/// 104 bytes on the BSDs and macOS (108 on Linux), the terminating NUL
/// included.
constexpr size_t kMaxControlPathBytes = 104 - 1 - 17;

/// The base directories to make the run's control directory in, in order
/// of preference: $XDG_RUNTIME_DIR (private to the user, on tmpfs), then
/// $TMPDIR, then /tmp. Any that is not an absolute path of plain
/// characters (ssh would read blanks, quotes or a '%' in a ControlPath as
/// syntax) or is too long to leave room for a socket is left out.
std::vector<std::string> ControlDirBases(const char* xdg_runtime_dir, const char* tmpdir);

/// True if a base directory with this owner and mode is safe to make the
/// control directory in for user `euid`: ours and writable by nobody else,
/// or sticky (as /tmp), where nobody else can rename or remove what we
/// make. Elsewhere another user could swap the directory for one of theirs
/// and plant a socket that our ssh would take for its master.
bool SafeControlBase(uid_t owner, mode_t mode, uid_t euid);

/// The control socket of guest `host` in the run's control directory
/// `dir`: the hostname, or, when that would make the path too long,
/// "_" and a hash of it (no hostname starts with "_", so the two kinds
/// never meet). Empty if even that does not fit.
std::string ControlSocketPath(const std::string& dir, const std::string& host);

/// What the socket of a guest's master looks like before an ssh.
enum class MasterState {
  kAbsent,  ///< no socket: no master, or it exited
  kLive,    ///< a master accepts on it
  kStale,   ///< a socket nobody accepts on: its master died without cleaning up
};

/// How one ssh of a guest's run uses connection sharing.
enum class MuxPlan {
  kPlain,  ///< its own connection, no master (sharing off, or spent)
  kOpen,   ///< ControlMaster=auto: becomes the master if none runs
  kReuse,  ///< ControlMaster=no: a session of the live master
};

/// The most masters one guest's run opens: the first, and one more when
/// that one broke (the guest rebooted, its sshd restarted). After that
/// every ssh makes its own connection, so a guest whose connections keep
/// breaking costs what it did without sharing and never hangs on a master.
constexpr unsigned kMaxMastersPerRun = 2;

/// The plan for the next ssh of a guest's run: `enabled` (the
/// ssh_multiplex setting, and a control directory made), the state of its
/// master's socket, and how many masters the run has opened.
MuxPlan PlanSsh(bool enabled, MasterState state, unsigned masters_opened);

/// The argv that asks the master on `control_path` to exit (`ssh -O exit`)
/// - no configuration file read, as the command only talks to the socket.
std::vector<std::string> SshExitMasterArgv(const std::string& ssh_program,
                                           const std::string& control_path,
                                           const std::string& host);

// --- the system calls -----------------------------------------------------

/// Makes the run's control directory (mode 0700) in the first of `bases`
/// that is safe (SafeControlBase) and takes it. False (with *err naming
/// each base tried) if none does.
bool MakeControlDir(const std::vector<std::string>& bases, std::string* dir, std::string* err);

/// Removes the run's control directory and whatever is left in it (sockets
/// of masters that did not clean up, ssh's temporary names). It is ours
/// (made by MakeControlDir), so all of it is.
void RemoveControlDir(const std::string& dir);

/// Looks at a guest's control socket: absent, live (a connect succeeds) or
/// stale. *ino gets its inode (0 when absent), which tells a master opened
/// since apart from the one seen before.
MasterState ProbeMaster(const std::string& socket_path, ino_t* ino);

}  // namespace runall
