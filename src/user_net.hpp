// user_net: what runall needs of a guest on QEMU's user-mode network. Its
// ssh is a port of 127.0.0.1 that QEMU forwards to the guest's port 22;
// QEMU binds that port itself (hostfwd with port 0: the kernel picks a free
// one, and nobody can take it between choosing and using it), and
// runqemuos learns which one it got from QEMU's monitor and records it
// beside the launch file, for every later runall-os-test:
//
//   LAUNCHDIR/HOST        the launch file: QEMU's pid
//   LAUNCHDIR/HOST:port   "PID PORT": the port QEMU of PID forwards
//
// and QEMU's QMP monitor, which every guest has (runqemuos_args'
// MonitorSocketPath: LAUNCHDIR/.monitor-UID/HOST.qmp), is what is asked
// "info usernet". ':' is in no hostname, so the record's name cannot be
// another guest's launch file. A record counts only while the launch file names the same pid.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace runall {

/// LAUNCHDIR/HOST:port, where the forwarded port is recorded.
std::string ForwardedPortPath(const std::string& launch_dir, const std::string& host);

/// "PID PORT\n".
std::string FormatPortRecord(pid_t pid, unsigned port);

/// Reads "PID PORT" (a newline or not); false on anything else.
bool ParsePortRecord(const std::string& text, pid_t* pid, unsigned* port);

/// From HMP's "info usernet" text: the host port that netdev `netdev_id`
/// forwards to the guest's TCP port `guest_port` (a "TCP[HOST_FORWARD]"
/// line of its section). False if there is none.
bool ParseUsernetForward(const std::string& info, const std::string& netdev_id, unsigned guest_port,
                         unsigned* host_port);

/// What "QEMU -netdev help" says of the user-mode network.
enum class UserNetSupport {
  kYes,      ///< "user" is among the backends listed
  kNo,       ///< a list of backends without it (QEMU built without libslirp)
  kUnknown,  ///< no list at all (an older QEMU, or not QEMU)
};

/// Reads the output of "QEMU -netdev help".
UserNetSupport ParseNetdevHelp(const std::string& output);

/// Runs "`program` -netdev help" (an absolute path) and reads it. kUnknown
/// when it cannot be run.
UserNetSupport QemuUserNetSupport(const std::string& program);

/// Asks the QMP monitor at `socket` which port of 127.0.0.1 QEMU forwards
/// to the guest's port 22. The socket may not exist yet (QEMU is starting),
/// or another client may hold the monitor: tries until `timeout_ms` is up,
/// or until `alive` says QEMU is gone. Only a socket of this user's is
/// asked. False with *err.
bool QueryForwardedPort(const std::string& socket, int timeout_ms,
                        const std::function<bool()>& alive, unsigned* port, std::string* err);

/// Writes the record of `pid` and `port` to LAUNCHDIR/HOST:port, through a
/// temporary file and rename.
bool RecordForwardedPort(const std::string& launch_dir, const std::string& host, pid_t pid,
                         unsigned port, std::string* err);

/// The port recorded for the QEMU `pid`: true with *port only when the
/// record exists, is this user's regular file, is well-formed and names
/// `pid`. A record that cannot be read for another reason than its absence,
/// or is someone else's, sets *err.
bool ReadForwardedPort(const std::string& launch_dir, const std::string& host, pid_t pid,
                       unsigned* port, std::string* err);

/// Removes HOST's port record (what goes with the launch file).
void RemoveUserNetFiles(const std::string& launch_dir, const std::string& host);

/// True if `port` of 127.0.0.1 can be bound now (as QEMU binds it, with
/// SO_REUSEADDR); false with *why ("in use by another program", or the
/// kernel's refusal of a privileged port).
bool LocalPortFree(unsigned port, std::string* why);

}  // namespace runall
