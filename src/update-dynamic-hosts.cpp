// update-dynamic-hosts: map a guest's hostname to its address in the
// dynamic section of the hosts file, or remove the mapping. See
// update-dynamic-hosts(8); the rules are in hosts_section, the locked write
// in hosts_file.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "fail.hpp"
#include "restrict_hosts.hpp"
#include "hosts_file.hpp"
#include "hosts_section.hpp"
#include "invoker.hpp"
#include "settings.hpp"

using namespace runall;

namespace {

const char kSynopsis[] =
    "usage: update-dynamic-hosts [-v] [-C settings] [-f hostsfile] HOSTNAME IP\n"
    "       update-dynamic-hosts [-v] [-C settings] [-f hostsfile] -d HOSTNAME\n";
const char kHelp[] =
    "\n"
    "Maps HOSTNAME to IP between ##STARTDYNAMIC and ##ENDDYNAMIC in the hosts\n"
    "file, or with -d removes HOSTNAME from there. A name or address found\n"
    "outside that section is refused. -C and -f are refused under sudo.\n"
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
  Settings settings = DefaultSettings();
  if (!LoadSettings(have_settings ? settings_path : DefaultSettingsPath(),
                    privileged, have_settings, &settings, &err))
    Fatal(kExitSystem, err);
  if (!have_hosts) hosts_path = settings.hosts_file;

  // Removing a mapping grants nothing, so the restriction applies to
  // additions only: a guest dropped from the config can still be removed.
  bool refused = false;
  if (settings.restrict_hosts && !have_remove &&
      !CheckRestrictedHost(settings, hostname, ip, privileged, &refused, &err))
    Fatal(refused ? kExitRefused : kExitSystem, err);

  HostsFileResult result;
  auto edit = [&](const std::string& old_text, std::string* out,
                  std::string* why) {
    return have_remove ? UnmapDynamicHost(old_text, hostname, out, why)
                       : MapDynamicHost(old_text, hostname, ip, out, why);
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
