#include "driver_args.hpp"

#include <algorithm>

#include "fail.hpp"
#include "options.hpp"
#include "shard.hpp"
#include "validate.hpp"

namespace runall {

bool ParseDriverArgs(const std::vector<std::string>& args, DriverArgs* out, std::string* err) {
  DriverArgs a;
  if (AsksForHelp(args)) {
    a.help = true;
    *out = a;
    return true;
  }
  OptionScanner opts(args);
  while (opts.Next()) {
    std::string jobs, shard;
    if (opts.Flag("-s") || opts.Flag("-sn") || opts.Flag("-sf")) {
      const std::string w = opts.word();
      if (a.copy != CopyMode::kNone) opts.Error("only one of -s, -sn, -sf, once");
      if (!opts.TakeNextWord(&a.script) || a.script.empty())
        opts.Error(w + " needs the script as the next argument");
      a.copy = w == "-s"    ? CopyMode::kInteractive
               : w == "-sn" ? CopyMode::kNever
                            : CopyMode::kForce;
    } else if (opts.Flag("-q")) {
      a.quiet = true;
    } else if (opts.Flag("--shutdown")) {
      a.shutdown = true;
    } else if (opts.Flag("--stop")) {
      a.stop = true;
    } else if (opts.Flag("--fresh")) {
      a.fresh = true;
    } else if (opts.Value("-j", &jobs)) {
      unsigned long n = 0;
      if (opts.ok() && (!ParseUnsigned(jobs, kMaxJobs, &n) || n == 0))
        opts.Error("-j " + jobs + ": not a number from 1 to " + std::to_string(kMaxJobs));
      a.jobs = static_cast<unsigned>(n);
    } else if (opts.Value("--shard", &shard)) {
      std::string why;
      if (opts.ok() && !ParseShard(shard, &a.shard, &a.shards, &why)) opts.Error(why);
    } else if (!opts.Value("--tap", &a.tap_file) && !opts.Value("--junit", &a.junit_file) &&
               !opts.Value("-C", &a.settings_file) && !opts.Value("-c", &a.guests_file) &&
               !opts.Value("-l", &a.log_file) && !opts.Value("--log-dir", &a.log_dir) &&
               !opts.Value("-i", &a.identity)) {
      opts.Unknown();
    }
  }
  if (!opts.ok()) return Fail(err, opts.error());
  for (const std::string& name : opts.Operands()) {
    if (!name.empty() && name[0] == '-' && name != "-")
      return Fail(err, "option " + name + " after an OS name: options go first");
    std::string why;
    // OS names become file names (LAUNCHDIR/HOST, the up-file): only a
    // valid hostname may get that far.
    if (!ValidHostname(name, &why)) return Fail(err, "OS name \"" + name + "\": " + why);
    if (std::find(a.guests.begin(), a.guests.end(), name) == a.guests.end())
      a.guests.push_back(name);
  }
  if (a.stop && a.copy != CopyMode::kNone) return Fail(err, "--stop runs no script: leave out -s");
  if (a.stop && a.fresh) return Fail(err, "--stop boots no guest: leave out --fresh");
  if (a.stop && a.shutdown)
    return Fail(err, "--stop already shuts the guests down: leave out --shutdown");
  *out = a;
  return true;
}

bool HasPathOption(const DriverArgs& args) {
  return !args.settings_file.empty() || !args.guests_file.empty() || !args.log_file.empty() ||
         !args.tap_file.empty() || !args.junit_file.empty() || !args.log_dir.empty() ||
         !args.identity.empty();
}

std::string DriverUsage(const std::string& program) {
  const std::string& p = program;
  return "usage: " + p +
         " [-q] [-j N] [--shutdown] [--fresh] [--tap FILE] [--junit FILE]\n"
         "        [--shard K/N] [-C SETTINGS] [-c GUESTS] [-l LOG]\n"
         "        [--log-dir DIR] [-i IDENTITY] [-s|-sn|-sf SCRIPT] [OS ...]\n"
         "       " +
         p +
         " [-q] [-j N] [--shard K/N] [-C SETTINGS]\n"
         "        [-c GUESTS] [-l LOG] [--log-dir DIR] [-i IDENTITY] --stop [OS ...]\n"
         "       " +
         p +
         " --help\n"
         "Boots the named guests (all in the guest config file if none is\n"
         "named) unless they are up, and runs SCRIPT on each over ssh.\n"
         "  -s SCRIPT    copy SCRIPT into the shared read-only directory,\n"
         "               asking before overwriting a different file there\n"
         "  -sn SCRIPT   the same, but never overwrite (run the file there)\n"
         "  -sf SCRIPT   the same, overwriting\n"
         "               (a SCRIPT already under that directory is not copied)\n"
         "  -j N         handle up to N guests at once (default 1)\n"
         "  --shutdown   power each guest off after its run\n"
         "  --stop       only shut the guests down, then exit\n"
         "  --fresh      boot a guest that is down, never resume it, and\n"
         "               replace its saved state (resume = yes or throwaway)\n"
         "  --tap FILE   also write the results as TAP to FILE (- for stdout)\n"
         "  --junit FILE also write them as JUnit XML, with each guest's output\n"
         "               of this run, to FILE (- for stdout)\n"
         "  --shard K/N  only shard K of N of the selected guests (in config\n"
         "               order, every Nth from the Kth): N hosts running\n"
         "               shards 1/N to N/N run every guest once\n"
         "  -C SETTINGS  settings file instead of the installed one\n"
         "  -c GUESTS    guest config file instead of the settings' one\n"
         "  -l LOG       log file instead of the settings' one (- for stderr)\n"
         "  --log-dir DIR\n"
         "               per-guest logs (script output, QEMU console) here\n"
         "               (default ~/.local/state/runall/logs)\n"
         "  -i IDENTITY  ssh private key for the guests (default: ssh's own)\n"
         "  -q           no progress line and no summary table\n"
         "Settings: -C, else the system-wide runall.conf and runall-guests\n"
         "when either exists, else your own in ~/.config/runall/\n"
         "($XDG_CONFIG_HOME), with images, launch files and shares in\n"
         "~/.local/share/runall/ and the user-mode network.\n"
         "A guest with network = user runs on QEMU's own network: no sudo, no\n"
         "tap, no hostname file, no /etc/hosts entry, no /etc/qemu-ifup, no\n"
         "privileged helper; ssh goes to the port of 127.0.0.1 QEMU forwards\n"
         "to the guest, which cannot be reached by name nor reach other guests.\n"
         "Exit status: 0 every guest passed, 1 some did not, 100 bad usage,\n"
         "111 system error, 130 interrupted.\n";
}

bool PlanScript(const std::string& script, const std::string& common_ro_host, ScriptPlan* plan,
                std::string* err) {
  ScriptPlan p;
  p.source = script;
  std::string dir = common_ro_host;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string prefix = dir + "/";
  if (!dir.empty() && script.compare(0, prefix.size(), prefix) == 0) {
    p.copy = false;
    p.name = script.substr(prefix.size());
  } else {
    p.copy = true;
    size_t slash = script.rfind('/');
    p.name = slash == std::string::npos ? script : script.substr(slash + 1);
  }
  if (p.name.empty()) {
    *err = "script " + script + ": names a directory, not a file";
    return false;
  }
  // The name is joined to the guest's read-only directory: ".." would leave
  // it, and an empty component or "." is a typing error.
  size_t start = 0;
  while (start <= p.name.size()) {
    size_t end = p.name.find('/', start);
    if (end == std::string::npos) end = p.name.size();
    std::string part = p.name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      *err = "script " + script + ": bad path under " + dir;
      return false;
    }
    start = end + 1;
  }
  *plan = p;
  return true;
}

CopyStep DecideCopy(CopyMode mode, bool exists, bool identical, bool can_ask) {
  if (!exists) return CopyStep::kCopy;
  if (identical) return CopyStep::kKeep;
  switch (mode) {
    case CopyMode::kForce: return CopyStep::kCopy;
    case CopyMode::kNever: return CopyStep::kKeepOther;
    case CopyMode::kInteractive:
    case CopyMode::kNone: break;
  }
  return can_ask ? CopyStep::kAsk : CopyStep::kRefuse;
}

}  // namespace runall
