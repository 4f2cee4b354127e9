// runqemuos: record a guest's name and pid, lock its disk image, claim a
// tap, and exec QEMU so that QEMU keeps the pid, the lock and the tap. See
// runqemuos(1).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fail.hpp"
#include "file_io.hpp"
#include "guest_config.hpp"
#include "image_lock.hpp"
#include "invoker.hpp"
#include "proc.hpp"
#include "qemu_launch.hpp"
#include "settings.hpp"
#include "spawn.hpp"

#ifndef RUNALL_SBINDIR
#define RUNALL_SBINDIR "/usr/local/sbin"
#endif

using namespace runall;

namespace {

const char kUsage[] =
    "usage: runqemuos [-b] [-o CONSOLE_LOG] [-C SETTINGS] [-i IMAGE]\n"
    "                 [-N NIC_MODEL [-M MAC]] HOST HOSTNAMEDIR LAUNCHDIR\n"
    "                 [QEMU] QEMU-ARGS...\n"
    "Locks byte 0 of the disk image, writes HOST to HOSTNAMEDIR/<pid>.<random>\n"
    "and the pid to LAUNCHDIR/HOST, claims a tap (with -N) and runs\n"
    "start-tun-interface for it, then execs QEMU with that pid, lock and tap.\n"
    "  -b           background: QEMU in its own session, detached from the\n"
    "               terminal; prints its pid once it has started\n"
    "  -o LOG       append QEMU's output to LOG (with -b: else /dev/null)\n"
    "  -C SETTINGS  settings file for start-tun-interface (root only)\n"
    "  -i IMAGE     the disk image to lock (default: found in QEMU-ARGS)\n"
    "  -N MODEL     claim a tap and add a MODEL network card on it; unless\n"
    "               root, only a tap owned by this user\n"
    "  -M MAC       that card's address (default: derived from HOST)\n"
    "QEMU is the program when the first word does not begin with '-',\n"
    "else qemu-system-x86_64. With -N, unless root, it runs\n"
    "  sudo -n " RUNALL_SBINDIR "/start-tun-interface TAP\n"
    "(see the sudoers drop-in in start-tun-interface(8)).\n"
    "Exit: 0 started (-b), 1 refused (image in use,\n"
    "no free tap, start-tun-interface failed), 100 bad usage or input,\n"
    "111 system error.\n";

// What the process that will become QEMU has made, to undo on failure.
struct Made {
  std::string hostname_file;
  std::string launch_file;
  int lock_fd = -1;
  int tap_fd = -1;
};
Made g_made;

void Undo() {
  // Leave no stale file behind for the driver or start-tun-interface to
  // believe in. The tap and the lock go with their fds.
  if (!g_made.hostname_file.empty()) unlink(g_made.hostname_file.c_str());
  if (!g_made.launch_file.empty()) unlink(g_made.launch_file.c_str());
  if (g_made.tap_fd >= 0) close(g_made.tap_fd);
  if (g_made.lock_fd >= 0) close(g_made.lock_fd);
  g_made = Made();
}

// In background mode the parent waits on this pipe; the child writes its
// exit code to it when it fails. A successful exec closes it (close-on-exec).
int g_status_fd = -1;
// The caller's stderr, kept for a message after stderr became the console
// log.
int g_saved_stderr = -1;

[[noreturn]] void Fail(int code, const std::string& message) {
  Undo();
  if (g_saved_stderr >= 0) {
    std::string line = std::string(ProgramName()) + ": " + message + "\n";
    ssize_t ignored = write(g_saved_stderr, line.data(), line.size());
    (void)ignored;
  } else {
    Warn(message);
  }
  if (g_status_fd >= 0) {
    unsigned char c = static_cast<unsigned char>(code);
    ssize_t ignored = write(g_status_fd, &c, 1);
    (void)ignored;
  }
  exit(code);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

// execvp's lookup, done beforehand so that a missing QEMU is reported
// before anything is written.
bool FindProgram(const std::string& word) {
  const char* path = getenv("PATH");
  std::string found;
  return FindInPath(word, path ? path : "", &found);
}

// The first QEMU word is the program unless it names an existing file that
// is not executable: then it is the article's bare image, and QEMU is the
// default one. A word naming nothing at all is a QEMU to report missing.
bool IsProgramWord(const std::string& word) {
  struct stat st;
  return FindProgram(word) || stat(word.c_str(), &st) != 0;
}

void CheckDirectory(const std::string& what, const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) Fail(kExitUsage, ErrnoMessage(what + " " + dir));
  if (!S_ISDIR(st.st_mode)) Fail(kExitUsage, what + " " + dir + ": not a directory");
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    Fail(kExitUsage, ErrnoMessage(what + " " + dir + ": not writable"));
}

// The directory this program was run from: in the build tree every tool
// sits side by side, so root finds the start-tun-interface it was built
// with.
std::string OwnDirectory(const char* argv0) {
  std::string self, err;
  // The kernel's " (deleted)" after an upgrade ends the file name, not the
  // directory.
  if (!SelfExe(&self, &err) && argv0 && strchr(argv0, '/')) self = argv0;
  size_t slash = self.rfind('/');
  return slash == std::string::npos ? "" : self.substr(0, slash);
}

// Runs start-tun-interface for `tap` and waits for it: it gives the tap its
// address, starts the DHCP server and maps the hostname it finds in
// HOSTNAMEDIR/<our pid>, which is why that file is written first.
void StartTunInterface(const std::string& tap, const std::string& settings_path,
                       const std::string& own_dir) {
  std::vector<std::string> argv;
  const bool root = geteuid() == 0;
  if (root) {
    std::string helper = own_dir + "/start-tun-interface";
    if (own_dir.empty() || !IsExecutableFile(helper))
      helper = std::string(RUNALL_SBINDIR) + "/start-tun-interface";
    argv.push_back(helper);
    if (!settings_path.empty()) argv.insert(argv.end(), {"-C", settings_path});
  } else {
    // Exactly the command the sudoers drop-in allows.
    argv = {"sudo", "-n", std::string(RUNALL_SBINDIR) + "/start-tun-interface"};
  }
  argv.push_back(tap);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(&a[0]);
  cargv.push_back(nullptr);
  pid_t child = fork();
  if (child < 0) Fail(kExitSystem, ErrnoMessage("fork"));
  if (child == 0) {
    // The helper must not hold the image lock or the tap: a DHCP daemon
    // keeping them would outlive QEMU. Its stdout goes to our stderr, as
    // our stdout carries QEMU's pid in background mode.
    if (g_made.lock_fd >= 0) close(g_made.lock_fd);
    if (g_made.tap_fd >= 0) close(g_made.tap_fd);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    execvp(cargv[0], cargv.data());
    Warn(ErrnoMessage(std::string("cannot run ") + cargv[0]));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) Fail(kExitSystem, ErrnoMessage("waitpid"));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::string what = "start-tun-interface " + tap;
  if (!root) what += " through sudo";
  std::string how = WIFEXITED(status)
                        ? "exit " + std::to_string(WEXITSTATUS(status))
                        : "signal " + std::to_string(WTERMSIG(status));
  std::string hint;
  if (!root && WIFEXITED(status) && WEXITSTATUS(status) == 1)
    hint = "; is this user allowed to run " RUNALL_SBINDIR
           "/start-tun-interface through sudo without a password? "
           "(see runqemuos(1))";
  Fail(kExitRefused, what + " failed (" + how + ")" + hint);
}

// Everything between the checks and QEMU, in the process that becomes
// QEMU. Returns only by exec; every failure goes through Fail, which undoes
// what was made.
[[noreturn]] void Launch(const LaunchRequest& req, const std::string& program,
                         std::vector<std::string> qemu_args,
                         const std::string& image, int console_fd,
                         const std::string& own_dir) {
  const pid_t pid = getpid();
  std::string err;
  switch (LockImage(image, DefaultLockKind(), &g_made.lock_fd, &err)) {
    case LockResult::kLocked:
      break;
    case LockResult::kInUse:
      Fail(kExitRefused, err);
    case LockResult::kError:
      Fail(kExitSystem, err);
  }
  // The article's order: hostname file, then launch file (whose mtime is
  // the launch time the driver compares the up-file with). The hostname
  // file is HOSTNAMEDIR/<pid>.<random>, not the article's <pid>: the
  // directory is shared by the group, and a member could make <pid> (or
  // any name we could predict) in advance to stop us.
  const std::string pid_text = std::to_string(pid);
  if (!CreateHostnameFile(req.hostname_dir, pid, req.host + "\n",
                          &g_made.hostname_file, &err))
    Fail(kExitSystem, err);
  if (!WriteFileAtomically(req.launch_dir, req.host, pid_text + "\n", &err))
    Fail(kExitSystem, err);
  g_made.launch_file = req.launch_dir + "/" + req.host;

  if (!req.nic.empty()) {
    std::vector<gid_t> groups;
    int n = getgroups(0, nullptr);
    if (n > 0) {
      groups.resize(static_cast<size_t>(n));
      n = getgroups(n, groups.data());
      groups.resize(n > 0 ? static_cast<size_t>(n) : 0);
    }
    groups.push_back(getegid());
    std::string tap;
    // Root also claims a group's or nobody's tap (it runs
    // start-tun-interface itself, not through sudo).
    g_made.tap_fd = ClaimTap(getuid(), groups, geteuid() == 0, &tap, &err);
    if (g_made.tap_fd < 0) Fail(kExitRefused, err);
    StartTunInterface(tap, req.settings_path, own_dir);
    std::vector<std::string> net = NetworkArgs(req.nic, req.mac, g_made.tap_fd);
    qemu_args.insert(qemu_args.end(), net.begin(), net.end());
  }

  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), qemu_args.begin(), qemu_args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(&a[0]);
  cargv.push_back(nullptr);

  if (req.background || console_fd >= 0) {
    // Keep a way to report a failed exec to the caller.
    g_saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    int out = console_fd;
    if (out < 0) out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (out < 0) Fail(kExitSystem, ErrnoMessage("/dev/null"));
    if (req.background) {
      int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (in < 0 || dup2(in, STDIN_FILENO) < 0)
        Fail(kExitSystem, ErrnoMessage("/dev/null"));
    }
    if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
      Fail(kExitSystem, ErrnoMessage("cannot redirect QEMU's output"));
  }
  execvp(cargv[0], cargv.data());
  Fail(kExitSystem, ErrnoMessage("cannot run " + program));
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  // QEMU and start-tun-interface get the signal state of a fresh process:
  // with SIGCHLD ignored by our caller, our wait for start-tun-interface
  // (and its own for update-dynamic-hosts, and QEMU's for its helpers)
  // would fail, and a SIGTERM the caller blocked would never stop QEMU.
  ResetInheritedSignals();
  std::vector<std::string> args(argv + 1, argv + argc);
  LaunchRequest req;
  std::string err;
  if (!ParseLaunchArgs(args, &req, &err)) {
    Warn(err);
    fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (req.help) {
    fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!req.settings_path.empty()) {
    if (RunThroughSudo())
      Fatal(kExitUsage, "-C: refused when run through sudo");
    if (!req.nic.empty() && geteuid() != 0)
      Fatal(kExitUsage, "-C: only root can point start-tun-interface at "
                        "another settings file");
  }
  if (!req.nic.empty()) {
    // start-tun-interface looks for the hostname file in its own
    // hostname_dir; another directory here would leave it nameless.
    Settings settings = DefaultSettings();
    std::string path =
        req.settings_path.empty() ? DefaultSettingsPath() : req.settings_path;
    if (!LoadSettings(path, false, !req.settings_path.empty(), &settings, &err))
      Fatal(kExitUsage, err);
    if (settings.hostname_dir != req.hostname_dir)
      Warn("warning: HOSTNAMEDIR " + req.hostname_dir + " is not " +
           settings.hostname_dir + " (hostname_dir of " + path +
           "), where start-tun-interface looks");
  }

  std::string program;
  std::vector<std::string> qemu_args;
  SplitProgram(req.qemu_args, IsProgramWord, &program, &qemu_args);
  if (!FindProgram(program))
    Fatal(kExitUsage, program + ": QEMU not found" +
                          (program.find('/') == std::string::npos
                               ? std::string(" in PATH")
                               : std::string(" or not executable")));
  std::string image = req.image;
  if (image.empty() && !FindImageArg(qemu_args, &image))
    Fatal(kExitUsage, "no disk image among the QEMU arguments; name it with -i");
  struct stat st;
  if (stat(image.c_str(), &st) != 0) Fatal(kExitUsage, ErrnoMessage(image));
  if (access(image.c_str(), R_OK | W_OK) != 0)
    Fatal(kExitUsage, ErrnoMessage(image + ": must be readable and writable "
                                   "(runall locks it for writing)"));
  CheckDirectory("HOSTNAMEDIR", req.hostname_dir);
  CheckDirectory("LAUNCHDIR", req.launch_dir);
  int console_fd = -1;
  if (!req.console_log.empty()) {
    console_fd = open(req.console_log.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (console_fd < 0) Fatal(kExitUsage, ErrnoMessage(req.console_log));
  }
  const std::string own_dir = OwnDirectory(argv[0]);

  if (!req.background)
    Launch(req, program, qemu_args, image, console_fd, own_dir);

  // Background: the child becomes QEMU; this process stays only until the
  // exec has happened or failed, so the caller learns which.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) Fatal(kExitSystem, ErrnoMessage("pipe"));
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) Fatal(kExitSystem, ErrnoMessage("fork"));
  if (child == 0) {
    close(pipe_fds[0]);
    g_status_fd = pipe_fds[1];
    // Its own session: no terminal, so the driver's ^C never reaches QEMU
    // (the article's runqemuosbgnoint).
    if (setsid() < 0) Fail(kExitSystem, ErrnoMessage("setsid"));
    Launch(req, program, qemu_args, image, console_fd, own_dir);
  }
  close(pipe_fds[1]);
  unsigned char code = 0;
  ssize_t n;
  do {
    n = read(pipe_fds[0], &code, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1) {
    // The child reported its failure itself; pass on its exit code.
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return code;
  }
  // End of file without a code: the exec closed the pipe - or the child
  // died without a word (killed before its exec, or QEMU ending at once).
  // On Linux the two are told apart for certain: an exec installs the new
  // program before it closes the close-on-exec pipe, and a dying process
  // loses its /proc/PID/exe (its memory) before its files are closed.
#ifdef __linux__
  std::string exe;
  if (!ProcessExe(child, &exe, &err)) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    // It left its files for the pid it had; nobody else will remove them.
    // Its hostname file's name is random, so it is found by its pid.
    const std::string pid_text = std::to_string(child);
    RemoveHostnameFiles(req.hostname_dir, child, geteuid());
    std::string text;
    FileCheck check;
    check.max_bytes = 64;
    if (ReadFileText(req.launch_dir + "/" + req.host, check, &text, &err) &&
        text == pid_text + "\n")
      unlink((req.launch_dir + "/" + req.host).c_str());
    Fatal(kExitSystem,
          "QEMU is not running: its process (pid " + pid_text + ") " +
              (WIFSIGNALED(status)
                   ? "was killed by signal " + std::to_string(WTERMSIG(status))
                   : "exited at once with status " +
                         std::to_string(WEXITSTATUS(status))) +
              (req.console_log.empty() ? std::string()
                                       : "; see " + req.console_log));
  }
#endif
  // The child is QEMU now (it is not waited for; it outlives us).
  printf("%d\n", static_cast<int>(child));
  return kExitOk;
}
