#include "qemu_launch.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/random.h>
#endif

#include <algorithm>

#include "clock.hpp"
#include "console_logger.hpp"
#include "console_stamp.hpp"
#include "fail.hpp"
#include "fd.hpp"
#include "file_io.hpp"
#include "image_lock.hpp"
#include "invoker.hpp"
#include "qmp.hpp"  // FitsSocketPath
#include "settings.hpp"
#include "user_net.hpp"
#include "validate.hpp"

#ifndef RUNALL_SBINDIR
#define RUNALL_SBINDIR "/usr/local/sbin"
#endif

namespace runall {

namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// execvp's lookup, done beforehand so that a missing QEMU is reported
// before anything is written.
bool FindProgram(const std::string& word, std::string* found) {
  const char* path = getenv("PATH");
  return FindInPath(word, path ? path : "", found);
}

// The first QEMU word is the program unless it names an existing file that
// is not executable: then it is the article's bare image, and QEMU is the
// default one. A word naming nothing at all is a QEMU to report missing.
bool IsProgramWord(const std::string& word) {
  struct stat st;
  std::string ignored;
  return FindProgram(word, &ignored) || stat(word.c_str(), &st) != 0;
}

bool CheckDirectory(const std::string& what, const std::string& dir, std::string* err) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    *err = ErrnoMessage(what + " " + dir);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *err = what + " " + dir + ": not a directory";
    return false;
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    *err = ErrnoMessage(what + " " + dir + ": not writable");
    return false;
  }
  return true;
}

// What the user-mode network needs before anything is made: a monitor
// socket path that fits, a QEMU built with it, and a free fixed port.
int PlanUserNetwork(const LaunchPlan& plan, std::string* err) {
  const LaunchRequest& req = plan.req;
  // The forwarded port is learnt from runall's own monitor (PlanLaunch
  // makes it unless the record brings one): with the record's, only a
  // fixed port can be known.
  if (plan.monitor_socket.empty() && req.ssh_port == 0) {
    *err =
        "-u: the QEMU options bring their own QMP monitor, so runall "
        "cannot ask QEMU which port it forwards; set ssh_port in the "
        "guest's record, or leave the monitor to runall";
    return kExitUsage;
  }
  if (QemuUserNetSupport(plan.program_path) == UserNetSupport::kNo) {
    *err = plan.program +
           " was built without user-mode networking (its "
           "\"-netdev help\" lists no \"user\"): use network = tap, or a "
           "QEMU built with libslirp";
    return kExitUsage;
  }
  if (req.ssh_port != 0 && !LocalPortFree(req.ssh_port, err)) {
    *err = "-p " + std::to_string(req.ssh_port) + ": " + *err +
           "; choose another ssh_port, or leave it out for a free one";
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace

int PlanLaunch(const LaunchRequest& req, const std::string& own_dir, LaunchPlan* plan,
               std::string* err) {
  *plan = LaunchPlan();
  plan->req = req;
  plan->own_dir = own_dir;
  if (!req.settings_path.empty()) {
    if (RunThroughSudo()) {
      *err = "-C: refused when run through sudo";
      return kExitUsage;
    }
    if (!req.nic.empty() && !req.user_net && geteuid() != 0) {
      *err =
          "-C: only root can point start-tun-interface at another "
          "settings file";
      return kExitUsage;
    }
  }
  if (!req.nic.empty() && !req.user_net) {
    // start-tun-interface looks for the hostname file in its own
    // hostname_dir; another directory here would leave it nameless.
    Settings settings = DefaultSettings();
    std::string path = req.settings_path.empty() ? DefaultSettingsPath() : req.settings_path;
    if (!LoadSettings(path, false, !req.settings_path.empty(), &settings, err)) return kExitUsage;
    if (settings.hostname_dir != req.hostname_dir)
      plan->warnings.push_back("warning: HOSTNAMEDIR " + req.hostname_dir + " is not " +
                               settings.hostname_dir + " (hostname_dir of " + path +
                               "), where start-tun-interface looks");
  }
  SplitProgram(req.qemu_args, IsProgramWord, &plan->program, &plan->qemu_args);
  if (!FindProgram(plan->program, &plan->program_path)) {
    *err = plan->program + ": QEMU not found" +
           (plan->program.find('/') == std::string::npos ? " in PATH" : " or not executable");
    return kExitUsage;
  }
  plan->image = req.image;
  if (plan->image.empty() && !FindImageArg(plan->qemu_args, &plan->image)) {
    *err = "no disk image among the QEMU arguments; name it with -i";
    return kExitUsage;
  }
  struct stat st;
  if (stat(plan->image.c_str(), &st) != 0) {
    *err = ErrnoMessage(plan->image);
    return kExitUsage;
  }
  if (access(plan->image.c_str(), R_OK | W_OK) != 0) {
    *err = ErrnoMessage(plan->image +
                        ": must be readable and writable "
                        "(runall locks it for writing)");
    return kExitUsage;
  }
  // In user mode nobody reads a hostname file, so none is written.
  if ((!req.user_net && !CheckDirectory("HOSTNAMEDIR", req.hostname_dir, err)) ||
      !CheckDirectory("LAUNCHDIR", req.launch_dir, err))
    return kExitUsage;
  if (!ArgsHaveQmpMonitor(plan->qemu_args)) {
    plan->monitor_socket = MonitorSocketPath(req.launch_dir, req.host, getuid());
    if (!FitsSocketPath(plan->monitor_socket)) {
      *err = "LAUNCHDIR " + req.launch_dir +
             " is too long: the guest's monitor "
             "socket " +
             plan->monitor_socket +
             " would not fit a unix socket's "
             "path (107 bytes); choose a shorter launch_dir";
      return kExitUsage;
    }
  }
  if (req.user_net) {
    int status = PlanUserNetwork(*plan, err);
    if (status != kExitOk) return status;
  }
  if (!req.console_log.empty()) {
    plan->console_fd =
        open(req.console_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (plan->console_fd < 0) {
      *err = ErrnoMessage(req.console_log);
      return kExitUsage;
    }
    plan->serial_to_log = !ArgsDirectSerial(plan->qemu_args);
  }
  return kExitOk;
}

namespace {

// What the process that becomes QEMU has made, undone when a launch fails:
// no stale file is left for the driver or start-tun-interface to believe
// in. The tap and the lock go with their fds. On success the process is
// QEMU, and none of this is ever destroyed.
struct Made {
  std::string hostname_file;
  std::string launch_file;
  std::string monitor_socket;
  std::string monitor_dir;  ///< made by this launch
  Fd lock;
  Fd tap;
  ~Made() {
    if (!hostname_file.empty()) unlink(hostname_file.c_str());
    if (!launch_file.empty()) unlink(launch_file.c_str());
    // One a QEMU of an earlier launch left (killed, it could not remove
    // it) goes too: the image lock says no QEMU of this guest runs.
    if (!monitor_socket.empty()) unlink(monitor_socket.c_str());
    // Only if empty: other guests' sockets keep it.
    if (!monitor_dir.empty()) rmdir(monitor_dir.c_str());
  }
};

// The groups whose taps we may attach: the supplementary ones and our own.
std::vector<gid_t> OurGroups() {
  std::vector<gid_t> groups;
  int n = getgroups(0, nullptr);
  if (n > 0) {
    groups.resize(static_cast<size_t>(n));
    n = getgroups(n, groups.data());
    groups.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  groups.push_back(getegid());
  return groups;
}

// Runs start-tun-interface for `tap` and waits for it: it gives the tap its
// address, starts the DHCP server and maps the hostname it finds in
// HOSTNAMEDIR/<our pid>, which is why that file is written first. Returns
// kExitOk or the exit status, with *err.
int StartTunInterface(const LaunchPlan& plan, const std::string& tap, const Made& made,
                      std::string* err) {
  std::vector<std::string> argv;
  const bool root = geteuid() == 0;
  if (root) {
    std::string helper = plan.own_dir + "/start-tun-interface";
    if (plan.own_dir.empty() || !IsExecutableFile(helper))
      helper = std::string(RUNALL_SBINDIR) + "/start-tun-interface";
    argv.push_back(helper);
    if (!plan.req.settings_path.empty()) argv.insert(argv.end(), {"-C", plan.req.settings_path});
  } else {
    // Exactly the command the sudoers drop-in allows.
    argv = {"sudo", "-n", std::string(RUNALL_SBINDIR) + "/start-tun-interface"};
    if (!FindProgram("sudo", &argv[0])) {
      *err = "cannot run start-tun-interface " + tap + " through sudo: sudo not found in PATH";
      return kExitRefused;
    }
  }
  argv.push_back(tap);
  // The helper must not hold the image lock or the tap: a DHCP daemon
  // keeping them would outlive QEMU. Its stdout goes to our stderr, as
  // our stdout carries QEMU's pid in background mode.
  ChildOptions options;
  options.out = ChildOutput::kToStderr;
  options.close_fds = {made.lock.get(), made.tap.get()};
  Child child;
  if (!StartChild(argv, options, &child, err)) {
    *err = "cannot run " + *err;
    return kExitRefused;
  }
  ExitStatus status;
  if (!WaitChild(child.pid, &status, err)) return kExitSystem;
  if (status.success()) return kExitOk;
  *err = "start-tun-interface " + tap + (root ? "" : " through sudo") + " failed (" +
         status.Describe() + ")";
  if (!root && status.exited() && status.number() == 1)
    *err += "; is this user allowed to run " RUNALL_SBINDIR
            "/start-tun-interface through sudo without a password? "
            "(see runqemuos(1))";
  return kExitRefused;
}

// QEMU's stdin, stdout and stderr: the console logger's pipe with -o (or
// /dev/null with -b alone), and no terminal with -b. *saved_stderr keeps
// the caller's stderr for a message if the exec then fails.
int RedirectQemuStdio(const LaunchPlan& plan, pid_t pid, Fd* saved_stderr, std::string* err) {
  if (!plan.req.background && plan.console_fd < 0) return kExitOk;
  saved_stderr->Reset(fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
  Fd out_fd;
  if (plan.console_fd >= 0) {
    // Started last, so that its clock starts with QEMU and it inherits
    // nothing of what the launch made (StartHelper closes it all anyway).
    int write_fd = -1;
    if (!StartConsoleLogger(plan.console_fd, ConsoleHeader(plan.req.host, pid, time(nullptr)),
                            &write_fd, err)) {
      *err = "cannot start the console logger: " + *err;
      return kExitSystem;
    }
    out_fd.Reset(write_fd);
  } else {
    out_fd.Reset(open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!out_fd.ok()) {
      *err = ErrnoMessage("/dev/null");
      return kExitSystem;
    }
  }
  const int out = out_fd.get();
  if (plan.req.background) {
    Fd in(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!in.ok() || dup2(in.get(), STDIN_FILENO) < 0) {
      *err = ErrnoMessage("/dev/null");
      return kExitSystem;
    }
  }
  if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0) {
    *err = ErrnoMessage("cannot redirect QEMU's output");
    return kExitSystem;
  }
  return kExitOk;
}

// The card on QEMU's user-mode network: no tap, no helper. runqemuos -b
// (or runall-os-test) asks the guest's monitor which port it forwards.
void AddUserNetwork(const LaunchRequest& req, std::vector<std::string>* argv) {
  std::vector<std::string> net = UserNetworkArgs(req.nic, req.mac, req.host, req.ssh_port);
  argv->insert(argv->end(), net.begin(), net.end());
}

}  // namespace

int LaunchQemu(const LaunchPlan& plan, std::string* err) {
  const LaunchRequest& req = plan.req;
  const pid_t pid = getpid();
  Made made;
  int lock_fd = -1;
  switch (LockImage(plan.image, DefaultLockKind(), &lock_fd, err)) {
    case LockResult::kLocked: made.lock.Reset(lock_fd); break;
    case LockResult::kInUse: return kRunqemuosImageInUse;
    case LockResult::kError: return kExitSystem;
  }
  // The article's order: hostname file, then launch file (whose mtime is
  // the launch time the driver compares the up-file with). The hostname
  // file is HOSTNAMEDIR/<pid>.<random>, not the article's <pid>: the
  // directory is shared by the group, and a member could make <pid> (or
  // any name we could predict) in advance to stop us.
  const std::string pid_text = std::to_string(pid);
  if (!req.user_net &&
      !CreateHostnameFile(req.hostname_dir, pid, req.host + "\n", &made.hostname_file, err))
    return kExitSystem;
  // An earlier QEMU's port record and monitor socket go before the new
  // launch file names this pid: nobody may take them for this one's.
  if (req.user_net) RemoveUserNetFiles(req.launch_dir, req.host);
  if (!WriteFileAtomically(req.launch_dir, req.host, pid_text + "\n", err)) return kExitSystem;
  made.launch_file = req.launch_dir + "/" + req.host;

  std::vector<std::string> argv = {plan.program};
  argv.insert(argv.end(), plan.qemu_args.begin(), plan.qemu_args.end());
  if (plan.serial_to_log) argv.insert(argv.end(), {"-serial", "stdio"});
  if (!plan.monitor_socket.empty()) {
    std::vector<std::string> monitor = MonitorArgs(plan.monitor_socket);
    argv.insert(argv.end(), monitor.begin(), monitor.end());
  }
  if (req.user_net) {
    AddUserNetwork(req, &argv);
  } else if (!req.nic.empty()) {
    std::string tap;
    // Root also claims a group's or nobody's tap (it runs
    // start-tun-interface itself, not through sudo).
    made.tap.Reset(ClaimTap(getuid(), OurGroups(), geteuid() == 0, &tap, err));
    if (!made.tap.ok()) return kExitRefused;
    int status = StartTunInterface(plan, tap, made, err);
    if (status != kExitOk) return status;
    std::vector<std::string> net = NetworkArgs(req.nic, req.mac, made.tap.get());
    argv.insert(argv.end(), net.begin(), net.end());
  }
  if (!plan.monitor_socket.empty()) {
    // Private, so that only this user can press the guest's power button
    // or do anything else a monitor allows. Made last, so that a launch
    // refused before leaves no trace of it.
    const std::string dir = MonitorDirectory(req.launch_dir, getuid());
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0) made.monitor_dir = dir;
    if (!MakePrivateDirectory(dir, err)) {
      made.monitor_dir.clear();
      return kExitRefused;
    }
    made.monitor_socket = plan.monitor_socket;
  }

  Fd saved_stderr;
  int status = RedirectQemuStdio(plan, pid, &saved_stderr, err);
  if (status == kExitOk) {
    int exec_errno = ExecProgram(plan.program_path, argv);
    *err = ErrnoMessage("cannot run " + plan.program, exec_errno);
    status = kExitSystem;
  }
  // The message is for the caller, not for the console log.
  if (saved_stderr.ok()) dup2(saved_stderr.get(), STDERR_FILENO);
  return status;
}

std::string CleanUpAfterLaunchDied(const LaunchPlan& plan, pid_t pid, const ExitStatus& status) {
  // Its hostname file's name is random, so it is found by its pid; its
  // launch file is removed only while it still names that pid.
  const std::string pid_text = std::to_string(pid);
  RemoveHostnameFiles(plan.req.hostname_dir, pid, geteuid());
  const std::string launch_file = plan.req.launch_dir + "/" + plan.req.host;
  std::string text, err;
  FileCheck check;
  check.max_bytes = 64;
  if (ReadFileText(launch_file, check, &text, &err) && text == pid_text + "\n") {
    unlink(launch_file.c_str());
    if (plan.req.user_net) RemoveUserNetFiles(plan.req.launch_dir, plan.req.host);
  }
  return "QEMU is not running: its process (pid " + pid_text + ") " +
         (status.signaled() ? "was killed by signal " + std::to_string(status.number())
                            : "exited at once with status " + std::to_string(status.number())) +
         (plan.req.console_log.empty() ? std::string() : "; see " + plan.req.console_log);
}

namespace {

// What QEMU `pid` said last in the console log, where it said why it
// stopped at once; empty if nothing. Its words reach the log through the
// console logger, which may not have written them yet when QEMU is seen
// dead: they are waited for (a second at most) while the log holds no
// line of this launch after its header.
std::string LastConsoleLine(const std::string& console_log, pid_t pid) {
  if (console_log.empty()) return "";
  std::string said;
  for (int tries = 0; tries < 100; ++tries) {
    if (tries > 0) SleepMs(10);
    Fd fd(open(console_log.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.ok()) return "";
    // Only its end: the log is appended to across boots.
    off_t size = lseek(fd.get(), 0, SEEK_END);
    const off_t tail = 4096;
    if (size < 0 || lseek(fd.get(), size > tail ? size - tail : 0, SEEK_SET) < 0) return "";
    std::string text;
    if (!ReadFdText(fd.get(), static_cast<size_t>(tail), &text)) return "";
    if (LaunchLastLine(text, pid, &said) && !said.empty()) break;
  }
  return said;
}

}  // namespace

int RecordUserNetPort(const LaunchPlan& plan, pid_t pid, unsigned* port, std::string* err) {
  const LaunchRequest& req = plan.req;
  *port = 0;
  err->clear();
  ExitStatus ended;
  bool died = false;
  // QEMU is our child until we exit: reaping it is how its death is seen
  // (a zombie would still answer kill(pid, 0)).
  auto alive = [&]() {
    int ws = 0;
    pid_t r;
    do {
      r = waitpid(pid, &ws, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      ended = ExitStatus::FromWait(ws);
      died = true;
    }
    return !died;
  };
  std::string why;
  if (plan.monitor_socket.empty()) {
    // The record brought its own monitor (PlanUserNetwork then demands a
    // fixed port): the port is the one QEMU was told to bind.
    *port = req.ssh_port;
    if (!RecordForwardedPort(req.launch_dir, req.host, pid, *port, err))
      *err = "warning: cannot record the forwarded port " + std::to_string(*port) + ": " + *err;
    return kExitOk;
  }
  if (QueryForwardedPort(plan.monitor_socket, kMonitorTimeoutMs, alive, port, &why)) {
    if (!RecordForwardedPort(req.launch_dir, req.host, pid, *port, err))
      *err = "warning: cannot record the forwarded port " + std::to_string(*port) + ": " + *err;
    return kExitOk;
  }
  // The query may have given up just as QEMU died: look once more.
  if (!died) alive();
  if (!died) {
    *err = "warning: " + why + "; QEMU (pid " + std::to_string(pid) +
           ") runs, its ssh port not recorded";
    return kExitOk;
  }
  return UserNetLaunchDied(plan, pid, ended, err);
}

int UserNetLaunchDied(const LaunchPlan& plan, pid_t pid, const ExitStatus& status,
                      std::string* err) {
  const LaunchRequest& req = plan.req;
  const std::string said = LastConsoleLine(req.console_log, pid);
  *err = CleanUpAfterLaunchDied(plan, pid, status);
  if (!said.empty()) *err += "; QEMU said: " + said;
  // The one way a fixed port is lost after PlanLaunch found it free:
  // another program bound it in between.
  if (req.ssh_port != 0 && said.find("host forwarding") != std::string::npos) {
    *err = "-p " + std::to_string(req.ssh_port) + ": 127.0.0.1:" + std::to_string(req.ssh_port) +
           " was taken by another program as QEMU started (" + *err + ")";
    return kExitRefused;
  }
  return kExitSystem;
}

std::vector<std::string> TapCandidates(const std::vector<TapInfo>& taps, uid_t uid,
                                       const std::vector<gid_t>& groups, bool root) {
  struct Found {
    int rank;
    unsigned n;
    std::string name;
    bool operator<(const Found& o) const { return rank != o.rank ? rank < o.rank : n < o.n; }
  };
  std::vector<Found> found;
  for (const auto& t : taps) {
    unsigned n = 0;
    // A tun device carries no Ethernet frames; a name outside tapN or the
    // plan gets no address from start-tun-interface.
    if (!t.tap || !t.persistent || t.name.compare(0, 3, "tap") != 0 ||
        !ValidTapName(t.name, &n, nullptr) || !TapInPlan(n) || !MayAttach(t, uid, groups))
      continue;
    // The user's own taps first (made for them with start-tun-interface
    // -c), then their group's, and a tap made for nobody in particular
    // only when those are taken: such a tap may have been made for
    // something else.
    const bool own = t.owner >= 0 && static_cast<uid_t>(t.owner) == uid;
    int rank = own ? 0 : t.group >= 0 ? 1 : 2;
    // Through sudo, start-tun-interface configures only a tap owned by the
    // user who ran sudo: claiming another would only end in its refusal,
    // after taking a tap that may be someone else's.
    if (!own && !root) continue;
    found.push_back({rank, n, t.name});
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (const auto& f : found) names.push_back(f.name);
  return names;
}

int ClaimTap(uid_t uid, const std::vector<gid_t>& groups, bool root, std::string* name,
             std::string* err) {
  std::vector<std::string> candidates = TapCandidates(ListTaps(), uid, groups, root);
  std::string last_err;
  size_t busy = 0;
  for (const auto& c : candidates) {
    std::string attach_err;
    int errnum = 0;
    // Inheritable: QEMU gets this fd as its tap (-netdev tap,fd=N).
    int fd = AttachTap(c, true, true, &attach_err, &errnum);
    if (fd >= 0) {
      *name = c;
      return fd;
    }
    // EBUSY: another guest has it. Anything else (the tap vanished, its
    // owner changed, /dev/net/tun is closed to us) also moves on to the
    // next, and is reported if none is left.
    if (errnum == EBUSY)
      ++busy;
    else
      last_err = attach_err;
  }
  if (root) {
    for (unsigned n = 0; TapInPlan(n); ++n) {
      std::string candidate = "tap" + std::to_string(n);
      if (InterfaceExists(candidate)) continue;
      std::string attach_err;
      int errnum = 0;
      int fd = AttachTap(candidate, false, true, &attach_err, &errnum);
      if (fd < 0) {
        last_err = attach_err;
        continue;  // made by someone else since we looked
      }
      // If a persistent tap of that name appeared between the check and
      // the attach, we joined someone's pool tap instead of making one:
      // give it back.
      TapInfo info;
      if (ReadTapInfo(candidate, &info) && info.persistent) {
        close(fd);
        continue;
      }
      *name = candidate;
      return fd;
    }
    *err = "no free tap, and none could be created" +
           (last_err.empty() ? std::string() : " (" + last_err + ")");
    return -1;
  }
  if (candidates.empty())
    *err = "no free tap: no persistent tap owned by this user (uid " + std::to_string(uid) +
           "); make some with sudo start-tun-interface -c (a tap of a "
           "group or of nobody is not claimed: start-tun-interface "
           "refuses it through sudo)";
  else if (busy == candidates.size())
    *err = "no free tap: all " + std::to_string(busy) +
           " of this user's taps are in use; make more with "
           "sudo start-tun-interface -c";
  else
    *err = "no free tap: " + std::to_string(busy) + " of " + std::to_string(candidates.size()) +
           " in use, and " + last_err;
  return -1;
}

bool MakePrivateDirectory(const std::string& dir, std::string* err) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *err = ErrnoMessage("cannot make " + dir);
    return false;
  }
  // Opened without following a symbolic link, then judged and fixed
  // through that descriptor, so that nothing can be swapped in between.
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) {
    *err = errno == ELOOP || errno == ENOTDIR
               ? dir + ": not a directory (a symbolic link is not followed)"
               : ErrnoMessage(dir);
    return false;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    *err = ErrnoMessage(dir);
    return false;
  }
  if (st.st_uid != geteuid()) {
    *err = dir + ": belongs to uid " + std::to_string(st.st_uid) + ", not to this user (uid " +
           std::to_string(geteuid()) + "); it must be this user's own";
    return false;
  }
  if ((st.st_mode & 07777) != 0700 && fchmod(fd.get(), 0700) != 0) {
    *err = ErrnoMessage("cannot make " + dir + " mode 0700");
    return false;
  }
  return true;
}

namespace {

// Writes all of `content` to `fd`, then gives the file mode 0644: the
// umask must not decide who can read it, as start-tun-interface and the
// driver read these files.
bool WriteContent(int fd, const std::string& content) {
  return WriteAll(fd, content) && fchmod(fd, 0644) == 0;
}

// How many names are drawn before giving up. Each is one of 62^8; one that
// exists already is a planted file or a stale one of an earlier process,
// so a second draw nearly always succeeds, and many failures mean
// something else is wrong.
const int kMaxNameAttempts = 64;

}  // namespace

bool WriteFileAtomically(const std::string& dir, const std::string& name,
                         const std::string& content, std::string* err) {
  const std::string path = dir + "/" + name;
  // A leading dot: neither a pid nor a hostname, so no reader ever takes
  // the temporary file for a real one. Random, so that a name made in
  // advance by another user of the directory cannot stop us.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < kMaxNameAttempts && fd < 0; ++attempt) {
    std::string suffix;
    if (!RandomAlnum(kHostnameSuffixLength, &suffix, err)) return false;
    tmp = dir + "/." + name + "." + suffix + ".tmp";
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    *err = ErrnoMessage(tmp);
    return false;
  }
  bool ok = WriteContent(fd, content);
  if (!ok) *err = ErrnoMessage(tmp);
  if (close(fd) != 0 && ok) {
    *err = ErrnoMessage(tmp);
    ok = false;
  }
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    *err = ErrnoMessage("cannot rename " + tmp + " to " + path);
    ok = false;
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

bool RandomAlnum(size_t n, std::string* out, std::string* err) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const unsigned kSize = sizeof kAlphabet - 1;
  // Bytes from 248 on are dropped, so every character is equally likely
  // (248 = 4 * 62).
  const unsigned kLimit = 256 - 256 % kSize;
  out->clear();
  unsigned char buf[64];
  while (out->size() < n) {
#if defined(__linux__) || defined(__OpenBSD__) || defined(__FreeBSD__)
    if (getentropy(buf, sizeof buf) != 0) {
      *err = ErrnoMessage("getentropy");
      return false;
    }
#else
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    int saved = errno;
    if (fd >= 0) close(fd);
    if (got != static_cast<ssize_t>(sizeof buf)) {
      *err = ErrnoMessage("/dev/urandom", got < 0 ? saved : EIO);
      return false;
    }
#endif
    for (unsigned char b : buf) {
      if (b >= kLimit || out->size() >= n) continue;
      out->push_back(kAlphabet[b % kSize]);
    }
  }
  return true;
}

bool IsHostnameFileName(const std::string& name, pid_t pid) {
  const std::string prefix = std::to_string(pid) + ".";
  if (pid <= 0 || name.size() != prefix.size() + kHostnameSuffixLength ||
      name.compare(0, prefix.size(), prefix) != 0)
    return false;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool CreateHostnameFile(const std::string& dir, pid_t pid, const std::string& content,
                        std::string* path, std::string* err, const SuffixSource& suffixes) {
  const SuffixSource draw = suffixes ? suffixes : [](std::string* suffix, std::string* e) {
    return RandomAlnum(kHostnameSuffixLength, suffix, e);
  };
  std::string file;
  int fd = -1;
  int taken = 0;
  for (int attempt = 0; attempt < kMaxNameAttempts && fd < 0; ++attempt) {
    std::string suffix;
    if (!draw(&suffix, err)) return false;
    file = dir + "/" + std::to_string(pid) + "." + suffix;
    // Never opened if it exists: in hostname_dir, shared by a group, a
    // file there may be anybody's, and with O_EXCL a symlink is not
    // followed either.
    fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0 && errno != EEXIST) {
      *err = ErrnoMessage(file);
      return false;
    }
    if (fd < 0) ++taken;
  }
  if (fd < 0) {
    *err = "cannot create the hostname file of pid " + std::to_string(pid) + " in " + dir + ": " +
           std::to_string(taken) + " names drawn at random all exist";
    return false;
  }
  bool ok = WriteContent(fd, content);
  if (!ok) *err = ErrnoMessage(file);
  if (close(fd) != 0 && ok) {
    *err = ErrnoMessage(file);
    ok = false;
  }
  if (!ok) {
    unlink(file.c_str());
    return false;
  }
  *path = file;
  return true;
}

void RemoveHostnameFiles(const std::string& dir, pid_t pid, uid_t uid) {
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    close(dfd);
    return;
  }
  std::vector<std::string> mine;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    struct stat st;
    // In a sticky directory nobody else can remove or replace our file
    // between this look and the unlink.
    if (IsHostnameFileName(name, pid) &&
        fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        st.st_uid == uid)
      mine.push_back(name);
  }
  for (const auto& name : mine) unlinkat(dfd, name.c_str(), 0);
  closedir(d);
}

}  // namespace runall
