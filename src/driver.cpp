#include "driver.hpp"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "clock.hpp"
#include "console.hpp"
#include "fail.hpp"
#include "file_io.hpp"
#include "guest_log.hpp"
#include "guest_ops.hpp"
#include "guest_run.hpp"
#include "interrupt.hpp"
#include "invoker.hpp"
#include "junit.hpp"
#include "log.hpp"
#include "proc.hpp"
#include "process.hpp"
#include "qemu_launch.hpp"  // WriteFileAtomically
#include "report.hpp"
#include "script_copy.hpp"
#include "settings.hpp"
#include "settings_source.hpp"
#include "shard.hpp"
#include "ssh.hpp"
#include "ssh_mux.hpp"
#include "worker_pool.hpp"

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

// True unless `path` is known to be missing: a file that cannot be looked
// at for another reason is left for its reader to report.
bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 || errno != ENOENT;
}

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
// made executable. Puts its name under that directory in *name and returns
// kExitOk, or returns the exit status to end with (*err says why).
int PrepareScript(const DriverArgs& args, const Settings& settings, Log* log, std::string* name,
                  std::string* err) {
  ScriptPlan plan;
  if (!PlanScript(args.script, settings.common_ro_host, &plan, err)) return kExitUsage;
  std::string target = settings.common_ro_host + "/" + plan.name;
  *name = plan.name;
  struct stat st;
  const std::string not_regular = "script not specified or not a regular file: " + args.script;
  if (!plan.copy) {
    if (stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return kExitOk;
    *err = not_regular;
    return kExitUsage;
  }
  if (stat(args.script.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *err = not_regular;
    return kExitUsage;
  }
  if (!MakeDirs(settings.common_ro_host, 0755, err)) return kExitSystem;
  bool exists = lstat(target.c_str(), &st) == 0;
  bool identical = false;
  if (exists && !FilesIdentical(args.script, target, &identical, err)) return kExitSystem;
  bool can_ask = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
  CopyStep step = DecideCopy(args.copy, exists, identical, can_ask);
  if (step == CopyStep::kAsk)
    step = AskYes("overwrite " + target + "?") ? CopyStep::kCopy : CopyStep::kKeepOther;
  switch (step) {
    case CopyStep::kCopy:
      log->Cmd("", {"cp", args.script, target});
      if (!CopyScript(args.script, target, err)) return kExitSystem;
      break;
    case CopyStep::kKeep: log->Msg("", target + " is already this script"); break;
    case CopyStep::kKeepOther:
      log->Msg("", target + " differs from " + args.script +
                       " and is not overwritten; running it as it is");
      break;
    case CopyStep::kRefuse:
      *err = target + " exists and differs from " + args.script +
             ": nobody to ask (no terminal); use -sf to overwrite it or -sn to "
             "run it as it is";
      return kExitRefused;
    case CopyStep::kAsk: break;
  }
  if (step != CopyStep::kCopy) {
    log->Cmd("", {"chmod", "u+x", target});
    if (!MakeUserExecutable(target, err)) return kExitSystem;
  }
  return kExitOk;
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

// The most of a guest's log a JUnit report holds for one guest: CI servers
// show the end of a long output, and choke on tens of megabytes.
constexpr size_t kJunitOutputBytes = 1 << 20;

// `text` to `path`, or to stdout for "-": a report (TAP, JUnit) written
// through a temporary file and renamed, so that a CI server never reads
// half of one.
bool WriteReport(const std::string& path, const std::string& text, Console* console,
                 std::string* err) {
  if (path == "-") {
    console->Text(STDOUT_FILENO, text);
    return true;
  }
  return WriteFileAtomically(DirName(path), path.substr(path.rfind('/') + 1), text, err);
}

// The run's start as JUnit's timestamp wants it: ISO 8601, local time.
std::string IsoLocalTime(time_t when) {
  struct tm tm;
  char buf[32];
  if (localtime_r(&when, &tm) == nullptr ||
      strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return "";
  return buf;
}

// One run of runall-os-test: what it loaded, the guests' results, the
// summary. Each step returns the exit status to end with, or kExitOk to go
// on; a failure before any guest is touched changes nothing.
class Driver {
 public:
  explicit Driver(const DriverArgs& args)
      : args_(args),
        console_(!args.quiet && isatty(STDERR_FILENO), args.jobs > 1),
        started_(time(nullptr)),
        started_ms_(MonotonicMs()) {}
  // Every guest's run has closed its ssh master by now (GuestOps::End),
  // interrupted or not; the directory of their sockets goes with the run.
  ~Driver() { RemoveControlDir(setup_.ssh_control_dir); }

  int Load(std::string* err);
  int Prepare(std::string* err);
  void RunGuests();
  int Report();

 private:
  GuestResult HandleGuest(const GuestRecord& guest, std::string* output);
  std::string Junit() const;
  GuestRunOptions RunOptions(const GuestRecord& guest) const;

  const DriverArgs& args_;
  GuestOpsSetup setup_;
  std::string guests_path_;
  std::vector<GuestRecord> records_;
  std::vector<size_t> picked_;
  std::vector<std::string> missing_;
  std::vector<GuestResult> results_;
  std::vector<std::string> outputs_;  ///< for --junit: each guest's output
  Log log_;
  Console console_;
  const time_t started_;
  const int64_t started_ms_;
};

// The settings, the guest config and the log; the signal handlers and the
// terminal; where logs, runqemuos and ssh are.
int Driver::Load(std::string* err) {
  if (HasPathOption(args_) && RunThroughSudo()) {
    *err =
        "options naming files (-C, -c, -l, --log-dir, --tap, -i) are refused "
        "when run through sudo";
    return kExitUsage;
  }
  setup_.root = geteuid() == 0;
  setup_.fresh = args_.fresh;
  setup_.settings_path = args_.settings_file;
  const std::string home = HomeDirectory();
  // The system-wide files win when either exists; without them a user
  // runs from files of their own (settings_source).
  const std::string system_guests = DefaultSettings().guests_file;
  const bool system_files = Exists(DefaultSettingsPath()) || Exists(system_guests);
  const SettingsChoice choice =
      ChooseSettings(args_.settings_file, system_files,
                     RunallXdgDirs(getenv("XDG_CONFIG_HOME"), getenv("XDG_DATA_HOME"),
                                   getenv("XDG_STATE_HOME"), home));
  setup_.settings = choice.defaults;
  if (!LoadSettings(choice.path, false, choice.must_exist, &setup_.settings, err))
    return kExitUsage;
  const Settings& settings = setup_.settings;
  guests_path_ = args_.guests_file.empty() ? settings.guests_file : args_.guests_file;
  if (args_.guests_file.empty() && !Exists(guests_path_)) {
    *err = MissingGuestConfigMessage(choice, guests_path_, system_guests);
    return kExitUsage;
  }
  if (!LoadGuestConfig(guests_path_, settings, &records_, err)) return kExitUsage;

  std::string log_path = args_.log_file.empty() ? settings.log_file : args_.log_file;
  if (log_path == "-") log_path.clear();
  if (!log_.OpenFile(log_path, err)) return kExitSystem;

  // Nobody may be left unable to stop us: the handlers make every wait end
  // at once, and the run then reports what it had.
  if (!InstallInterruptHandlers(err)) return kExitSystem;
  // A closed terminal or pipe must not kill the driver half-way.
  signal(SIGPIPE, SIG_IGN);

  setup_.console = &console_;
  setup_.guest_headers = !log_.ToStderr() && args_.jobs == 1 && !args_.quiet;
  if (log_.ToStderr())
    log_.SetWriter([this](const std::string& line) { console_.Text(STDERR_FILENO, line); });

  if (choice.per_user)
    log_.Msg("", "No system-wide settings (" + DefaultSettingsPath() + ", " + system_guests +
                     "): using yours, " + choice.path + " (" +
                     (Exists(choice.path) ? "read" : "absent: the defaults") + ") and " +
                     guests_path_);
  setup_.log_dir =
      args_.log_dir.empty() ? DefaultLogDir(getenv("XDG_STATE_HOME"), home) : args_.log_dir;
  setup_.up_dir = settings.up_dir.empty() ? settings.common_rw_host : settings.up_dir;
  setup_.runqemuos = FindRunqemuos();
  const char* path_env = getenv("PATH");
  if (!FindInPath("ssh", path_env ? path_env : "", &setup_.ssh.program)) {
    *err = "ssh not found in PATH";
    return kExitSystem;
  }
  setup_.ssh.known_hosts =
      settings.known_hosts.empty() ? DefaultKnownHosts(home) : settings.known_hosts;
  setup_.ssh.identity = args_.identity;
  if (!args_.identity.empty() && access(args_.identity.c_str(), R_OK) != 0) {
    *err = ErrnoMessage("-i " + args_.identity);
    return kExitUsage;
  }
  return kExitOk;
}

// The guests to handle, the script, runall's own directories. Bad input
// (in Load, and a script that is not there) changes nothing; only then are
// the script copied and the directories made.
int Driver::Prepare(std::string* err) {
  if (args_.guests.empty()) log_.Msg("", "No operating systems specified; assuming all");
  picked_ = SelectGuests(records_, args_.guests, &missing_);
  if (args_.shards > 0) {
    // After the OS names: every shard of one command line splits the same
    // selection, so the shards together cover it once.
    std::vector<size_t> shard;
    std::string names;
    for (size_t i : ShardIndices(picked_.size(), args_.shard, args_.shards)) {
      shard.push_back(picked_[i]);
      names += " " + records_[picked_[i]].hostname;
    }
    log_.Msg("", "Shard " + std::to_string(args_.shard) + "/" + std::to_string(args_.shards) +
                     ": " + std::to_string(shard.size()) + " of " + std::to_string(picked_.size()) +
                     " guests" + (shard.empty() ? ", nothing to do" : ":" + names));
    picked_ = shard;
  }
  if (args_.copy != CopyMode::kNone) {
    int status = PrepareScript(args_, setup_.settings, &log_, &setup_.script_name, err);
    if (status != kExitOk) return status;
  }
  if (!MakeDirs(setup_.log_dir, 0700, err)) return kExitSystem;
  if (!MakeDirs(DirName(setup_.ssh.known_hosts), 0700, err)) return kExitSystem;
  // Made last, so that nothing above can fail with the directory made.
  if (setup_.settings.ssh_multiplex && !picked_.empty()) {
    std::string why;
    if (!MakeControlDir(ControlDirBases(getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR")),
                        &setup_.ssh_control_dir, &why))
      log_.Msg("", why + ": each ssh makes its own connection");
  }
  return kExitOk;
}

// The picked guests, -j at a time, each result in its config-file place.
void Driver::RunGuests() {
  results_.assign(picked_.size(), GuestResult());
  outputs_.assign(picked_.size(), std::string());
  for (size_t i = 0; i < picked_.size(); ++i) {
    results_[i].host = records_[picked_[i]].hostname;
    results_[i].status = GuestStatus::kNotRun;
  }
  RunPool(
      picked_.size(), args_.jobs,
      [&](size_t i) {
        results_[i] =
            HandleGuest(records_[picked_[i]], args_.junit_file.empty() ? nullptr : &outputs_[i]);
      },
      // Once interrupted, the guests not started are left as "not run".
      []() { return Interrupted(); });
}

GuestRunOptions Driver::RunOptions(const GuestRecord& guest) const {
  GuestRunOptions o;
  o.host = guest.hostname;
  o.limits.start_timeout = guest.start_timeout;
  o.limits.stop_timeout = guest.stop_timeout;
  o.limits.qemu_init_period = setup_.settings.qemu_init_period;
  o.await_ssh_after_boot = guest.boot_signal == BootSignal::kUpFile;
  o.has_script = !setup_.script_name.empty();
  o.shutdown = args_.shutdown;
  o.throwaway = guest.resume == ResumeMode::kThrowaway;
  o.console_log = ConsoleLogPath(guest, setup_.log_dir);
  return o;
}

// One guest's run, with its own log and the real operations.
// With `output`, also what the script printed in this run, for --junit.
GuestResult Driver::HandleGuest(const GuestRecord& guest, std::string* output) {
  GuestLog guest_log(&log_, guest.hostname);
  std::string err;
  if (!guest_log.Open(setup_.log_dir + "/" + guest.hostname + ".log", &err)) Warn(err);
  const GuestRunOptions options = RunOptions(guest);
  std::unique_ptr<GuestOps> ops = NewRealGuestOps(setup_, guest, &guest_log);
  GuestRun run(options, ops.get(), &guest_log);
  GuestResult result = args_.stop ? run.Stop() : run.Run();
  result.log_path = guest_log.path();
  if (output != nullptr && !guest_log.path().empty() &&
      !ReadRunOutput(guest_log.path(), guest.hostname, guest_log.run_start(), kJunitOutputBytes,
                     output, &err))
    guest_log.Error(err);
  return result;
}

// The results as JUnit XML: the run's start, this host's name, its time.
std::string Driver::Junit() const {
  JunitRun run;
  run.timestamp = IsoLocalTime(started_);
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) == 0) run.hostname = host;
  run.seconds = static_cast<double>(MonotonicMs() - started_ms_) / 1000.0;
  return JunitReport(results_, outputs_, run);
}

// The guests not found, the summary, TAP; the exit status.
int Driver::Report() {
  if (!missing_.empty()) {
    std::string list;
    for (const std::string& name : missing_) {
      list += " " + name;
      GuestResult result;
      result.host = name;
      result.status = GuestStatus::kNotFound;
      result.detail = "not in " + guests_path_;
      results_.push_back(result);
    }
    log_.Error("", "Not found:" + list);
  }
  if (Interrupted())
    log_.Error("", std::string("Interrupted by ") + strsignal(InterruptSignal()) +
                       "; guests are left as they are");

  if (!args_.quiet) console_.Text(STDOUT_FILENO, "\n" + SummaryTable(results_));
  std::string err;
  if (!args_.tap_file.empty() &&
      !WriteReport(args_.tap_file, TapReport(results_), &console_, &err)) {
    Warn(err);
    return kExitSystem;
  }
  if (!args_.junit_file.empty() && !WriteReport(args_.junit_file, Junit(), &console_, &err)) {
    Warn(err);
    return kExitSystem;
  }
  // A shard with no guest (more shards than guests) had nothing to do,
  // which is no failure; without --shard, no guest at all is one.
  if (results_.empty() && args_.shards > 0 && !Interrupted()) return kExitOk;
  return RunExitStatus(results_, Interrupted());
}

}  // namespace

int RunDriver(const DriverArgs& args) {
  Driver driver(args);
  std::string err;
  int status = driver.Load(&err);
  if (status == kExitOk) status = driver.Prepare(&err);
  if (status != kExitOk) {
    Warn(err);
    return status;
  }
  driver.RunGuests();
  return driver.Report();
}

}  // namespace runall
