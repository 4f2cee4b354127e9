#include "driver.hpp"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "console.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "guest_run.hpp"
#include "interrupt.hpp"
#include "invoker.hpp"
#include "log.hpp"
#include "proc.hpp"
#include "qemu_launch.hpp"  // WriteFileAtomically
#include "report.hpp"
#include "script_copy.hpp"
#include "settings.hpp"
#include "spawn.hpp"
#include "ssh.hpp"

#ifndef RUNALL_BINDIR
#define RUNALL_BINDIR "/usr/local/bin"
#endif

namespace runall {

// --- pure helpers -------------------------------------------------------------

std::vector<size_t> SelectGuests(const std::vector<GuestRecord>& records,
                                 const std::vector<std::string>& names,
                                 std::vector<std::string>* missing) {
  std::vector<size_t> picked;
  missing->clear();
  auto same = [](const std::string& a, const std::string& b) {
    return a.size() == b.size() && strncasecmp(a.c_str(), b.c_str(), a.size()) == 0;
  };
  for (size_t i = 0; i < records.size(); ++i) {
    if (names.empty()) {
      picked.push_back(i);
      continue;
    }
    for (const std::string& n : names)
      if (same(n, records[i].hostname)) {
        picked.push_back(i);
        break;
      }
  }
  for (const std::string& n : names) {
    bool found = false;
    for (const GuestRecord& r : records)
      if (same(n, r.hostname)) found = true;
    if (!found) missing->push_back(n);
  }
  return picked;
}

std::string DefaultLogDir(const char* xdg_state_home, const std::string& home) {
  if (xdg_state_home != nullptr && xdg_state_home[0] == '/')
    return std::string(xdg_state_home) + "/runall/logs";
  return home + "/.local/state/runall/logs";
}

namespace {

std::string HomeDirectory() {
  const char* home = getenv("HOME");
  if (home != nullptr && home[0] == '/') return home;
  struct passwd* pw = getpwuid(getuid());
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "/";
}

// --- preparing the script ----------------------------------------------------

// Reads one answer line from the terminal (cp -i's question).
bool AskYes(const std::string& question) {
  std::string q = std::string(ProgramName()) + ": " + question + " (y/n [n]) ";
  WriteAll(STDERR_FILENO, q);
  std::string answer;
  char c;
  while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n') answer += c;
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

// The article's -s handling: a script under the shared read-only directory
// runs from there; any other is copied there first (cp -i, -n or -f) and
// made executable. Returns its name under that directory, or exits.
std::string PrepareScript(const DriverArgs& args, const Settings& settings, Log* log) {
  ScriptPlan plan;
  std::string err;
  if (!PlanScript(args.script, settings.common_ro_host, &plan, &err))
    Fatal(kExitUsage, err);
  std::string target = settings.common_ro_host + "/" + plan.name;
  struct stat st;
  if (!plan.copy) {
    if (stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      Fatal(kExitUsage, "script not specified or not a regular file: " + args.script);
    return plan.name;
  }
  if (stat(args.script.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    Fatal(kExitUsage, "script not specified or not a regular file: " + args.script);
  if (!MakeDirs(settings.common_ro_host, 0755, &err)) Fatal(kExitSystem, err);
  bool exists = lstat(target.c_str(), &st) == 0;
  bool identical = false;
  if (exists && !FilesIdentical(args.script, target, &identical, &err))
    Fatal(kExitSystem, err);
  bool can_ask = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
  CopyStep step = DecideCopy(args.copy, exists, identical, can_ask);
  if (step == CopyStep::kAsk)
    step = AskYes("overwrite " + target + "?") ? CopyStep::kCopy : CopyStep::kKeepOther;
  switch (step) {
    case CopyStep::kCopy:
      log->Cmd("", {"cp", args.script, target});
      if (!CopyScript(args.script, target, &err)) Fatal(kExitSystem, err);
      break;
    case CopyStep::kKeep:
      log->Msg("", target + " is already this script");
      break;
    case CopyStep::kKeepOther:
      log->Msg("", target + " differs from " + args.script +
                       " and is not overwritten; running it as it is");
      break;
    case CopyStep::kRefuse:
      Fatal(kExitRefused, target + " exists and differs from " + args.script +
                              ": nobody to ask (no terminal); use -sf to overwrite "
                              "it or -sn to run it as it is");
    case CopyStep::kAsk:
      break;
  }
  if (step != CopyStep::kCopy) {
    log->Cmd("", {"chmod", "u+x", target});
    if (!MakeUserExecutable(target, &err)) Fatal(kExitSystem, err);
  }
  return plan.name;
}

// runqemuos beside our own program (a build tree, or an installed bin
// directory), else the installed one.
std::string FindRunqemuos() {
  std::string self, err;
  if (SelfExe(&self, &err)) {
    std::string beside = DirName(self) + "/runqemuos";
    if (access(beside.c_str(), X_OK) == 0) return beside;
  }
  return std::string(RUNALL_BINDIR) + "/runqemuos";
}
}  // namespace

int RunDriver(const DriverArgs& args) {
  if (HasPathOption(args) && RunThroughSudo())
    Fatal(kExitUsage, "options naming files (-C, -c, -l, --log-dir, --tap, -i) "
                      "are refused when run through sudo");
  Shared s;
  s.args = args;
  s.root = geteuid() == 0;
  std::string err;
  s.settings = DefaultSettings();
  s.settings_path = args.settings_file;
  std::string settings_path =
      args.settings_file.empty() ? DefaultSettingsPath() : args.settings_file;
  if (!LoadSettings(settings_path, false, !args.settings_file.empty(), &s.settings, &err))
    Fatal(kExitUsage, err);
  std::string guests_path = args.guests_file.empty() ? s.settings.guests_file
                                                     : args.guests_file;
  std::vector<GuestRecord> records;
  if (!LoadGuestConfig(guests_path, s.settings, &records, &err))
    Fatal(kExitUsage, err);

  Log log;
  std::string log_path = args.log_file.empty() ? s.settings.log_file : args.log_file;
  if (log_path == "-") log_path.clear();
  if (!log.OpenFile(log_path, &err)) Fatal(kExitSystem, err);
  s.log = &log;

  // Nobody may be left unable to stop us: the handlers make every wait end
  // at once, and the run then reports what it had.
  if (!InstallInterruptHandlers(&err)) Fatal(kExitSystem, err);
  // A closed terminal or pipe must not kill the driver half-way.
  signal(SIGPIPE, SIG_IGN);

  bool progress = !args.quiet && isatty(STDERR_FILENO);
  Console console(progress, args.jobs > 1);
  s.console = &console;
  if (log.ToStderr())
    log.SetWriter([&console](const std::string& line) {
      console.Text(STDERR_FILENO, line);
    });

  const std::string home = HomeDirectory();
  s.log_dir = args.log_dir.empty() ? DefaultLogDir(getenv("XDG_STATE_HOME"), home)
                                   : args.log_dir;
  s.up_dir = s.settings.up_dir.empty() ? s.settings.common_rw_host : s.settings.up_dir;
  s.runqemuos = FindRunqemuos();
  const char* path_env = getenv("PATH");
  if (!FindInPath("ssh", path_env ? path_env : "", &s.ssh.program))
    Fatal(kExitSystem, "ssh not found in PATH");
  s.ssh.known_hosts = s.settings.known_hosts.empty() ? DefaultKnownHosts(home)
                                                     : s.settings.known_hosts;
  s.ssh.identity = args.identity;
  if (!args.identity.empty() && access(args.identity.c_str(), R_OK) != 0)
    Fatal(kExitUsage, ErrnoMessage("-i " + args.identity));

  if (args.guests.empty()) log.Msg("", "No operating systems specified; assuming all");
  std::vector<std::string> missing;
  std::vector<size_t> picked = SelectGuests(records, args.guests, &missing);

  // Bad input (above, and a script that is not there) changes nothing;
  // only then are the script copied and runall's own directories made.
  if (args.copy != CopyMode::kNone) s.script_name = PrepareScript(args, s.settings, &log);
  if (!MakeDirs(s.log_dir, 0700, &err)) Fatal(kExitSystem, err);
  if (!MakeDirs(DirName(s.ssh.known_hosts), 0700, &err)) Fatal(kExitSystem, err);

  std::vector<GuestResult> results(picked.size());
  for (size_t i = 0; i < picked.size(); ++i) {
    results[i].host = records[picked[i]].hostname;
    results[i].status = GuestStatus::kNotRun;
  }
  std::atomic<size_t> next(0);
  auto worker = [&]() {
    while (true) {
      size_t i = next++;
      if (i >= picked.size()) return;
      if (Interrupted()) continue;  // left as "not run"
      const GuestRecord& guest = records[picked[i]];
      results[i] = args.stop ? StopGuest(s, guest) : RunGuest(s, guest);
    }
  };
  unsigned jobs = std::min<unsigned>(args.jobs, std::max<size_t>(picked.size(), 1));
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }

  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) {
      list += " " + m;
      GuestResult r;
      r.host = m;
      r.status = GuestStatus::kNotFound;
      r.detail = "not in " + guests_path;
      results.push_back(r);
    }
    log.Error("", "Not found:" + list);
  }
  if (Interrupted())
    log.Error("", std::string("Interrupted by ") + strsignal(InterruptSignal()) +
                      "; guests are left as they are");

  if (!args.quiet) console.Text(STDOUT_FILENO, "\n" + SummaryTable(results));
  if (!args.tap_file.empty()) {
    std::string tap = TapReport(results);
    if (args.tap_file == "-") {
      console.Text(STDOUT_FILENO, tap);
    } else {
      std::string dir = DirName(args.tap_file);
      std::string name = args.tap_file.substr(args.tap_file.rfind('/') + 1);
      if (!WriteFileAtomically(dir, name, tap, &err)) {
        Warn(err);
        return kExitSystem;
      }
    }
  }
  return RunExitStatus(results, Interrupted());
}

}  // namespace runall
