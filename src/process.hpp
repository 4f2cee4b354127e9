// process: the one place runall starts programs, waits for them and says
// how they ended. fork and exec with an argv vector, never a shell string;
// no PATH search (FindInPath first, so that a privileged caller never runs
// a program its environment chose).
//
// The ways a child is started, each for one kind of caller:
//   RunChild     run a program to its end, perhaps keeping its stdout
//                (ssh -G, update-dynamic-hosts, ps);
//   StartChild   start one and return at once, its output on pipes, then
//                DriveChild or WaitChild (ssh and runqemuos from the driver,
//                start-tun-interface from runqemuos);
//   ForkToExec   fork a child that prepares itself and then execs a program
//                that keeps running, and learn whether that exec happened
//                (runqemuos -b, whose child becomes QEMU);
//   StartDaemon  a fully detached daemon that reports when it is ready
//                (start-tun-interface's DHCP server).
// A child that could not run its program says so through a close-on-exec
// pipe, so "could not run it" is never mistaken for "it ran and failed".
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace runall {

/// How a child ended, from its wait status.
class ExitStatus {
 public:
  ExitStatus() = default;
  /// From a status waitpid() gave.
  static ExitStatus FromWait(int wait_status);

  bool exited() const;
  bool signaled() const;
  /// The exit code (when exited) or the signal number (when signaled).
  int number() const;
  /// The shell's $?: the exit code, or 128 + N if killed by signal N.
  int code() const;
  bool success() const { return exited() && number() == 0; }
  /// "exit 3" or "signal 9".
  std::string Describe() const;
  /// The status waitpid() gave, for callers that take one (ClassifySsh).
  int wait_status() const { return wait_status_; }

 private:
  int wait_status_ = 0;
};

/// Where a child's stdout or stderr goes.
enum class ChildOutput {
  kInherit,  ///< ours
  kPipe,     ///< a pipe whose read end the caller gets
  /// stdout only: where its stderr goes (runqemuos's child, whose stdout
  /// would mix with the pid runqemuos prints there)
  kToStderr,
};

/// How StartChild sets up the child. Its stdin is always /dev/null.
struct ChildOptions {
  ChildOutput out = ChildOutput::kInherit;
  ChildOutput err = ChildOutput::kInherit;
  /// A process group of its own, so that a ^C on the terminal (sent to our
  /// foreground group) never reaches it.
  bool own_process_group = false;
  /// Inheritable fds of ours the child must not keep (runqemuos's image
  /// lock and tap, which a DHCP daemon keeping them would hold past QEMU).
  std::vector<int> close_fds;
};

/// A child StartChild started. The fds are close-on-exec (-1 when not
/// piped); the caller reads and closes them and reaps the pid.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

/// Starts argv[0] (an absolute path) with argv and returns at once. Safe in
/// a threaded program: between fork and exec the child makes only
/// async-signal-safe calls. False (with *err) if it could not be started,
/// including when exec failed (the child is then reaped).
bool StartChild(const std::vector<std::string>& argv, const ChildOptions& options, Child* child,
                std::string* err);

/// Waits for child `pid`, through EINTR. False (with *err) if waitpid
/// failed (ECHILD: not our child, or SIGCHLD ignored).
bool WaitChild(pid_t pid, ExitStatus* status, std::string* err);

/// Runs argv[0] (an absolute path) to its end, stdin from /dev/null, stderr
/// shared with ours. With `output` non-null its stdout is kept there (at
/// most 64 KiB); else it is shared with ours. False (with *err) only if it
/// could not be run or waited for.
bool RunChild(const std::vector<std::string>& argv, std::string* output, ExitStatus* status,
              std::string* err);

/// What DriveChild does with a child's pipes and when it stops it.
struct ChildIo {
  std::function<void(const char*, size_t)> on_out;
  std::function<void(const char*, size_t)> on_err;
  /// Then SIGTERM, and SIGKILL 3 s later; -1: no timeout.
  int64_t timeout_ms = -1;
  /// An fd that becomes readable when the child is to be stopped the same
  /// way (the interrupt pipe); -1: none.
  int stop_fd = -1;
};

/// How DriveChild's child ended.
struct ChildEnd {
  ExitStatus status;
  bool timed_out = false;
  bool stopped = false;  ///< stop_fd became readable
};

/// Reads the child's pipes until both end, passing the data on, then reaps
/// it; closes the pipes. On a timeout or stop_fd the child is asked to stop
/// with SIGTERM, then killed. The child must be ours to stop (ssh,
/// runqemuos - never a guest's QEMU).
ChildEnd DriveChild(const Child& child, const ChildIo& io);

/// How ForkToExec's child ended up.
enum class Handoff {
  kExeced,  ///< it runs its program now, as *pid; not waited for
  kFailed,  ///< it said why and returned *code (reaped)
  kDied,    ///< it died without a word, as *status says (reaped)
};

/// Forks a child that runs `prepare_and_exec`, in a session of its own when
/// `new_session` (no terminal, so our terminal's ^C never reaches it). The
/// function must end in an exec of a program that keeps running; it returns
/// only on failure, having said why, with the exit status the child ends
/// with. Returns once the exec happened or the child ended; false (with
/// *err) only if the fork itself failed. Exec and death are told apart for
/// certain on Linux (an exec installs the new program before it closes the
/// close-on-exec pipe, and a dying process loses /proc/PID/exe before its
/// files are closed); elsewhere an end of the pipe counts as an exec. For
/// single-threaded callers.
bool ForkToExec(const std::function<int()>& prepare_and_exec, bool new_session, pid_t* pid,
                Handoff* how, int* code, ExitStatus* status, std::string* err);

/// Replaces this process with `path` run with `argv`, in the environment
/// `env` ("NAME=value" strings; null: ours). Returns only when exec failed,
/// with its errno. Allocates: not for a child forked in a threaded program.
int ExecProgram(const std::string& path, const std::vector<std::string>& argv,
                const std::vector<std::string>* env = nullptr);

/// The code run inside a daemon. `report_fd` (always fd 3, close-on-exec)
/// is the write end of the readiness pipe: the body writes one line - "ok"
/// or "error: WHY" - and closes it as soon as it knows, so the pipe is not
/// among the fds the daemon keeps. The return value is the daemon's exit
/// status.
using DaemonBody = std::function<int(int report_fd)>;

/// Starts `body` in a detached daemon and waits up to `timeout_ms` for its
/// report. Detached means: its own session, not a session leader (fork,
/// setsid, fork: it can never gain a controlling terminal), working
/// directory /, umask 022, default signal dispositions and an empty signal
/// mask, stdio on /dev/null, and no inherited fd at all - QEMU runs its
/// ifup script with the tap's fd open, and a daemon that kept it would keep
/// the tap attached, so the next QEMU could not attach it. True when it
/// reported "ok"; *pid is then the daemon's pid. False with *err holding
/// the daemon's "error: " text, or saying that it exited or stayed silent.
bool StartDaemon(const DaemonBody& body, int timeout_ms, pid_t* pid, std::string* err);

/// Starts `body` in a helper process that serves a program this process
/// is about to exec (runqemuos's console logger, reading what QEMU
/// writes): forked twice, so that it is nobody's child here and never the
/// child of that program; in our session; with default signal
/// dispositions, working directory /, stdin `in_fd`, stdout `out_fd`,
/// stderr /dev/null and no other fd - no lock, tap or pipe of ours. Its
/// exit status is the body's. Returns once it is forked; false (with *err)
/// if a fork failed. For single-threaded callers.
bool StartHelper(const std::function<int()>& body, int in_fd, int out_fd, std::string* err);

/// Closes every fd >= `from` (close_range where the kernel has it, else
/// the fds listed in /proc/self/fd, else every number below the fd limit).
void CloseFdsFrom(int from);

/// The absolute path execvp would run for `name`: `name` itself if it holds
/// a '/', else the first executable regular file of that name in `path_env`
/// (PATH's format; empty means /usr/local/bin:/usr/bin:/bin). False if none.
bool FindInPath(const std::string& name, const std::string& path_env, std::string* found);

/// Gives this process the signal state a program expects at its start,
/// whatever its caller left: SIGCHLD at its default (ignored, the kernel
/// reaps children itself and every waitpid fails with ECHILD) and no signal
/// blocked (a blocked mask survives exec, so a SIGTERM blocked by the caller
/// would never reach a QEMU exec'd later). For the mains of tools that wait
/// for children or exec a program that does.
void ResetInheritedSignals();

}  // namespace runall
