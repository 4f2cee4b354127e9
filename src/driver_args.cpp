#include "driver_args.hpp"

#include <algorithm>

#include "validate.hpp"

namespace runall {

namespace {

// An option that takes a value: "-j 4" or "-j4"; "--tap FILE" or
// "--tap=FILE". Returns false (with *err) when the value is missing.
bool TakeValue(const std::vector<std::string>& args, size_t* i,
               const std::string& name, std::string* value, std::string* err) {
  const std::string& arg = args[*i];
  if (arg.size() > name.size()) {
    // Attached: "-j4", or "--tap=FILE" for long options.
    if (name.compare(0, 2, "--") == 0) {
      *value = arg.substr(name.size() + 1);
    } else {
      *value = arg.substr(name.size());
    }
  } else {
    if (*i + 1 >= args.size()) {
      *err = name + " needs a value";
      return false;
    }
    *value = args[++*i];
  }
  if (value->empty()) {
    *err = name + ": empty value";
    return false;
  }
  return true;
}

bool Matches(const std::string& arg, const std::string& name, bool attached) {
  if (arg == name) return true;
  if (!attached || arg.compare(0, name.size(), name) != 0) return false;
  // "--tap=FILE" but not "--tapx"; "-j4" but "-sn" is its own option.
  if (name.compare(0, 2, "--") == 0) return arg[name.size()] == '=';
  return true;
}

bool SetOnce(std::string* field, const std::string& value,
             const std::string& name, std::string* err) {
  if (!field->empty()) {
    *err = name + " given twice";
    return false;
  }
  *field = value;
  return true;
}

}  // namespace

bool ParseDriverArgs(const std::vector<std::string>& args, DriverArgs* out,
                     std::string* err) {
  DriverArgs a;
  bool jobs_given = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.empty() || arg[0] != '-' || arg == "-") break;  // first OS name
    std::string value;
    if (arg == "--help" || arg == "-h") {
      a.help = true;
    } else if (arg == "-s" || arg == "-sn" || arg == "-sf") {
      if (a.copy != CopyMode::kNone) {
        *err = "only one of -s, -sn, -sf, once";
        return false;
      }
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        *err = arg + " needs the script as the next argument";
        return false;
      }
      a.copy = arg == "-s" ? CopyMode::kInteractive
               : arg == "-sn" ? CopyMode::kNever
                              : CopyMode::kForce;
      a.script = args[++i];
    } else if (arg == "-q") {
      a.quiet = true;
    } else if (arg == "--shutdown") {
      a.shutdown = true;
    } else if (arg == "--stop") {
      a.stop = true;
    } else if (Matches(arg, "-j", true)) {
      if (!TakeValue(args, &i, "-j", &value, err)) return false;
      unsigned long n = 0;
      if (jobs_given) {
        *err = "-j given twice";
        return false;
      }
      if (!ParseUnsigned(value, kMaxJobs, &n) || n == 0) {
        *err = "-j " + value + ": not a number from 1 to " +
               std::to_string(kMaxJobs);
        return false;
      }
      a.jobs = static_cast<unsigned>(n);
      jobs_given = true;
    } else if (Matches(arg, "--tap", true)) {
      if (!TakeValue(args, &i, "--tap", &value, err) ||
          !SetOnce(&a.tap_file, value, "--tap", err))
        return false;
    } else if (Matches(arg, "-C", true)) {
      if (!TakeValue(args, &i, "-C", &value, err) ||
          !SetOnce(&a.settings_file, value, "-C", err))
        return false;
    } else if (Matches(arg, "-c", true)) {
      if (!TakeValue(args, &i, "-c", &value, err) ||
          !SetOnce(&a.guests_file, value, "-c", err))
        return false;
    } else if (Matches(arg, "-l", true)) {
      if (!TakeValue(args, &i, "-l", &value, err) ||
          !SetOnce(&a.log_file, value, "-l", err))
        return false;
    } else if (Matches(arg, "--log-dir", true)) {
      if (!TakeValue(args, &i, "--log-dir", &value, err) ||
          !SetOnce(&a.log_dir, value, "--log-dir", err))
        return false;
    } else if (Matches(arg, "-i", true)) {
      if (!TakeValue(args, &i, "-i", &value, err) ||
          !SetOnce(&a.identity, value, "-i", err))
        return false;
    } else {
      *err = "unknown option " + arg;
      return false;
    }
  }
  for (; i < args.size(); ++i) {
    const std::string& name = args[i];
    if (!name.empty() && name[0] == '-' && name != "-") {
      *err = "option " + name + " after an OS name: options go first";
      return false;
    }
    std::string why;
    // OS names become file names (LAUNCHDIR/HOST, the up-file): only a
    // valid hostname may get that far.
    if (!ValidHostname(name, &why)) {
      *err = "OS name \"" + name + "\": " + why;
      return false;
    }
    if (std::find(a.guests.begin(), a.guests.end(), name) == a.guests.end())
      a.guests.push_back(name);
  }
  if (a.stop && a.copy != CopyMode::kNone) {
    *err = "--stop runs no script: leave out -s";
    return false;
  }
  if (a.stop && a.shutdown) {
    *err = "--stop already shuts the guests down: leave out --shutdown";
    return false;
  }
  *out = a;
  return true;
}

bool HasPathOption(const DriverArgs& args) {
  return !args.settings_file.empty() || !args.guests_file.empty() ||
         !args.log_file.empty() || !args.tap_file.empty() ||
         !args.log_dir.empty() || !args.identity.empty();
}

std::string DriverUsage(const std::string& program) {
  const std::string& p = program;
  return "usage: " + p +
         " [-q] [-j N] [--shutdown] [--tap FILE] [-C SETTINGS]\n"
         "        [-c GUESTS] [-l LOG] [--log-dir DIR] [-i IDENTITY]\n"
         "        [-s|-sn|-sf SCRIPT] [OS ...]\n"
         "       " + p +
         " [-q] [-j N] [-C SETTINGS] [-c GUESTS] [-l LOG]\n"
         "        [--log-dir DIR] [-i IDENTITY] --stop [OS ...]\n"
         "       " + p + " --help\n"
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
         "  --tap FILE   also write the results as TAP to FILE (- for stdout)\n"
         "  -C SETTINGS  settings file instead of the installed one\n"
         "  -c GUESTS    guest config file instead of the settings' one\n"
         "  -l LOG       log file instead of the settings' one (- for stderr)\n"
         "  --log-dir DIR\n"
         "               per-guest logs (script output, QEMU console) here\n"
         "               (default ~/.local/state/runall/logs)\n"
         "  -i IDENTITY  ssh private key for the guests (default: ssh's own)\n"
         "  -q           no progress line and no summary table\n"
         "Exit status: 0 every guest passed, 1 some did not, 100 bad usage,\n"
         "111 system error, 130 interrupted.\n";
}

bool PlanScript(const std::string& script, const std::string& common_ro_host,
                ScriptPlan* plan, std::string* err) {
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

CopyStep DecideCopy(CopyMode mode, bool exists, bool identical,
                    bool can_ask) {
  if (!exists) return CopyStep::kCopy;
  if (identical) return CopyStep::kKeep;
  switch (mode) {
    case CopyMode::kForce:
      return CopyStep::kCopy;
    case CopyMode::kNever:
      return CopyStep::kKeepOther;
    case CopyMode::kInteractive:
    case CopyMode::kNone:
      break;
  }
  return can_ask ? CopyStep::kAsk : CopyStep::kRefuse;
}

}  // namespace runall
