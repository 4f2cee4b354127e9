// spawn: run another program and wait for it - fork and exec with an argv
// vector, never a shell string.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace runall {

/// Runs argv[0] (a path; no PATH search, so a privileged caller never runs
/// a program the environment chose) with argv, stdin from /dev/null, stderr
/// shared with ours. With `output` non-null, the program's stdout is
/// collected there (at most 64 KiB); else it is shared with ours. Stores the
/// exit status in *status (128 + N if killed by signal N). False (with
/// *err) only if the program could not be run at all.
bool RunProgram(const std::vector<std::string>& argv, std::string* output,
                int* status, std::string* err);

/// How StartProgram sets up the child.
struct StartOptions {
  bool pipe_stdout = false;  ///< stdout to a pipe (Child::out_fd), else ours
  bool pipe_stderr = false;  ///< stderr to a pipe (Child::err_fd), else ours
  /// A process group of its own, so that a ^C on the terminal (sent to our
  /// foreground group) never reaches it.
  bool own_process_group = false;
};

/// A program started by StartProgram. The fds are close-on-exec (-1 when
/// not piped); the caller reads them and reaps the pid.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

/// Starts argv[0] (an absolute path, as for RunProgram) with stdin from
/// /dev/null and returns at once. Safe in a threaded program: between fork
/// and exec the child makes only async-signal-safe calls. False (with *err)
/// if it could not be started, including when exec failed.
bool StartProgram(const std::vector<std::string>& argv,
                  const StartOptions& options, Child* child, std::string* err);

/// Waits for `pid` and returns its status as RunProgram gives it (exit
/// status, or 128 + N if killed by signal N); -1 if waitpid failed.
int WaitProgram(pid_t pid);

/// The absolute path execvp would run for `name`: `name` itself if it holds
/// a '/', else the first executable regular file of that name in `path_env`
/// (PATH's format; empty means /usr/local/bin:/usr/bin:/bin). False if none.
bool FindInPath(const std::string& name, const std::string& path_env,
                std::string* found);

/// Gives this process the signal state a program expects at its start,
/// whatever its caller left: SIGCHLD at its default (ignored, the kernel
/// reaps children itself and every waitpid fails with ECHILD) and no signal
/// blocked (a blocked mask survives exec, so a SIGTERM blocked by the caller
/// would never reach a QEMU exec'd later). For the mains of tools that wait
/// for children or exec a program that does.
void ResetInheritedSignals();

}  // namespace runall
