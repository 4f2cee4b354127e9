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
  if (index == 0)
    return Fail(why, name + " does not exist in this network namespace");
  TapInfo info;
  std::string text, err;
  FileCheck check;
  check.max_bytes = 64;
  if (!ReadTapInfo(name, &info) ||
      !ReadFileText("/sys/class/net/" + name + "/ifindex", check, &text,
                    &err) ||
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

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; ++i) {
    if (strcmp(argv[i], "--help") == 0) {
      Help();
      return kExitOk;
    }
  }
  std::string settings_path, hosts_path, remove;
  bool have_settings = false, have_hosts = false, have_remove = false;
  bool verbose = false;
  int opt;
  opterr = 0;
  while ((opt = getopt(argc, argv, "+C:f:d:vh")) != -1) {
    switch (opt) {
      case 'C':
        settings_path = optarg;
        have_settings = true;
        break;
      case 'f':
        hosts_path = optarg;
        have_hosts = true;
        break;
      case 'd':
        remove = optarg;
        have_remove = true;
        break;
      case 'v':
        verbose = true;
        break;
      case 'h':
        Help();
        return kExitOk;
      default:
        Usage(std::string("unknown option or missing argument: -") +
              static_cast<char>(optopt));
    }
  }
  int operands = argc - optind;
  if (have_remove ? operands != 0 : operands != 2)
    Usage(have_remove ? "-d takes the hostname; no other argument"
                      : "expected HOSTNAME and IP");
  // A sudo user must not choose which files a root helper reads or writes.
  if (RunThroughSudo() && (have_settings || have_hosts))
    Fatal(kExitUsage, std::string(have_settings ? "-C" : "-f") +
                          ": refused when run through sudo (SUDO_UID is set)");

  const std::string hostname = have_remove ? remove : argv[optind];
  const std::string ip = have_remove ? "" : argv[optind + 1];
  std::string err;
  if (!CheckDynamicHostname(hostname, &err) ||
      (!have_remove && !CheckDynamicAddress(ip, nullptr, &err)))
    Fatal(kExitUsage, err);

  const bool privileged = geteuid() == 0;
  const bool through_sudo = RunThroughSudo();
  bool uid_ok = true;
  const uid_t uid = InvokingUid(&uid_ok);
  if (!uid_ok) Fatal(kExitUsage, "SUDO_UID: not a uid");
  Settings settings = DefaultSettings();
  if (!LoadSettings(have_settings ? settings_path : DefaultSettingsPath(),
                    privileged, have_settings, &settings, &err))
    Fatal(kExitSystem, err);
  if (!have_hosts) hosts_path = settings.hosts_file;

  // Every program on the host resolves through this file: through sudo a
  // member names only a guest of their own (see sudo_hosts.hpp).
  // Removing grants nothing; whose line it is decides (SectionRules).
  const OwnsTap owns_tap = [uid](unsigned n, std::string* why) {
    return CallerOwnsTap(uid, n, why);
  };
  if (through_sudo && !have_remove &&
      settings.sudo_hosts == SudoHosts::kGuests &&
      (!CheckGuestName(hostname, settings.guest_domain, HostNames(), &err) ||
       !CheckGuestAddress(settings.net_base, ip, owns_tap, &err)))
    Fatal(kExitRefused, "refusing to map " + hostname + " to " + ip + ": " +
                            err + " (sudo_hosts = guests)");

  // Removing a mapping grants nothing, so the restriction applies to
  // additions only: a guest dropped from the config can still be removed.
  bool refused = false;
  if (settings.restrict_hosts && !have_remove &&
      !CheckRestrictedHost(settings, hostname, ip, privileged, &refused, &err))
    Fatal(refused ? kExitRefused : kExitSystem, err);

  SectionRules rules;
  rules.uid = uid;
  rules.through_sudo = through_sudo;
  rules.max_per_user = settings.hosts_max_per_user;
  rules.max_entries = settings.hosts_max_entries;
  rules.owns_guest_address = OwnsGuestAddress(settings.net_base, owns_tap);
  HostsFileResult result;
  auto edit = [&](const std::string& old_text, std::string* out,
                  std::string* why) {
    return have_remove
               ? UnmapDynamicHost(old_text, hostname, rules, out, why)
               : MapDynamicHost(old_text, hostname, ip, rules, out, why);
  };
  if (!EditHostsFile(hosts_path, edit, HostsFileOptions(), &result, &err))
    Fatal(kExitSystem, err);

  switch (result.outcome) {
    case SectionEdit::kChanged:
      if (!result.why.empty()) Warn(hosts_path + ": note: " + result.why);
      if (verbose)
        Warn(hosts_path + ": " +
             (have_remove ? "removed " + hostname : ip + " " + hostname) +
             (result.write == HostsWrite::kInPlace
                  ? "; rewritten in place (rename gave EBUSY: a bind mount)"
                  : "; replaced by rename"));
      return kExitOk;
    case SectionEdit::kUnchanged:
    case SectionEdit::kNotFound:
      if (verbose || result.outcome == SectionEdit::kNotFound)
        Warn(hosts_path + ": " + result.why + "; nothing to do");
      return kExitOk;
    case SectionEdit::kRefused:
      Fatal(kExitRefused, hosts_path + ": " + result.why);
    case SectionEdit::kInvalid:
      Fatal(kExitUsage, result.why);
  }
  return kExitOk;
}
