// update-dynamic-hosts: map a guest's hostname to its address in the
// dynamic section of the hosts file, or remove the mapping. See
// update-dynamic-hosts(8); the rules are in hosts_section, the locked write
// in hosts_file.
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fail.hpp"
#include "file_io.hpp"
#include "hosts_file.hpp"
#include "hosts_section.hpp"
#include "invoker.hpp"
#include "options.hpp"
#include "restrict_hosts.hpp"
#include "settings.hpp"
#include "sudo_hosts.hpp"
#include "tun.hpp"

using namespace runall;

namespace {

const char kSynopsis[] =
    "usage: update-dynamic-hosts [-v] [-C settings] [-f hostsfile] HOSTNAME IP\n"
    "       update-dynamic-hosts [-v] [-C settings] [-f hostsfile] -d HOSTNAME\n";
const char kHelp[] =
    "\n"
    "Maps HOSTNAME to IP between ##STARTDYNAMIC and ##ENDDYNAMIC in the hosts\n"
    "file, or with -d removes HOSTNAME from there. A name or address found\n"
    "outside that section is refused. Each line records its owner\n"
    "(# uid=UID); through sudo only the owner may change or remove it, only\n"
    "guest names may be mapped to the guest address of one's own tap, and\n"
    "-C and -f are refused.\n"
    "Exit: 0 done or nothing to do, 1 refused, 100 bad usage or argument,\n"
    "111 system error. See update-dynamic-hosts(8).\n";

[[noreturn]] void Usage(const std::string& message) {
  if (!message.empty()) Warn(message);
  ssize_t ignored = write(STDERR_FILENO, kSynopsis, strlen(kSynopsis));
  (void)ignored;
  exit(kExitUsage);
}

void Help() {
  fputs(kSynopsis, stdout);
  fputs(kHelp, stdout);
}

// Whether tapN is `uid`'s, asked in our own network namespace: sudo leaves
// us in the caller's, so a tap of the same name in another namespace never
// counts. The name is looked up by the kernel here (if_nametoindex); the
// kind and owner come from /sys/class/net, which shows the namespace sysfs
// was mounted in, so its ifindex must agree before its owner is believed.
bool CallerOwnsTap(uid_t uid, unsigned n, std::string* why) {
  const std::string name = "tap" + std::to_string(n);
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return Fail(why, name + " does not exist in this network namespace");
  TapInfo info;
  std::string text, err;
  FileCheck check;
  check.max_bytes = 64;
  if (!ReadTapInfo(name, &info) ||
      !ReadFileText("/sys/class/net/" + name + "/ifindex", check, &text, &err) ||
      strtoul(text.c_str(), nullptr, 10) != index)
    return Fail(why, name + " is not a TUN/TAP device");
  if (!info.tap) return Fail(why, name + " is a tun device, not a tap");
  if (info.owner < 0) return Fail(why, name + " has no owner");
  if (static_cast<uid_t>(info.owner) != uid)
    return Fail(why, name + " belongs to uid " + std::to_string(info.owner));
  return true;
}

// The host's own names, which no guest may take.
std::vector<std::string> HostNames() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return {};
  return OwnHostNames(name);
}

// What the command line asked for.
struct Request {
  std::string settings_path, hosts_path;  ///< -C, -f
  bool settings_given = false, hosts_given = false;
  bool remove = false;   ///< -d HOSTNAME
  bool verbose = false;  ///< -v
  std::string hostname, ip;
};

// Parses the arguments after argv[0]; exits with the usage on bad usage,
// with the help on --help.
Request ParseArgs(const std::vector<std::string>& args) {
  if (AsksForHelp(args)) {
    Help();
    exit(kExitOk);
  }
  Request req;
  // The values are taken as getopt takes them, and judged below: a
  // hostname "-guest" or "" is refused as a bad hostname.
  const ValueForm any = ValueForm::kAnyWord;
  OptionScanner opts(args);
  while (opts.Next()) {
    if (opts.Flag("-v"))
      req.verbose = true;
    else if (opts.Value("-d", &req.hostname, any))
      req.remove = true;
    else if (opts.Value("-C", &req.settings_path, any))
      req.settings_given = true;
    else if (opts.Value("-f", &req.hosts_path, any))
      req.hosts_given = true;
    else
      opts.Unknown();
  }
  if (!opts.ok()) Usage(opts.error());
  std::vector<std::string> operands = opts.Operands();
  if (req.remove ? !operands.empty() : operands.size() != 2)
    Usage(req.remove ? "-d takes the hostname; no other argument" : "expected HOSTNAME and IP");
  if (!req.remove) {
    req.hostname = operands[0];
    req.ip = operands[1];
  }
  return req;
}

// Through sudo a member maps only a guest of their own (see sudo_hosts.hpp)
// and, with restrict_hosts, only what the guest config allows; removing
// grants nothing, so both apply to additions only (a guest dropped from the
// config can still be removed). Exits on a refusal.
void CheckAllowed(const Request& req, const Settings& settings, const OwnsTap& owns_tap) {
  std::string err;
  if (RunThroughSudo() && !req.remove && settings.sudo_hosts == SudoHosts::kGuests &&
      (!CheckGuestName(req.hostname, settings.guest_domain, HostNames(), &err) ||
       !CheckGuestAddress(settings.net_base, req.ip, owns_tap, &err)))
    Fatal(kExitRefused, "refusing to map " + req.hostname + " to " + req.ip + ": " + err +
                            " (sudo_hosts = guests)");
  bool refused = false;
  if (settings.restrict_hosts && !req.remove &&
      !CheckRestrictedHost(settings, req.hostname, req.ip, geteuid() == 0, &refused, &err))
    Fatal(refused ? kExitRefused : kExitSystem, err);
}

// Says what the edit came to, and exits with the status for it.
[[noreturn]] void Report(const Request& req, const std::string& hosts_path,
                         const HostsFileResult& result) {
  switch (result.outcome) {
    case SectionEdit::kChanged:
      if (!result.why.empty()) Warn(hosts_path + ": note: " + result.why);
      if (req.verbose)
        Warn(hosts_path + ": " +
             (req.remove ? "removed " + req.hostname : req.ip + " " + req.hostname) +
             (result.write == HostsWrite::kInPlace
                  ? "; rewritten in place (rename gave EBUSY: a bind mount)"
                  : "; replaced by rename"));
      exit(kExitOk);
    case SectionEdit::kUnchanged:
    case SectionEdit::kNotFound:
      if (req.verbose || result.outcome == SectionEdit::kNotFound)
        Warn(hosts_path + ": " + result.why + "; nothing to do");
      exit(kExitOk);
    case SectionEdit::kRefused: Fatal(kExitRefused, hosts_path + ": " + result.why);
    case SectionEdit::kInvalid: break;
  }
  Fatal(kExitUsage, result.why);
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  const Request req = ParseArgs(std::vector<std::string>(argv + 1, argv + argc));
  // A sudo user must not choose which files a root helper reads or writes.
  if (RunThroughSudo() && (req.settings_given || req.hosts_given))
    Fatal(kExitUsage, std::string(req.settings_given ? "-C" : "-f") +
                          ": refused when run through sudo (SUDO_UID is set)");
  std::string err;
  if (!CheckDynamicHostname(req.hostname, &err) ||
      (!req.remove && !CheckDynamicAddress(req.ip, nullptr, &err)))
    Fatal(kExitUsage, err);

  bool uid_ok = true;
  const uid_t uid = InvokingUid(&uid_ok);
  if (!uid_ok) Fatal(kExitUsage, "SUDO_UID: not a uid");
  Settings settings = DefaultSettings();
  if (!LoadSettings(req.settings_given ? req.settings_path : DefaultSettingsPath(), geteuid() == 0,
                    req.settings_given, &settings, &err))
    Fatal(kExitSystem, err);
  const std::string hosts_path = req.hosts_given ? req.hosts_path : settings.hosts_file;
  // Every program on the host resolves through this file.
  const OwnsTap owns_tap = [uid](unsigned n, std::string* why) {
    return CallerOwnsTap(uid, n, why);
  };
  CheckAllowed(req, settings, owns_tap);

  // Whose line it is decides a change or removal (SectionRules).
  SectionRules rules;
  rules.uid = uid;
  rules.through_sudo = RunThroughSudo();
  rules.max_per_user = settings.hosts_max_per_user;
  rules.max_entries = settings.hosts_max_entries;
  rules.owns_guest_address = OwnsGuestAddress(settings.net_base, owns_tap);
  HostsFileResult result;
  DynamicHostEdit edit;
  edit.hostname = req.hostname;
  edit.ip = req.ip;
  edit.remove = req.remove;
  if (!EditDynamicHosts(hosts_path, edit, rules, HostsFileOptions(), &result, &err))
    Fatal(kExitSystem, err);
  Report(req, hosts_path, result);
}
