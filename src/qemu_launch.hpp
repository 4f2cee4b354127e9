// qemu_launch: what runqemuos does, apart from its main so that it is
// tested on its own - the checks before anything is made, the hostname and
// launch files, the image lock, claiming a tap, start-tun-interface and the
// exec of QEMU. Its command line is runqemuos_args', QEMU's qemu_args'.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "process.hpp"
#include "runqemuos_args.hpp"
#include "tun.hpp"

namespace runall {

/// What runqemuos found when it checked a request, before it made
/// anything.
struct LaunchPlan {
  LaunchRequest req;
  std::string program;                 ///< the QEMU word as given: QEMU's argv[0]
  std::string program_path;            ///< where that program is
  std::vector<std::string> qemu_args;  ///< its arguments, less the card -N adds
  std::string image;                   ///< the disk image to lock
  /// runqemuos's own directory: root runs the start-tun-interface there
  /// (a build tree's) before the installed one.
  std::string own_dir;
  int console_fd = -1;  ///< -o's log, open for appending; -1 without -o
  /// The QMP monitor socket runqemuos adds (MonitorSocketPath); empty when
  /// the QEMU arguments bring a QMP monitor of their own.
  std::string monitor_socket;
  /// With -o: the serial port goes to the console logger ("-serial stdio"
  /// added), unless the QEMU arguments direct it themselves.
  bool serial_to_log = false;
  std::vector<std::string> warnings;  ///< to print, not refusals
};

/// Checks `req` before anything is made, as runqemuos(1) says: -C only for
/// root and never through sudo, QEMU found, the image found, readable and
/// writable, HOSTNAMEDIR and LAUNCHDIR writable directories, the monitor
/// socket's path short enough for a unix socket, the console log open.
/// Returns kExitOk, or the exit status with *err.
int PlanLaunch(const LaunchRequest& req, const std::string& own_dir, LaunchPlan* plan,
               std::string* err);

/// runqemuos's work, in the process that becomes QEMU: locks the image,
/// writes the hostname and launch files, makes the private monitor
/// directory, claims a tap and runs start-tun-interface for it (with -N),
/// starts the console logger (with -o), then execs QEMU, which keeps the
/// pid, the lock and the tap. Returns only on failure: the exit status,
/// with *err, everything it made undone and stderr as it was.
int LaunchQemu(const LaunchPlan& plan, std::string* err);

/// For runqemuos -b when its child, which was to become QEMU as `pid`,
/// died without a word (killed, or QEMU ending at once): removes the
/// hostname and launch files it left for that pid, and says how it ended.
std::string CleanUpAfterLaunchDied(const LaunchPlan& plan, pid_t pid, const ExitStatus& status);

/// How long runqemuos -b waits for QEMU's monitor to tell the forwarded
/// port (user mode).
constexpr int kMonitorTimeoutMs = 30000;

/// For runqemuos -b -u once its child has become QEMU as `pid`: asks QEMU's
/// monitor which port of 127.0.0.1 it forwards to the guest's port 22 and
/// records it beside the launch file (user_net); *port is that port.
/// Returns kExitOk, or, when QEMU died meanwhile, the exit status with
/// *err, having removed what the launch left (as CleanUpAfterLaunchDied,
/// with QEMU's last words from the console log; a fixed port another
/// program took first is kExitRefused). A QEMU that runs but whose monitor
/// stays silent is left running: kExitOk, *port 0 and a warning in *err
/// (runall-os-test asks the monitor again).
int RecordUserNetPort(const LaunchPlan& plan, pid_t pid, unsigned* port, std::string* err);

/// For runqemuos -b -u when its QEMU `pid` ended at once (`status`),
/// before or after the exec was seen: CleanUpAfterLaunchDied, with QEMU's
/// last words from the console log in *err. Returns the exit status:
/// kExitRefused when QEMU could not bind the fixed port (-p) because
/// another program took it first, else kExitSystem.
int UserNetLaunchDied(const LaunchPlan& plan, pid_t pid, const ExitStatus& status,
                      std::string* err);

/// The taps runqemuos may claim: persistent taps named tapN with N in the
/// address plan that `uid` (with `groups`) may attach, in number order.
/// Not `root`: only those owned by `uid`, the only ones start-tun-interface
/// configures through sudo. `root`: those owned by `uid` first, then those
/// of a group, then those of nobody in particular.
std::vector<std::string> TapCandidates(const std::vector<TapInfo>& taps, uid_t uid,
                                       const std::vector<gid_t>& groups, bool root);

/// Claims a tap: attaches to the first free candidate (a tap another
/// process holds answers EBUSY, so two claims never get the same one); as
/// `root` with none free, creates a non-persistent tap at the first unused
/// tapN, which the kernel removes when its last fd closes. Returns an fd
/// that is NOT close-on-exec, or -1 with *err.
int ClaimTap(uid_t uid, const std::vector<gid_t>& groups, bool root, std::string* name,
             std::string* err);

/// Makes `dir` a private directory of this user: created mode 0700 if
/// missing; an existing one must be a directory (never reached through a
/// symbolic link) owned by this user, and is given mode 0700. False with
/// *err otherwise, or if it could not be made.
bool MakePrivateDirectory(const std::string& dir, std::string* err);

/// Writes `content` to dir/name (mode 0644) through a temporary file in
/// `dir` and rename, so a reader sees the old file or the whole new one.
/// The temporary file's name holds random characters, so nobody else who
/// may write to `dir` can have made it beforehand.
bool WriteFileAtomically(const std::string& dir, const std::string& name,
                         const std::string& content, std::string* err);

/// Sets *out to `n` characters of [A-Za-z0-9] drawn uniformly from the
/// kernel's random source; false with *err if that cannot be read.
bool RandomAlnum(size_t n, std::string* out, std::string* err);

/// The number of random characters in a hostname file's name.
constexpr size_t kHostnameSuffixLength = 8;

/// True if `name` is the name runqemuos gives a hostname file of `pid`:
/// the pid, a dot and kHostnameSuffixLength characters of [A-Za-z0-9].
bool IsHostnameFileName(const std::string& name, pid_t pid);

/// Gives a candidate suffix for a hostname file's name, or false with *err.
using SuffixSource = std::function<bool(std::string* suffix, std::string* err)>;

/// Creates the hostname file of `pid` as dir/<pid>.<suffix>, the suffix
/// from `suffixes` (RandomAlnum by default), with O_CREAT|O_EXCL|O_NOFOLLOW,
/// and writes `content` to it, mode 0644. In a directory shared with other
/// users (hostname_dir is 1770) nobody can make that name in advance: a
/// name that exists all the same is never opened, another suffix is drawn
/// instead. *path is the file made. On failure nothing is left behind.
bool CreateHostnameFile(const std::string& dir, pid_t pid, const std::string& content,
                        std::string* path, std::string* err,
                        const SuffixSource& suffixes = SuffixSource());

/// Removes from `dir` the hostname files of `pid` (IsHostnameFileName)
/// that are regular files owned by `uid`: what a process that died before
/// it could clean up left there. Anyone else's file is left alone.
void RemoveHostnameFiles(const std::string& dir, pid_t pid, uid_t uid);

}  // namespace runall
