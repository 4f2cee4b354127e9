// daemon: starting a fully detached background process and hearing back
// from it once it is ready.
//
// Detached means: its own session, not a session leader (so it can never
// gain a controlling terminal), working directory /, umask 022, default
// signal dispositions and an empty signal mask, stdio on /dev/null, and no
// inherited fd at all. The last point matters for start-tun-interface: QEMU
// runs its ifup script with the tap's fd open, and a daemon that kept it
// would keep the tap attached, so the next QEMU could not attach it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace runall {

/// Closes every fd >= `from` (close_range where the kernel has it, else
/// the fds listed in /proc/self/fd, else every number below the fd limit).
void CloseFdsFrom(int from);

/// The code run inside the daemon. `report_fd` (always fd 3, close-on-exec)
/// is the write end of the readiness pipe: the body writes one line - "ok"
/// or "error: WHY" - and closes it as soon as it knows, so the pipe is not
/// among the fds the daemon keeps. The return value is the daemon's exit
/// status.
using DaemonBody = std::function<int(int report_fd)>;

/// Starts `body` in a detached daemon (fork, setsid, fork) and waits up to
/// `timeout_ms` for its report. True when it reported "ok"; *pid is then
/// the daemon's pid. False with *err holding the daemon's "error: " text,
/// or saying that it exited or stayed silent.
bool StartDaemon(const DaemonBody& body, int timeout_ms, pid_t* pid,
                 std::string* err);

}  // namespace runall
