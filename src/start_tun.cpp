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
#include "dhcp_daemon.hpp"
#include "dhcpd_args.hpp"
#include "fail.hpp"
#include "fd.hpp"
#include "file_io.hpp"
#include "guest_dns.hpp"
#include "hostname_file.hpp"
#include "net_routes.hpp"
#include "options.hpp"
#include "pidfile.hpp"
#include "proc.hpp"
#include "process.hpp"
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
// How long a run waits for another one at work on the same interface: a
// restart takes at most the two timeouts above, and the hosts update.
constexpr int kLockWaitMs = 20000;

// Reads a small regular file, never through a symlink.
bool ReadSmallFile(const std::string& path, std::string* text, std::string* err,
                   int* errnum = nullptr) {
  FileCheck check;
  check.max_bytes = 1u << 16;
  return ReadFileText(path, check, text, err, errnum);
}

// The helpers live beside our own program (build/ in a tree, SBINDIR when
// installed): update-dynamic-hosts, and runall-dhcpd, the DHCP server.
std::string Beside(const StartTunContext& ctx, const char* name) {
  return ctx.self_exe.substr(0, ctx.self_exe.rfind('/') + 1) + name;
}

// The directory of our network namespace's pid files, locks and marks.
std::string NsDir(const StartTunContext& ctx) {
  return NamespaceRunDir(ctx.settings.run_dir, ctx.ns_name);
}

// The settings file named in messages that point at a setting.
std::string SettingsName(const StartTunContext& ctx) {
  return ctx.settings_path.empty() ? DefaultSettingsPath() : ctx.settings_path;
}

// Only a process running the DHCP server's program as our user, in our
// network namespace, is ever signalled: the lock already proves the process
// holds our pid file, this proves it is a DHCP server we started for an
// interface of this namespace, not something that opened the file by
// mistake. (Before runall-dhcpd the server ran in a fork of our own
// program; such a server, left by an older runall, is ours too.)
ProcessCheck OurDaemon(const StartTunContext& ctx) {
  return [&ctx](pid_t pid, std::string* why) {
    std::string exe, err, ns;
    if (!ProcessExe(pid, &exe, &err)) return Fail(why, err);
    const std::string dhcpd = Beside(ctx, "runall-dhcpd");
    if (!SameProgram(exe, dhcpd) && !SameProgram(exe, ctx.self_exe))
      return Fail(why, "which runs " + exe + ", not " + dhcpd);
    uid_t real = 0, effective = 0;
    if (!ProcessUids(pid, &real, &effective, &err)) return Fail(why, err);
    if (effective != geteuid()) return Fail(why, "which runs as uid " + std::to_string(effective));
    if (!NetNamespaceName(pid, &ns, &err)) return Fail(why, err);
    if (ns != ctx.ns_name)
      return Fail(why, "which lives in another network namespace (" + ns + ")");
    return true;
  };
}

// What we know about `iface` and its mark in our namespace's directory
// (which is only read: a refusal must leave nothing behind).
bool ReadTapFacts(const StartTunContext& ctx, const std::string& iface, TapFacts* facts,
                  std::string* err) {
  *facts = TapFacts();
  facts->exists = InterfaceExists(iface);
  if (facts->exists) {
    TapInfo info;
    facts->ifindex = if_nametoindex(iface.c_str());
    facts->tun_tap = ReadTapInfo(iface, &info);
    facts->tap_mode = facts->tun_tap && info.tap;
    facts->owner = facts->tun_tap ? info.owner : -1;
  }
  std::string text;
  int errnum = 0;
  if (!ReadSmallFile(CreatedMarkPath(NsDir(ctx), iface), &text, err, &errnum)) {
    // No directory or no mark: not made by -c here.
    return errnum == ENOENT;
  }
  if (!ParseCreatedMark(text, &facts->mark_ifindex, &facts->mark_owner)) {
    *err = CreatedMarkPath(NsDir(ctx), iface) + ": unreadable mark";
    return false;
  }
  facts->marked = true;
  return true;
}

// Through sudo we act for one user among a group: only on that user's own
// taps. Says why not, and returns false, for anything else.
bool MayActOn(const StartTunContext& ctx, const std::string& iface, bool missing_ok, int* status) {
  if (!ctx.through_sudo) return true;
  TapFacts facts;
  std::string err, why;
  if (!ReadTapFacts(ctx, iface, &facts, &err)) {
    Warn(iface + ": " + err);
    *status = kExitSystem;
    return false;
  }
  if (SudoMayActOn(facts, ctx.invoking_uid, missing_ok, &why)) return true;
  Warn(iface + ": " + why + "; refused");
  *status = kExitRefused;
  return false;
}

// The plan's network for the interface must be free in this namespace.
bool NetworkFree(const StartTunContext& ctx, const std::string& iface, unsigned number,
                 const std::vector<NetUse>& uses) {
  std::string why;
  if (PlanNetFree(ctx.settings, SettingsName(ctx), iface, number, uses, &why)) return true;
  Warn(why);
  return false;
}

// Serialises the runs that configure, stop or create one interface in
// this namespace. Returns the lock's fd, or -1 having said why, with the
// exit status in *status: refused when another run holds the interface
// for too long, a system error otherwise.
int LockInterface(const StartTunContext& ctx, const std::string& iface, int* status) {
  std::string err;
  *status = kExitSystem;
  if (!EnsureRunDir(ctx.settings.run_dir, &err) || !EnsureRunDir(NsDir(ctx), &err)) {
    Warn(err);
    return -1;
  }
  pid_t holder = 0;
  int fd = LockFileWait(InterfaceLockPath(NsDir(ctx), iface), kLockWaitMs, &holder, &err);
  if (fd >= 0) return fd;
  if (holder != 0) {
    *status = kExitRefused;
    Warn(iface + ": another start-tun-interface is at work on it: " + err);
  } else {
    Warn(err);
  }
  return -1;
}

// Stops the DHCP server holding `pidfile`. Returns an exit status (0 when
// nothing is left running).
int StopServer(const StartTunContext& ctx, const std::string& iface, const std::string& pidfile,
               bool verbose) {
  StopOutcome outcome;
  pid_t pid = 0;
  std::string err;
  // A server started by an older runall holds RUN_DIR/dhcpd-IFACE.pid,
  // shared by every namespace: it is stopped only if it serves this
  // namespace, and any other holder is none of our business.
  const std::string legacy = DhcpPidFilePath(ctx.settings.run_dir, iface);
  if (StopPidFileHolder(legacy, OurDaemon(ctx), kTermWaitMs, &outcome, &pid, &err) && verbose &&
      (outcome == StopOutcome::kTerminated || outcome == StopOutcome::kKilled))
    printf("%s: DHCP server of an older runall (pid %d) stopped\n", iface.c_str(),
           static_cast<int>(pid));
  err.clear();
  if (!StopPidFileHolder(pidfile, OurDaemon(ctx), kTermWaitMs, &outcome, &pid, &err)) {
    Warn(iface + ": cannot stop the DHCP server: " + err);
    return kExitSystem;
  }
  switch (outcome) {
    case StopOutcome::kRefused: Warn(iface + ": " + err); return kExitRefused;
    case StopOutcome::kNotRunning:
      if (verbose) printf("%s: no DHCP server running\n", iface.c_str());
      break;
    case StopOutcome::kTerminated:
    case StopOutcome::kKilled:
      if (verbose)
        printf("%s: DHCP server (pid %d) stopped%s\n", iface.c_str(), static_cast<int>(pid),
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
int StartServer(const StartTunContext& ctx, const std::string& pidfile, const DhcpConfig& cfg) {
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
    // Nothing of sudo's environment reaches the server.
    const std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    WriteAll(report, "ok\n");
    close(report);
    int saved = ExecProgram(dhcpd, args, &env);
    // Nobody reads our stderr any more; the parent sees us exit.
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
           ") did not bind its socket within " + std::to_string(kReadyTimeoutMs) + " ms");
      return kExitSystem;
    }
    SleepMs(10);
  }
}

// Maps the guest's hostname through update-dynamic-hosts.
void MapHostname(const StartTunContext& ctx, const std::string& hostname, uint32_t guest) {
  std::vector<std::string> argv = {Beside(ctx, "update-dynamic-hosts")};
  if (!ctx.settings_path.empty()) {
    argv.push_back("-C");
    argv.push_back(ctx.settings_path);
  }
  argv.push_back(hostname);
  argv.push_back(FormatIPv4(guest));
  ExitStatus status;
  std::string err;
  if (!RunChild(argv, nullptr, &status, &err))
    Warn("cannot run update-dynamic-hosts: " + err + "; " + ctx.settings.hosts_file +
         " not updated");
  else if (!status.success())
    Warn("update-dynamic-hosts " + hostname + " " + FormatIPv4(guest) + " failed (exit " +
         std::to_string(status.code()) + "); " + ctx.settings.hosts_file + " not updated");
}

// Writes the mark through a fresh file renamed into place: a reader sees
// the old mark or the new one, never half of one.
bool WriteCreatedMark(const std::string& path, const std::string& text, std::string* err) {
  const std::string fresh = path + ".new";
  unlink(fresh.c_str());
  int fd = open(fresh.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Fail(err, ErrnoMessage(fresh));
  bool ok = WriteAll(fd, text);
  if (!ok) *err = ErrnoMessage(fresh);
  if (close(fd) != 0 && ok) {
    *err = ErrnoMessage(fresh);
    ok = false;
  }
  if (ok && rename(fresh.c_str(), path.c_str()) != 0) {
    *err = ErrnoMessage(fresh + ": rename to " + path);
    ok = false;
  }
  if (!ok) unlink(fresh.c_str());
  return ok;
}

// -k leaves a tap it does not remove without the address it gave it.
void TakeOffPlanAddress(const StartTunContext& ctx, const std::string& iface, unsigned number) {
  bool removed = false;
  std::string err;
  const uint32_t host = TapHostAddress(ctx.settings, number);
  if (!RemoveInterfaceAddress(iface, host, 24, &removed, &err))
    Warn(err);
  else if (removed)
    printf("%s: address %s/24 removed\n", iface.c_str(), FormatIPv4(host).c_str());
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
         "Through sudo only your own taps that -c made are configured or\n"
         "stopped, and -c makes at most max_taps_per_user per namespace.\n"
         "Exit status: 0 done, 1 refused, 100 bad usage (nothing changed),\n"
         "111 system error. See start-tun-interface(8).\n";
}

bool ParseStartTunArgs(const std::vector<std::string>& args, StartTunArgs* out, std::string* err) {
  *out = StartTunArgs();
  if (AsksForHelp(args)) {
    out->mode = StartTunMode::kHelp;
    return true;
  }
  bool create = false, stop = false, count_given = false;
  OptionScanner opts(args);
  while (opts.Next()) {
    std::string count;
    if (opts.Flag("-c")) {
      create = true;
    } else if (opts.Flag("-k")) {
      stop = true;
    } else if (opts.Value("-C", &out->settings_path)) {
      if (opts.ok() && out->settings_path[0] != '/')
        opts.Error("-C: the settings file must be an absolute path");
    } else if (opts.Value("-n", &count)) {
      unsigned long n = 0;
      if (opts.ok() && (!ParseUnsigned(count, 256, &n) || n == 0))
        opts.Error("-n: a count from 1 to 256 is needed");
      count_given = true;
      out->count = static_cast<unsigned>(n);
    } else {
      opts.Unknown();
    }
  }
  if (!opts.ok()) return Fail(err, opts.error());
  const std::vector<std::string> names = opts.Operands();
  if (create && stop) return Fail(err, "-c and -k exclude each other");
  if (count_given && !create) return Fail(err, "-n goes with -c");
  if (count_given && !names.empty())
    return Fail(err, "-c takes either tap names or -n COUNT, not both");
  out->mode = create ? StartTunMode::kCreate
              : stop ? StartTunMode::kStop
                     : StartTunMode::kConfigure;
  if (out->mode == StartTunMode::kConfigure && names.size() != 1)
    return Fail(err, "one interface name is needed");
  if (out->mode != StartTunMode::kConfigure && names.empty() && !count_given)
    return Fail(err, std::string(create ? "-c" : "-k") + ": interface names are needed");
  for (const std::string& name : names) {
    unsigned n = 0;
    std::string why;
    if (!ValidTapName(name, &n, &why)) return Fail(err, "\"" + name + "\": " + why);
    if (!TapInPlan(n)) return Fail(err, name + ": outside the address plan (N is 0-255)");
    if (create && name.compare(0, 3, "tap") != 0)
      return Fail(err, name + ": -c makes taps; name them tapN");
    if (std::find(out->interfaces.begin(), out->interfaces.end(), name) != out->interfaces.end())
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

std::string CreatedMarkPath(const std::string& ns_dir, const std::string& iface) {
  return ns_dir + "/" + iface + ".created";
}

std::string FormatCreatedMark(unsigned ifindex, uid_t owner) {
  return "ifindex " + std::to_string(ifindex) + " owner " + std::to_string(owner) + "\n";
}

bool ParseCreatedMark(const std::string& text, unsigned* ifindex, uid_t* owner) {
  std::istringstream in(text);
  std::string k1, v1, k2, v2, extra;
  if (!(in >> k1 >> v1 >> k2 >> v2) || (in >> extra) || k1 != "ifindex" || k2 != "owner")
    return false;
  unsigned long index = 0, uid = 0;
  if (!ParseUnsigned(v1, 0xffffffffUL, &index) || index == 0 ||
      !ParseUnsigned(v2, 0xffffffffUL, &uid))
    return false;
  *ifindex = static_cast<unsigned>(index);
  *owner = static_cast<uid_t>(uid);
  return true;
}

bool SudoMayActOn(const TapFacts& facts, uid_t uid, bool missing_ok, std::string* why) {
  const std::string me = "uid " + std::to_string(uid);
  if (!facts.exists) {
    // The name may be gone with the tap while our server and mark remain;
    // only the user the mark names may clean them up.
    if (missing_ok && facts.marked && facts.mark_owner == uid) return true;
    return Fail(why, "no such interface in this network namespace" +
                         std::string(facts.marked && facts.mark_owner != uid
                                         ? ", and its mark here is uid " +
                                               std::to_string(facts.mark_owner) + "'s"
                                         : ""));
  }
  if (!facts.tun_tap) return Fail(why, "not a tap (not a TUN/TAP device at all)");
  if (!facts.tap_mode) return Fail(why, "a TUN device in tun mode, not a tap");
  if (facts.owner < 0) return Fail(why, "a tap without an owner, which only root may use");
  if (static_cast<uid_t>(facts.owner) != uid)
    return Fail(why, "owned by uid " + std::to_string(facts.owner) + ", not by " + me);
  if (!facts.marked)
    return Fail(why,
                "not made by start-tun-interface -c in this network "
                "namespace");
  if (facts.mark_owner != uid || facts.mark_ifindex != facts.ifindex)
    return Fail(why, "not made by start-tun-interface -c for " + me +
                         " (its mark is of another tap or user)");
  return true;
}

Ipv4Net PlanNet(const Settings& s, unsigned number) {
  Ipv4Net net;
  net.addr = TapHostAddress(s, number) & kNetmask;
  net.prefix = 24;
  return net;
}

bool PlanNetFree(const Settings& s, const std::string& settings_path, const std::string& iface,
                 unsigned number, const std::vector<NetUse>& uses, std::string* why) {
  const Ipv4Net net = PlanNet(s, number);
  const NetUse* hit = FindOverlap(net, iface, uses);
  if (hit == nullptr) return true;
  return Fail(why, iface + ": its network " + FormatNet(net) + " overlaps " + DescribeNetUse(*hit) +
                       "; refused (the setting net_base in " + settings_path +
                       " moves the address plan)");
}

unsigned TapsOwnedBy(const std::vector<TapInfo>& taps, uid_t uid) {
  unsigned n = 0;
  for (const TapInfo& t : taps)
    if (t.owner >= 0 && static_cast<uid_t>(t.owner) == uid) ++n;
  return n;
}

int ConfigureTapInterface(const StartTunContext& ctx, const std::string& iface, unsigned number) {
  const Settings& s = ctx.settings;
  std::string err;
  // Everything that may refuse comes first, and changes nothing.
  if (!InterfaceExists(iface)) {
    Warn(iface + ": no such interface");
    return kExitRefused;
  }
  int status = kExitOk;
  if (!MayActOn(ctx, iface, false, &status)) return status;
  std::vector<NetUse> uses;
  if (!ReadNetUses(&uses, &err)) {
    Warn(err);
    return kExitSystem;
  }
  if (!NetworkFree(ctx, iface, number, uses)) return kExitRefused;
  int dirfd = -1;
  std::string why;
  std::vector<std::string> dir_notes;
  switch (OpenHostnameDir(s.hostname_dir, ctx.through_sudo, ctx.invoking_uid, &dirfd, &why)) {
    case HostnameDirStatus::kOpen: break;
    case HostnameDirStatus::kMissing: dir_notes.push_back(why); break;
    case HostnameDirStatus::kRefused:
      // Through sudo a directory someone else controls could make us read
      // or remove files that are not the user's: refuse the whole run.
      // Root chose the setting, and gets the note.
      if (ctx.through_sudo) {
        Warn("hostname_dir " + why);
        return kExitRefused;
      }
      dir_notes.push_back(why);
      break;
  }
  Fd dir_closer(dirfd);

  Fd lock(LockInterface(ctx, iface, &status));
  if (!lock.ok()) return status;
  // Another run may have changed the tap while we waited for the lock.
  if (!MayActOn(ctx, iface, false, &status)) return status;

  const uint32_t host = TapHostAddress(s, number);
  const uint32_t guest = TapGuestAddress(s, number);
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
  HostnameSearch found;
  found.notes = dir_notes;
  if (dirfd >= 0)
    found = FindGuestHostnameIn(dirfd, s.hostname_dir, ctx.invoking_uid, time(nullptr),
                                s.hostname_delete_age, s.hostname_max_age, getpid(), parent_of);
  for (const std::string& note : found.notes) Warn("hostname file " + note);

  DhcpConfig cfg;
  cfg.interface = iface;
  cfg.server = host;
  cfg.client = guest;
  cfg.netmask = kNetmask;
  // Only resolvers the guest can reach (guest_dns says why the others go).
  GuestDnsFacts dns;
  dns.setting_given = !s.dns.empty();
  dns.configured = ParseDnsList(s.dns);
  if (!dns.setting_given && !ReadNameservers("/etc/resolv.conf", &dns.resolv_conf, &err))
    Warn(err + "; the guest gets no DNS servers");
  dns.host_forwards = HostForwardsIpv4();
  for (const NetUse& use : uses)
    if (use.kind == NetUse::kAddress) dns.host_addresses.push_back(use.net.addr);
  const GuestDns offered = ChooseGuestDns(dns);
  if (!offered.note.empty()) Warn(iface + ": DNS: " + offered.note);
  cfg.dns = offered.servers;
  cfg.domain = s.domain;
  cfg.hostname = found.hostname;
  cfg.lease_time = s.lease_time;

  const std::string pidfile = DhcpPidFilePath(NsDir(ctx), iface);
  status = StopServer(ctx, iface, pidfile, false);
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
  if (!EnsureRunDir(s.run_dir, &err) || !EnsureRunDir(NsDir(ctx), &err)) {
    Warn(err);
    return kExitSystem;
  }
  // Runs of -c in one namespace take turns, so that taps counted against
  // max_taps_per_user are not made meanwhile by another run of the same
  // user, started at once to get round the limit.
  pid_t holder = 0;
  Fd create_lock(LockFileWait(NsDir(ctx) + "/create.lock", kLockWaitMs, &holder, &err));
  if (!create_lock.ok()) {
    Warn(holder != 0 ? "another start-tun-interface -c is at work: " + err : err);
    return holder != 0 ? kExitRefused : kExitSystem;
  }
  std::vector<NetUse> uses;
  if (!ReadNetUses(&uses, &err)) {
    Warn(err);
    return kExitSystem;
  }
  // Under sudo one user may not take every tap of the plan.
  unsigned owned = ctx.through_sudo ? TapsOwnedBy(ListTaps(), ctx.invoking_uid) : 0;
  const std::string limit_why =
      "uid " + std::to_string(ctx.invoking_uid) + " owns " + std::to_string(s.max_taps_per_user) +
      " taps in this network namespace, as many as max_taps_per_user in " + SettingsName(ctx) +
      " allows";
  std::vector<std::string> wanted = args.interfaces;
  std::vector<unsigned> numbers = args.numbers;
  const bool pick_free = args.count > 0;
  if (pick_free) {
    wanted.clear();
    numbers.clear();
    for (unsigned n = 0; TapInPlan(n); ++n) {
      wanted.push_back("tap" + std::to_string(n));
      numbers.push_back(n);
    }
  }
  int status = kExitOk;
  unsigned made = 0, colliding = 0;
  std::string first_collision;
  bool at_limit = false;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const std::string& name = wanted[i];
    if (pick_free && made == args.count) break;
    if (pick_free && InterfaceExists(name)) continue;
    std::string why;
    if (!PlanNetFree(s, SettingsName(ctx), name, numbers[i], uses, &why)) {
      if (pick_free) {
        // Skipped, and said once at the end if fewer are made.
        if (colliding++ == 0) first_collision = why;
        continue;
      }
      Warn(why);
      status = std::max(status, static_cast<int>(kExitRefused));
      continue;
    }
    if (ctx.through_sudo && owned >= s.max_taps_per_user) {
      at_limit = true;
      if (pick_free) break;
      Warn(name + ": refused: " + limit_why);
      status = std::max(status, static_cast<int>(kExitRefused));
      continue;
    }
    int locked = kExitOk;
    int lock = LockInterface(ctx, name, &locked);
    if (lock < 0) {
      status = std::max(status, locked);
      continue;
    }
    if (!CreatePersistentTap(name, ctx.invoking_uid, &err)) {
      const int errnum = errno;
      close(lock);
      // Taken meanwhile: look further when picking free names.
      if (pick_free && errnum == EEXIST) continue;
      Warn(err);
      status = std::max(status, errnum == EEXIST ? static_cast<int>(kExitRefused)
                                                 : static_cast<int>(kExitSystem));
      continue;
    }
    ++made;
    ++owned;
    unsigned index = if_nametoindex(name.c_str());
    if (index == 0 || !WriteCreatedMark(CreatedMarkPath(NsDir(ctx), name),
                                        FormatCreatedMark(index, ctx.invoking_uid), &err)) {
      Warn(name + ": created, but not marked as ours (-k will leave it): " +
           (index == 0 ? ErrnoMessage("if_nametoindex") : err));
      status = kExitSystem;
    }
    close(lock);
    printf("created %s: persistent tap, owner uid %u\n", name.c_str(),
           static_cast<unsigned>(ctx.invoking_uid));
  }
  fflush(stdout);
  if (pick_free && made < args.count) {
    std::string why = "no more free tapN names in the plan";
    if (at_limit)
      why = limit_why;
    else if (colliding > 0)
      why = std::to_string(colliding) +
            " free names of the plan overlap networks in use, the first "
            "thus: " +
            first_collision;
    Warn("only " + std::to_string(made) + " of " + std::to_string(args.count) +
         " taps created: " + why);
    status = std::max(status, static_cast<int>(kExitRefused));
  }
  return status;
}

int StopTaps(const StartTunContext& ctx, const StartTunArgs& args) {
  int status = kExitOk;
  for (size_t i = 0; i < args.interfaces.size(); ++i) {
    const std::string& iface = args.interfaces[i];
    int refused = kExitOk;
    if (!MayActOn(ctx, iface, true, &refused)) {
      status = std::max(status, refused);
      continue;
    }
    Fd lock(LockInterface(ctx, iface, &refused));
    if (!lock.ok()) {
      status = std::max(status, refused);
      continue;
    }
    if (!MayActOn(ctx, iface, true, &refused)) {
      status = std::max(status, refused);
      continue;
    }
    status = std::max(status, StopServer(ctx, iface, DhcpPidFilePath(NsDir(ctx), iface), true));
    const bool exists = InterfaceExists(iface);
    const std::string mark = CreatedMarkPath(NsDir(ctx), iface);
    std::string text, err;
    int errnum = 0;
    if (!ReadSmallFile(mark, &text, &err, &errnum)) {
      if (errnum != ENOENT) {
        Warn(err);
        status = std::max(status, static_cast<int>(kExitSystem));
      } else if (exists) {
        printf("%s: not created by start-tun-interface -c; left in place\n", iface.c_str());
        TakeOffPlanAddress(ctx, iface, args.numbers[i]);
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
    if (!exists || if_nametoindex(iface.c_str()) != index) {
      unlink(mark.c_str());
      printf("%s: the tap -c created is gone\n", iface.c_str());
      if (exists) TakeOffPlanAddress(ctx, iface, args.numbers[i]);
      continue;
    }
    if (!DeletePersistentTap(iface, &err)) {
      const bool busy = errno == EBUSY;
      Warn(busy ? iface + ": in use by a process (QEMU?); not removed" : err);
      status =
          std::max(status, busy ? static_cast<int>(kExitRefused) : static_cast<int>(kExitSystem));
      TakeOffPlanAddress(ctx, iface, args.numbers[i]);
      continue;
    }
    unlink(mark.c_str());
    printf("%s: removed\n", iface.c_str());
  }
  fflush(stdout);
  return status;
}

}  // namespace runall
