#include "start_tun.hpp"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "clock.hpp"
#include "daemon.hpp"
#include "dhcp_daemon.hpp"
#include "dhcpd_args.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "hostname_file.hpp"
#include "pidfile.hpp"
#include "proc.hpp"
#include "spawn.hpp"
#include "tun.hpp"
#include "validate.hpp"

namespace runall {

namespace {

constexpr uint32_t kNetmask = 0xffffff00u;  // the plan's /24
constexpr uint16_t kDhcpPort = 67;
// How long start-tun-interface waits for a new DHCP server to answer, and
// for an old one to go after SIGTERM. QEMU waits for its ifup script, and
// the guest's first DISCOVER follows soon after it returns.
constexpr int kReadyTimeoutMs = 5000;
constexpr int kTermWaitMs = 2000;

bool Fail(std::string* err, const std::string& text) {
  *err = text;
  return false;
}

// Reads a small regular file, never through a symlink.
bool ReadSmallFile(const std::string& path, std::string* text,
                   std::string* err, int* errnum = nullptr) {
  FileCheck check;
  check.max_bytes = 1u << 16;
  return ReadFileText(path, check, text, err, errnum);
}

// The helpers live beside our own program (build/ in a tree, SBINDIR when
// installed): update-dynamic-hosts, and runall-dhcpd, the DHCP server.
std::string Beside(const StartTunContext& ctx, const char* name) {
  return ctx.self_exe.substr(0, ctx.self_exe.rfind('/') + 1) + name;
}

// Only a process running the DHCP server's program as our user is ever
// signalled: the lock already proves the process holds our pid file, this
// proves it is a DHCP server we started, not something that opened the file
// by mistake. (Before runall-dhcpd the server ran in a fork of our own
// program; such a server, left by an older runall, is ours too.)
ProcessCheck OurDaemon(const StartTunContext& ctx) {
  return [&ctx](pid_t pid, std::string* why) {
    std::string exe, err;
    if (!ProcessExe(pid, &exe, &err)) return Fail(why, err);
    const std::string dhcpd = Beside(ctx, "runall-dhcpd");
    if (!SameProgram(exe, dhcpd) && !SameProgram(exe, ctx.self_exe))
      return Fail(why, "which runs " + exe + ", not " + dhcpd);
    uid_t real = 0, effective = 0;
    if (!ProcessUids(pid, &real, &effective, &err)) return Fail(why, err);
    if (effective != geteuid())
      return Fail(why, "which runs as uid " + std::to_string(effective));
    return true;
  };
}

// Through sudo we act for one user among a group: a tap that belongs to
// another user (its TUNSETOWNER) is theirs to configure and stop, not ours.
bool MayActOn(const StartTunContext& ctx, const std::string& iface) {
  TapInfo info;
  if (!ctx.through_sudo || !ReadTapInfo(iface, &info) || info.owner < 0 ||
      static_cast<uid_t>(info.owner) == ctx.invoking_uid)
    return true;
  Warn(iface + ": belongs to uid " + std::to_string(info.owner) +
       ", not to uid " + std::to_string(ctx.invoking_uid) + "; refused");
  return false;
}

// Stops the DHCP server holding `pidfile`. Returns an exit status (0 when
// nothing is left running).
int StopServer(const StartTunContext& ctx, const std::string& iface,
               const std::string& pidfile, bool verbose) {
  StopOutcome outcome;
  pid_t pid = 0;
  std::string err;
  if (!StopPidFileHolder(pidfile, OurDaemon(ctx), kTermWaitMs, &outcome, &pid,
                         &err)) {
    Warn(iface + ": cannot stop the DHCP server: " + err);
    return kExitSystem;
  }
  switch (outcome) {
    case StopOutcome::kRefused:
      Warn(iface + ": " + err);
      return kExitRefused;
    case StopOutcome::kNotRunning:
      if (verbose) printf("%s: no DHCP server running\n", iface.c_str());
      break;
    case StopOutcome::kTerminated:
    case StopOutcome::kKilled:
      if (verbose)
        printf("%s: DHCP server (pid %d) stopped%s\n", iface.c_str(),
               static_cast<int>(pid),
               outcome == StopOutcome::kKilled ? " with SIGKILL" : "");
      break;
  }
  return kExitOk;
}

// Starts the DHCP server for cfg.interface as a detached daemon holding
// `pidfile`, and returns once its socket is bound.
//
// The detached child takes the pid file's lock, then execs runall-dhcpd
// with the lock's fd left open: the lock and the pid stay the server's, and
// what remains resident for the guest's lifetime is the small static
// server, not this process's pages.
int StartServer(const StartTunContext& ctx, const std::string& pidfile,
                const DhcpConfig& cfg) {
  const std::string dhcpd = Beside(ctx, "runall-dhcpd");
  std::vector<std::string> args = DhcpdArgv(cfg);
  args.insert(args.begin(), "runall-dhcpd");
  auto body = [&pidfile, &dhcpd, &args](int report) -> int {
    pid_t holder = 0;
    std::string err;
    int lock = LockPidFile(pidfile, &holder, &err);
    if (lock < 0) {
      WriteAll(report, "error: " + err + "\n");
      return kExitSystem;
    }
    if (access(dhcpd.c_str(), X_OK) != 0) {
      WriteAll(report, "error: " + ErrnoMessage(dhcpd) + "\n");
      return kExitSystem;
    }
    // The lock must outlive the exec; the pipe must not.
    int flags = fcntl(lock, F_GETFD);
    if (flags < 0 || fcntl(lock, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
      WriteAll(report, "error: " + ErrnoMessage(pidfile + ": F_SETFD") + "\n");
      return kExitSystem;
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    // Nothing of sudo's environment reaches the server.
    char* const envp[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                          nullptr};
    WriteAll(report, "ok\n");
    close(report);
    execve(dhcpd.c_str(), argv.data(), envp);
    // Nobody reads our stderr any more; the parent sees us exit.
    int saved = errno;
    openlog("runall-dhcpd", LOG_PID, LOG_DAEMON);
    syslog(LOG_ERR, "cannot run %s: %s", dhcpd.c_str(), strerror(saved));
    return kExitSystem;
  };
  pid_t pid = 0;
  std::string err;
  // What the server would refuse is said here, where someone reads it; in
  // the daemon it would only reach syslog.
  if (!ValidDhcpConfig(cfg, &err)) {
    Warn(cfg.interface + ": " + err);
    return kExitSystem;
  }
  if (!StartDaemon(body, kReadyTimeoutMs, &pid, &err)) {
    Warn(cfg.interface + ": DHCP server did not start: " + err);
    return kExitSystem;
  }
  // The daemon reported its lock; it is answering once its socket is bound.
  // It dies, letting go of the lock, if it cannot bind.
  for (int waited = 0;; waited += 10) {
    bool bound = false;
    if (!ProcessHasDhcpSocket(pid, kDhcpPort, &bound, &err)) {
#ifdef __linux__
      // The daemon is gone when /proc no longer knows it.
      Warn(cfg.interface + ": DHCP server (pid " + std::to_string(pid) +
           ") exited at start; see syslog (runall-dhcpd)");
      return kExitSystem;
#else
      return kExitOk;  // nothing to check it with: trust its report
#endif
    }
    if (bound) return kExitOk;
    pid_t holder = 0;
    if (PidFileHolder(pidfile, &holder, &err) && holder != pid) {
      Warn(cfg.interface + ": DHCP server (pid " + std::to_string(pid) +
           ") exited at start; see syslog (runall-dhcpd)");
      return kExitSystem;
    }
    if (waited >= kReadyTimeoutMs) {
      Warn(cfg.interface + ": DHCP server (pid " + std::to_string(pid) +
           ") did not bind its socket within " +
           std::to_string(kReadyTimeoutMs) + " ms");
      return kExitSystem;
    }
    SleepMs(10);
  }
}

// Maps the guest's hostname through update-dynamic-hosts.
void MapHostname(const StartTunContext& ctx, const std::string& hostname,
                 uint32_t guest) {
  std::vector<std::string> argv = {Beside(ctx, "update-dynamic-hosts")};
  if (!ctx.settings_path.empty()) {
    argv.push_back("-C");
    argv.push_back(ctx.settings_path);
  }
  argv.push_back(hostname);
  argv.push_back(FormatIPv4(guest));
  int status = 0;
  std::string err;
  if (!RunProgram(argv, nullptr, &status, &err))
    Warn("cannot run update-dynamic-hosts: " + err + "; " +
         ctx.settings.hosts_file + " not updated");
  else if (status != 0)
    Warn("update-dynamic-hosts " + hostname + " " + FormatIPv4(guest) +
         " failed (exit " + std::to_string(status) + "); " +
         ctx.settings.hosts_file + " not updated");
}

bool WriteCreatedMark(const std::string& path, const std::string& text,
                      std::string* err) {
  int fd = open(path.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Fail(err, ErrnoMessage(path));
  bool ok = write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size());
  if (!ok) *err = ErrnoMessage(path);
  if (close(fd) != 0 && ok) {
    *err = ErrnoMessage(path);
    ok = false;
  }
  return ok;
}

}  // namespace

std::string StartTunUsage() {
  return "usage: start-tun-interface [-C FILE] IFACE\n"
         "       start-tun-interface [-C FILE] -c TAP... | -c -n COUNT\n"
         "       start-tun-interface [-C FILE] -k IFACE...\n"
         "       start-tun-interface --help\n"
         "\n"
         "IFACE is tapN or tunN, TAP is tapN (N 0-255, no leading zeros).\n"
         "  IFACE        give IFACE the host address NET.N.1/24, (re)start its\n"
         "               DHCP server for the guest NET.N.2, and map the guest's\n"
         "               hostname (left in HOSTNAMEDIR/<pid> by an ancestor\n"
         "               process) with update-dynamic-hosts\n"
         "  -c TAP...    create persistent taps the invoking user may attach\n"
         "  -c -n COUNT  create COUNT taps at the first free tapN names\n"
         "  -k IFACE...  stop IFACE's DHCP server; remove the tap if -c made it\n"
         "  -C FILE      settings file instead of " +
         DefaultSettingsPath() +
         "\n"
         "               (root only; refused through sudo)\n"
         "Exit status: 0 done, 1 refused, 100 bad usage (nothing changed),\n"
         "111 system error. See start-tun-interface(8).\n";
}

bool ParseStartTunArgs(const std::vector<std::string>& args,
                       StartTunArgs* out, std::string* err) {
  *out = StartTunArgs();
  bool create = false, stop = false, count_given = false, settings = false;
  std::vector<std::string> names;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out->mode = StartTunMode::kHelp;
      return true;
    }
    if (a == "-c") {
      create = true;
    } else if (a == "-k") {
      stop = true;
    } else if (a == "-C" || a == "-n") {
      if (i + 1 >= args.size()) return Fail(err, a + ": needs a value");
      const std::string& v = args[++i];
      if (a == "-C") {
        if (settings) return Fail(err, "-C given twice");
        if (v.empty() || v[0] != '/')
          return Fail(err, "-C: the settings file must be an absolute path");
        settings = true;
        out->settings_path = v;
      } else {
        unsigned long n = 0;
        if (count_given || !ParseUnsigned(v, 256, &n) || n == 0)
          return Fail(err, "-n: a count from 1 to 256 is needed");
        count_given = true;
        out->count = static_cast<unsigned>(n);
      }
    } else if (!a.empty() && a[0] == '-') {
      return Fail(err, a + ": unknown option");
    } else {
      names.push_back(a);
    }
  }
  if (create && stop) return Fail(err, "-c and -k exclude each other");
  if (count_given && !create) return Fail(err, "-n goes with -c");
  if (count_given && !names.empty())
    return Fail(err, "-c takes either tap names or -n COUNT, not both");
  out->mode = create ? StartTunMode::kCreate
                     : stop ? StartTunMode::kStop : StartTunMode::kConfigure;
  if (out->mode == StartTunMode::kConfigure && names.size() != 1)
    return Fail(err, "one interface name is needed");
  if (out->mode != StartTunMode::kConfigure && names.empty() && !count_given)
    return Fail(err, std::string(create ? "-c" : "-k") +
                         ": interface names are needed");
  for (const std::string& name : names) {
    unsigned n = 0;
    std::string why;
    if (!ValidTapName(name, &n, &why))
      return Fail(err, "\"" + name + "\": " + why);
    if (!TapInPlan(n))
      return Fail(err, name + ": outside the address plan (N is 0-255)");
    if (create && name.compare(0, 3, "tap") != 0)
      return Fail(err, name + ": -c makes taps; name them tapN");
    if (std::find(out->interfaces.begin(), out->interfaces.end(), name) !=
        out->interfaces.end())
      return Fail(err, name + ": named twice");
    out->interfaces.push_back(name);
    out->numbers.push_back(n);
  }
  return true;
}

std::vector<uint32_t> ParseDnsList(const std::string& text) {
  std::vector<uint32_t> dns;
  std::istringstream in(text);
  std::string word;
  uint32_t addr = 0;
  while (in >> word)
    if (ParseIPv4(word, &addr, nullptr)) dns.push_back(addr);
  return dns;
}

std::string CreatedMarkPath(const std::string& run_dir,
                            const std::string& iface) {
  return run_dir + "/" + iface + ".created";
}

std::string FormatCreatedMark(unsigned ifindex, uid_t owner) {
  return "ifindex " + std::to_string(ifindex) + " owner " +
         std::to_string(owner) + "\n";
}

bool ParseCreatedMark(const std::string& text, unsigned* ifindex,
                      uid_t* owner) {
  std::istringstream in(text);
  std::string k1, v1, k2, v2, extra;
  if (!(in >> k1 >> v1 >> k2 >> v2) || (in >> extra) || k1 != "ifindex" ||
      k2 != "owner")
    return false;
  unsigned long index = 0, uid = 0;
  if (!ParseUnsigned(v1, 0xffffffffUL, &index) || index == 0 ||
      !ParseUnsigned(v2, 0xffffffffUL, &uid))
    return false;
  *ifindex = static_cast<unsigned>(index);
  *owner = static_cast<uid_t>(uid);
  return true;
}

int ConfigureTapInterface(const StartTunContext& ctx, const std::string& iface,
                          unsigned number) {
  const Settings& s = ctx.settings;
  if (!InterfaceExists(iface)) {
    Warn(iface + ": no such interface");
    return kExitRefused;
  }
  if (!MayActOn(ctx, iface)) return kExitRefused;
  const uint32_t host = TapHostAddress(s, number);
  const uint32_t guest = TapGuestAddress(s, number);
  std::string err;
  if (!ConfigureInterface(iface, host, kNetmask, &err)) {
    Warn(err);
    return kExitSystem;
  }

  // The hostname comes before the server so that the server can hand it to
  // the guest (option 12).
  ParentOf parent_of = [](pid_t pid, pid_t* parent) {
    std::string ignored;
    return ParentPid(pid, parent, &ignored);
  };
  HostnameSearch found = FindGuestHostname(
      s.hostname_dir, ctx.invoking_uid, time(nullptr), s.hostname_delete_age,
      s.hostname_max_age, getpid(), parent_of);
  for (const std::string& note : found.notes) Warn("hostname file " + note);

  DhcpConfig cfg;
  cfg.interface = iface;
  cfg.server = host;
  cfg.client = guest;
  cfg.netmask = kNetmask;
  if (!s.dns.empty()) {
    cfg.dns = ParseDnsList(s.dns);
  } else {
    if (!ReadNameservers("/etc/resolv.conf", &cfg.dns, &err))
      Warn(err + "; the guest gets no DNS servers");
  }
  cfg.domain = s.domain;
  cfg.hostname = found.hostname;
  cfg.lease_time = s.lease_time;

  if (!EnsureRunDir(s.run_dir, &err)) {
    Warn(err);
    return kExitSystem;
  }
  const std::string pidfile = DhcpPidFilePath(s.run_dir, iface);
  int status = StopServer(ctx, iface, pidfile, false);
  if (status != kExitOk) return status;
  status = StartServer(ctx, pidfile, cfg);
  if (status != kExitOk) return status;

  // As in the article, a guest without a known name still gets its address
  // and its lease; only the hosts file is left as it was. QEMU gives up on a
  // guest whose ifup script fails, so neither case is an error.
  if (found.hostname.empty()) {
    Warn("guest's hostname not found; " + s.hosts_file + " not updated");
    return kExitOk;
  }
  MapHostname(ctx, found.hostname, guest);
  return kExitOk;
}

int CreateTaps(const StartTunContext& ctx, const StartTunArgs& args) {
  const Settings& s = ctx.settings;
  std::string err;
  if (!EnsureRunDir(s.run_dir, &err)) {
    Warn(err);
    return kExitSystem;
  }
  std::vector<std::string> wanted = args.interfaces;
  const bool pick_free = args.count > 0;
  if (pick_free) {
    wanted.clear();
    for (unsigned n = 0; TapInPlan(n); ++n) wanted.push_back("tap" + std::to_string(n));
  }
  int status = kExitOk;
  unsigned made = 0;
  for (const std::string& name : wanted) {
    if (pick_free && made == args.count) break;
    if (pick_free && InterfaceExists(name)) continue;
    if (!CreatePersistentTap(name, ctx.invoking_uid, &err)) {
      const int errnum = errno;
      // Taken meanwhile: look further when picking free names.
      if (pick_free && errnum == EEXIST) continue;
      Warn(err);
      status = std::max(status, errnum == EEXIST ? static_cast<int>(kExitRefused)
                                                 : static_cast<int>(kExitSystem));
      continue;
    }
    ++made;
    unsigned index = if_nametoindex(name.c_str());
    if (index == 0 ||
        !WriteCreatedMark(CreatedMarkPath(s.run_dir, name),
                          FormatCreatedMark(index, ctx.invoking_uid), &err)) {
      Warn(name + ": created, but not marked as ours (-k will leave it): " +
           (index == 0 ? ErrnoMessage("if_nametoindex") : err));
      status = kExitSystem;
    }
    printf("created %s: persistent tap, owner uid %u\n", name.c_str(),
           static_cast<unsigned>(ctx.invoking_uid));
  }
  fflush(stdout);
  if (pick_free && made < args.count) {
    Warn("only " + std::to_string(made) + " of " + std::to_string(args.count) +
         " taps created: no more free tapN names in the plan");
    status = std::max(status, static_cast<int>(kExitRefused));
  }
  return status;
}

int StopTaps(const StartTunContext& ctx, const StartTunArgs& args) {
  const Settings& s = ctx.settings;
  int status = kExitOk;
  for (const std::string& iface : args.interfaces) {
    if (!MayActOn(ctx, iface)) {
      status = std::max(status, static_cast<int>(kExitRefused));
      continue;
    }
    status = std::max(status, StopServer(ctx, iface,
                                         DhcpPidFilePath(s.run_dir, iface),
                                         true));
    const std::string mark = CreatedMarkPath(s.run_dir, iface);
    std::string text, err;
    int errnum = 0;
    if (!ReadSmallFile(mark, &text, &err, &errnum)) {
      if (errnum != ENOENT) {
        Warn(err);
        status = std::max(status, static_cast<int>(kExitSystem));
      } else if (InterfaceExists(iface)) {
        printf("%s: not created by start-tun-interface -c; left in place\n",
               iface.c_str());
      }
      continue;
    }
    unsigned index = 0;
    uid_t owner = 0;
    if (!ParseCreatedMark(text, &index, &owner)) {
      Warn(mark + ": unreadable mark; " + iface + " left in place");
      status = std::max(status, static_cast<int>(kExitSystem));
      continue;
    }
    // A tap of the same name made since by someone else has another index.
    if (if_nametoindex(iface.c_str()) != index) {
      unlink(mark.c_str());
      printf("%s: the tap -c created is gone\n", iface.c_str());
      continue;
    }
    if (!DeletePersistentTap(iface, &err)) {
      const bool busy = errno == EBUSY;
      Warn(busy ? iface + ": in use by a process (QEMU?); not removed" : err);
      status = std::max(status, busy ? static_cast<int>(kExitRefused)
                                     : static_cast<int>(kExitSystem));
      continue;
    }
    unlink(mark.c_str());
    printf("%s: removed\n", iface.c_str());
  }
  fflush(stdout);
  return status;
}

}  // namespace runall
