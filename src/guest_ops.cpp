#include "guest_ops.hpp"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>

#include "accel.hpp"
#include "accel_memory.hpp"
#include "clock.hpp"
#include "console_stamp.hpp"
#include "fail.hpp"
#include "fd.hpp"
#include "file_copy.hpp"
#include "file_io.hpp"
#include "guest_state.hpp"
#include "image_lock.hpp"
#include "interrupt.hpp"
#include "process.hpp"
#include "process_watch.hpp"
#include "qemu_args.hpp"
#include "qemu_launch.hpp"  // MakePrivateDirectory, WriteFileAtomically
#include "qmp.hpp"
#include "runqemuos_args.hpp"
#include "saved_state.hpp"
#include "ssh_mux.hpp"
#include "tcp_probe.hpp"
#include "user_net.hpp"
#include "wait_file.hpp"

namespace runall {

std::string ConsoleLogPath(const GuestRecord& guest, const std::string& log_dir) {
  return guest.console_log.empty() ? log_dir + "/" + guest.hostname + ".console"
                                   : guest.console_log;
}

namespace {

// How long a guest that said it is up may take before its ssh port answers,
// and the short knock on the port of a guest that cannot be running here.
const int kReadySeconds = 30;
const int kQuickKnockMs = 300;
// How long a shutdown command over ssh may take, beyond the connect timeout.
const int kShutdownSshSeconds = 10;
// How long `ssh -O exit` may take, and the master then to remove its
// socket, its last act before it exits.
const int kMasterExitMs = 5000;
const int kMasterGoneMs = 2000;
// How much of ssh's stderr is kept to tell its own failures apart.
const size_t kTailBytes = 4096;
// How long QEMU's monitor may take to say which port it forwards, when no
// record says (another client may be holding the monitor).
const int kPortQuerySeconds = 10;
// How long the monitor may take to greet us and to answer.
const int kQmpMs = 5000;
// How much of a console log is read for its last lines.
const off_t kConsoleTailBytes = 64 * 1024;
// Where, in the log directory, the QEMU programs whose KVM failed are kept.
const char kKvmMemoryFile[] = "kvm-failures";
// How long a guest may take to unmount its shares for a save (QEMU
// refuses to save while a 9p share is mounted), and to come back from the
// save (its resume watcher mounting them again and writing the up-file).
const int kUnmountSeconds = 20;
const int kBackFromSaveSeconds = 60;
// How long a QEMU whose resume failed gets to exit after SIGTERM, and
// after SIGKILL.
const int kAbandonTermMs = 5000;
const int kAbandonKillMs = 5000;

// Where a user's saved states are: a private directory in the launch
// directory, as the monitor sockets are (the state holds the guest's RAM,
// its secrets included).
std::string StateDirectory(const std::string& launch_dir) {
  return launch_dir + "/.state-" + std::to_string(getuid());
}

bool IdentifyFile(const std::string& path, FileIdentity* id, std::string* err) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    *err = ErrnoMessage(path);
    return false;
  }
  id->path = path;
  id->dev = static_cast<unsigned long long>(st.st_dev);
  id->ino = static_cast<unsigned long long>(st.st_ino);
  id->size = static_cast<long long>(st.st_size);
  id->mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return true;
}

// The wall clock, for comparing with file times (the launch file's and the
// up-file's mtimes); durations are measured on MonotonicMs.
struct timespec WallClockNow() {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

std::string FormatDate(long long when) {
  time_t t = static_cast<time_t>(when);
  struct tm tm;
  char buf[32] = "?";
  if (localtime_r(&t, &tm) != nullptr) strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string PathEnv() {
  const char* path = getenv("PATH");
  return path ? path : "";
}

std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// --- the operations ------------------------------------------------------------

class RealGuestOps : public GuestOps {
 public:
  RealGuestOps(const GuestOpsSetup& setup, const GuestRecord& guest, GuestLog* log)
      : setup_(setup),
        guest_(guest),
        log_(log),
        launch_path_(setup.settings.launch_dir + "/" + guest.hostname),
        up_file_(setup.up_dir + "/" + guest.hostname),
        user_net_(guest.network == NetworkMode::kUser),
        control_path_(setup.ssh_control_dir.empty()
                          ? std::string()
                          : ControlSocketPath(setup.ssh_control_dir, guest.hostname)) {
    endpoint_.hostname = guest.hostname;
    if (user_net_) {
      // Where QEMU forwards the guest's ssh; the port is learned per QEMU.
      endpoint_.hostname = "127.0.0.1";
      endpoint_.port.clear();
    }
  }

  void Begin() override {
    if (setup_.guest_headers)
      setup_.console->Text(STDOUT_FILENO, "-----" + guest_.hostname + "-----\n");
    if (!user_net_) ResolveEndpoint();
  }
  void End() override {
    CloseMaster("the guest's run ended");
    setup_.console->ClearProgress(guest_.hostname);
  }
  void Gather(StartupFacts* facts) override;
  Reach TestConnection(Knock knock) override {
    return Connect(knock == Knock::kQuick ? kQuickKnockMs
                                          : static_cast<int>(setup_.ssh.connect_timeout) * 1000);
  }
  LaunchResult Launch() override;
  BootWait WaitBoot() override;
  bool RelaunchAfterEarlyExit() override;
  bool SaveState() override;
  bool AbandonResume() override;
  bool HoldThrowaway() override;
  bool DiscardThrowaway() override;
  std::vector<std::string> ConsoleTail() override;
  bool AwaitSsh() override;
  void WaitForImage(ImageWait what, StartupFacts* facts) override;
  WaitEnd WaitShutdownOrConnect() override;
  ScriptRun RunScript() override;
  bool FindQemu(pid_t* pid) override;
  ImageFact ProbeImage() override;
  std::string ImageProblem() override { return image_problem_; }
  StopRequest RequestStop(StopWay way) override;
  ExitWait WaitQemuExit(unsigned seconds, bool progress) override;
  bool QemuAlive() override { return qemu_ && qemu_->Alive(); }
  bool Interrupted() override { return runall::Interrupted(); }
  int64_t NowMs() override { return MonotonicMs(); }

 private:
  // What one ssh run came to.
  struct SshRun {
    SshOutcome outcome = SshOutcome::kConnectFailed;
    int exit_code = 255;
    std::string out;
    std::string err_tail;
    bool timed_out = false;
    bool interrupted = false;
  };

  void ResolveEndpoint();
  void LearnForwardedPort(pid_t pid);
  TcpProbe Knock(int timeout_ms, std::string* why);
  SshRun Ssh(const std::string& remote, bool forward, int64_t timeout_ms);
  MuxPlan PlanMux(SshConfig* config);
  void CloseMaster(const std::string& why);
  Reach Connect(int knock_ms);
  HostChoices ChooseHost();
  StopRequest PressPowerButton();
  std::vector<std::string> OwnOptionWords() const;
  std::string KvmMemoryPath() const { return setup_.log_dir + "/" + kKvmMemoryFile; }
  // Saved states (resume = yes).
  std::string StatePath(const char* ext) const {
    return StateDirectory(setup_.settings.launch_dir) + "/" + guest_.hostname + ext;
  }
  bool OpenStateLock(const char* ext, Fd* lock);
  bool LockState(Fd* lock);
  bool PrepareState(const QemuCommand& plain, HostChoices* host, LaunchResult* result);
  bool CopyState(const std::string& state);
  void SweepCopies();
  bool StopLaunchedQemu(const std::string& what);
  void DiscardState();
  bool CreateOverlay(const StateStamp& stamp);
  bool ConnectMonitor(QmpClient* qmp, pid_t pid, std::string* err);
  bool SetLink(QmpClient* qmp, bool up);

  const GuestOpsSetup& setup_;
  const GuestRecord& guest_;
  GuestLog* log_;
  const std::string launch_path_;
  const std::string up_file_;
  LaunchFile launch_;  ///< as the last Gather read it
  /// The pid runqemuos reported for this run's last launch (0: none) -
  /// known to be the QEMU it exec'd, whatever the clocks say.
  pid_t launched_pid_ = 0;
  std::string image_problem_;  ///< why the last image probe failed
  SshEndpoint endpoint_;
  std::unique_ptr<ProcessWatch> qemu_;  ///< the stop path's pinned QEMU
  /// On QEMU's user-mode network: ssh goes to 127.0.0.1 and the port the
  /// QEMU of port_pid_ forwards (endpoint_.port; empty while none is known).
  const bool user_net_;
  pid_t port_pid_ = 0;
  /// This guest's ssh control socket in the run's control directory;
  /// empty: no connection sharing.
  const std::string control_path_;
  unsigned masters_opened_ = 0;  ///< by this run (at most kMaxMastersPerRun)
  ino_t master_ino_ = 0;         ///< the socket of the last one opened
  bool said_unshared_ = false;   ///< logged that sharing is spent
  /// The console log's size before this run's last launch; -1: no launch.
  off_t console_offset_ = -1;
  /// The last launch ran under KVM that `accel = auto` chose.
  bool auto_kvm_ = false;
  /// KVM failed at this run's launch: the next one is under TCG.
  bool kvm_failed_ = false;
  /// What the state the last launch booted on is made from (SaveState
  /// writes it down once saved).
  StateStamp pending_stamp_;
  /// The last launch resumed a saved state: its boot signal is the
  /// up-file the guest's resume watcher writes, whatever boot_signal says
  /// (ssh answers before the watcher has mounted the shares).
  bool last_launch_resumed_ = false;
  /// A resume failed in this run: the next launches boot (and save anew).
  bool resume_abandoned_ = false;
  /// This run saved the state: --fresh is done with.
  bool saved_in_run_ = false;
  /// resume = throwaway: the guest is this run's (HoldThrowaway) ...
  Fd throwaway_lock_;
  /// ... and this is the copy of its state its QEMU runs on.
  std::string run_copy_;
};

// User mode: the port the live QEMU `pid` forwards to the guest's port 22
// (0: none runs, so there is no port to knock on). runqemuos -b recorded
// it beside the launch file; a QEMU started otherwise (runqemuos without
// -b) has no record, and its monitor is asked, and the answer recorded for
// the next run.
void RealGuestOps::LearnForwardedPort(pid_t pid) {
  if (pid == port_pid_) return;
  port_pid_ = pid;
  endpoint_.port.clear();
  if (pid == 0) return;
  const std::string& dir = setup_.settings.launch_dir;
  unsigned port = 0;
  std::string err;
  if (!ReadForwardedPort(dir, guest_.hostname, pid, &port, &err)) {
    if (!err.empty()) log_->Error(err);
    ProcessWatch qemu(pid);
    const std::string monitor = MonitorSocketPath(dir, guest_.hostname, getuid());
    log_->Msg("No port recorded for QEMU (pid " + std::to_string(pid) + "); asking its monitor " +
              monitor);
    if (!QueryForwardedPort(
            monitor, kPortQuerySeconds * 1000, [&qemu]() { return qemu.Alive(); }, &port, &err)) {
      log_->Error(err);
      return;
    }
    if (!RecordForwardedPort(dir, guest_.hostname, pid, port, &err)) log_->Error(err);
  }
  endpoint_.port = std::to_string(port);
  log_->Msg("ssh goes to 127.0.0.1:" + endpoint_.port + ", which QEMU (pid " + std::to_string(pid) +
            ") forwards to the guest");
}

// Where ssh really goes for this guest (the user's ssh_config may set
// another HostName or Port), so the port knocks hit the right door.
void RealGuestOps::ResolveEndpoint() {
  std::vector<std::string> argv = SshDumpArgv(setup_.ssh, guest_.hostname);
  std::string out, err;
  ExitStatus status;
  SshEndpoint ep;
  if (RunChild(argv, &out, &status, &err) && status.success() && ParseSshDump(out, &ep)) {
    endpoint_ = ep;
    if (endpoint_.proxied)
      log_->Msg(
          "ssh reaches this guest through a proxy: readiness is tested "
          "with ssh alone");
  }
}

ImageFact RealGuestOps::ProbeImage() {
  std::string who, err;
  switch (ImageInUse(guest_.image, &who, &err)) {
    case ImageUse::kFree: return ImageFact::kFree;
    case ImageUse::kRunall: return ImageFact::kRunall;
    case ImageUse::kQemu:
      log_->Msg("Disk image " + guest_.image + ": " + who);
      return ImageFact::kForeignQemu;
    case ImageUse::kError: break;
  }
  log_->Error(err);
  // The commonest reason by far: say it plainly, with the path the record
  // led to (a relative name is looked up in image_dir).
  struct stat st;
  if (stat(guest_.image.c_str(), &st) != 0 && errno == ENOENT)
    image_problem_ = "the disk image " + guest_.image +
                     " does not exist (a relative image name in the guest "
                     "config is looked up in image_dir, " +
                     setup_.settings.image_dir + ")";
  else
    image_problem_ = "could not tell whether the disk image is in use: " + err;
  return ImageFact::kProbeError;
}

void RealGuestOps::Gather(StartupFacts* facts) {
  facts->image = ProbeImage();
  std::string err;
  if (!ReadLaunchFile(launch_path_, &launch_, &err)) {
    log_->Error(err);
    launch_ = LaunchFile();
  }
  GatherFileFacts(launch_, up_file_, guest_.start_timeout, WallClockNow(), facts, launched_pid_);
  if (user_net_) LearnForwardedPort(facts->launch_names_live_qemu ? launch_.pid : 0);
}

// How the next ssh shares this guest's connection (ssh_mux's PlanSsh),
// set in *config: a session of the live master, or the master itself if
// none runs, or - sharing off, or a second master broken as well - a
// connection of its own.
MuxPlan RealGuestOps::PlanMux(SshConfig* config) {
  if (control_path_.empty()) return MuxPlan::kPlain;
  ino_t ino = 0;
  MasterState state = ProbeMaster(control_path_, &ino);
  if (state == MasterState::kStale) {
    // A master that died without removing its socket (killed): ours, in
    // our own directory, and in the way of the next one.
    log_->Msg("The ssh master of " + control_path_ + " is gone; removing its socket");
    unlink(control_path_.c_str());
    state = MasterState::kAbsent;
  }
  MuxPlan plan = PlanSsh(true, state, masters_opened_);
  if (plan == MuxPlan::kPlain && !said_unshared_) {
    said_unshared_ = true;
    log_->Msg("The ssh master broke " + std::to_string(masters_opened_) +
              " times: the rest of this run's ssh connections are made one by one");
  }
  if (plan != MuxPlan::kPlain) {
    config->control_path = control_path_;
    config->control_master = plan == MuxPlan::kOpen;
  }
  return plan;
}

// Runs ssh with `remote` on the guest. With `forward`, its output goes to
// the terminal and the guest's log as it comes; else it is collected.
RealGuestOps::SshRun RealGuestOps::Ssh(const std::string& remote, bool forward,
                                       int64_t timeout_ms) {
  SshRun run;
  SshRoute route{endpoint_.hostname, endpoint_.port};
  SshConfig config = setup_.ssh;
  const MuxPlan plan = PlanMux(&config);
  std::vector<std::string> argv =
      SshArgv(config, guest_.hostname, remote, user_net_ ? &route : nullptr);
  log_->Cmd(argv);
  ChildOptions opts;
  opts.out = opts.err = ChildOutput::kPipe;
  Child c;
  std::string err;
  if (!StartChild(argv, opts, &c, &err)) {
    log_->Error(err);
    return run;
  }
  ChildIo io;
  io.timeout_ms = timeout_ms;
  io.stop_fd = InterruptFd();
  io.on_out = [&](const char* d, size_t n) {
    if (forward) {
      setup_.console->Output(guest_.hostname, STDOUT_FILENO, d, n);
      log_->Output(d, n);
    } else if (run.out.size() < 65536) {
      run.out.append(d, n);
    }
  };
  io.on_err = [&](const char* d, size_t n) {
    if (forward) {
      setup_.console->Output(guest_.hostname, STDERR_FILENO, d, n);
      log_->Output(d, n);
    }
    run.err_tail.append(d, n);
    if (run.err_tail.size() > kTailBytes) run.err_tail.erase(0, run.err_tail.size() - kTailBytes);
  };
  ChildEnd end = DriveChild(c, io);
  if (forward) setup_.console->EndOutput(guest_.hostname);
  run.timed_out = end.timed_out;
  run.interrupted = end.stopped;
  run.outcome = ClassifySsh(end.status.wait_status(), run.err_tail, &run.exit_code);
  if (plan == MuxPlan::kOpen) {
    ino_t ino = 0;
    if (ProbeMaster(control_path_, &ino) == MasterState::kLive && ino != master_ino_) {
      ++masters_opened_;
      master_ino_ = ino;
      log_->Msg(std::string(masters_opened_ == 1 ? "Opened" : "Opened again") +
                " the ssh master of this run: later ssh commands to " + guest_.hostname +
                " run as sessions of its connection (control socket " + control_path_ + ")");
    }
  }
  // A master whose connection is dead but that has not noticed yet (a
  // guest that froze, a network that went) would keep every later session
  // waiting until its keepalives give up: the next ssh opens a fresh one.
  if (plan != MuxPlan::kPlain && (run.timed_out || run.outcome == SshOutcome::kConnectFailed))
    CloseMaster("its connection failed");
  return run;
}

// Asks this guest's master to exit and waits for it to go (it removes its
// socket last); a socket left behind is removed. Bounded, and not cut
// short by a ^C: an interrupted run closes its master too.
void RealGuestOps::CloseMaster(const std::string& why) {
  if (control_path_.empty()) return;
  ino_t ino = 0;
  MasterState state = ProbeMaster(control_path_, &ino);
  if (state == MasterState::kAbsent) return;
  if (state == MasterState::kLive) {
    std::vector<std::string> argv =
        SshExitMasterArgv(setup_.ssh.program, control_path_, guest_.hostname);
    log_->Cmd(argv);
    ChildOptions opts;
    opts.out = opts.err = ChildOutput::kPipe;
    Child c;
    std::string err, said;
    if (StartChild(argv, opts, &c, &err)) {
      ChildIo io;
      io.timeout_ms = kMasterExitMs;
      io.on_out = io.on_err = [&](const char* d, size_t n) {
        if (said.size() < kTailBytes) said.append(d, n);
      };
      ChildEnd end = DriveChild(c, io);
      if (!end.status.success())
        log_->Msg("ssh -O exit: " + end.status.Describe() +
                  (said.empty() ? std::string() : ": " + TrimEnd(said)));
    } else {
      log_->Error(err);
    }
    const int64_t deadline = MonotonicMs() + kMasterGoneMs;
    while (ProbeMaster(control_path_, &ino) != MasterState::kAbsent && MonotonicMs() < deadline)
      SleepMs(10);
  }
  if (unlink(control_path_.c_str()) == 0)
    log_->Msg("Removed the ssh control socket " + control_path_ + " its master left");
  log_->Msg("Closed the ssh master of this run (" + why + ")");
}

// A knock on the guest's ssh port. QEMU's forwarded port (user mode)
// accepts a connection whether or not the guest's sshd listens, and then
// closes it: there only sshd's banner says that it does.
TcpProbe RealGuestOps::Knock(int timeout_ms, std::string* why) {
  return user_net_ ? ProbeSshBanner(endpoint_.hostname, endpoint_.port, timeout_ms, why)
                   : ProbeTcp(endpoint_.hostname, endpoint_.port, timeout_ms, why);
}

// The article's f_can_connect: the ssh port first (a quick knock instead
// of the article's ping), then `./hostname` must print this guest's name.
Reach RealGuestOps::Connect(int knock_ms) {
  if (user_net_ && endpoint_.port.empty()) {
    log_->Msg(
        "no forwarded ssh port: no QEMU of this guest runs, or it did "
        "not say which port it forwards");
    return Reach::kNo;
  }
  if (!endpoint_.proxied) {
    std::string why;
    TcpProbe p = Knock(knock_ms, &why);
    if (p != TcpProbe::kOpen) {
      log_->Msg("ssh port " + endpoint_.hostname + ":" + endpoint_.port + ": " + TcpProbeName(p) +
                " (" + why + ")");
      return Reach::kNo;
    }
  }
  SshRun test = Ssh(kConnectionTestCommand, false, (setup_.ssh.connect_timeout + 15) * 1000LL);
  if (test.outcome == SshOutcome::kOk) {
    if (HostnameAnswers(test.out, guest_.hostname)) return Reach::kYes;
    log_->Msg("./hostname answered \"" + TrimEnd(test.out) + "\", not " + guest_.hostname);
    // Not this guest: no later ssh may be a session of that connection.
    CloseMaster("it reached another machine");
    return Reach::kNo;
  }
  if (test.outcome == SshOutcome::kHostKeyChanged) {
    log_->Error("ssh: the host key of " + guest_.hostname + " is not the one in " +
                setup_.ssh.known_hosts);
    return Reach::kHostKeyChanged;
  }
  std::string line = SshFailureLine(test.err_tail);
  log_->Msg("ssh returned " + std::to_string(test.exit_code) +
            (line.empty() ? std::string() : ": " + line));
  return Reach::kNo;
}

// After a boot signal: the guest's sshd should answer at once; knock on
// its port, at growing intervals (ProbeDelayMs), until it does.
bool RealGuestOps::AwaitSsh() {
  const int64_t deadline = MonotonicMs() + kReadySeconds * 1000LL;
  for (unsigned attempt = 0;; ++attempt) {
    if (endpoint_.proxied) {
      if (Connect(0) == Reach::kYes) return true;
    } else {
      std::string why;
      TcpProbe p = Knock(1000, &why);
      if (p == TcpProbe::kOpen) return true;
      if (p == TcpProbe::kInterrupted) return false;
      if (attempt == 0)
        log_->Msg("ssh port not answering yet (" + why + "); waiting up to " +
                  std::to_string(kReadySeconds) + "s");
    }
    if (MonotonicMs() >= deadline) break;
    if (!SleepUnlessInterrupted(ProbeDelayMs(attempt))) return false;
  }
  log_->Error("ssh port of " + guest_.hostname + " did not answer within " +
              std::to_string(kReadySeconds) + "s of the boot signal");
  return false;
}

// runqemuos -b: it locks the image, writes the hostname and launch files,
// claims a tap and becomes QEMU in a session of its own (so our ^C never
// reaches the guest), and tells us QEMU's pid once that exec happened - or
// why it refused.
LaunchResult RealGuestOps::Launch() {
  LaunchResult result;
  std::string err;
  // A user-mode guest has no hostname file: no directory for one.
  std::vector<std::string> dirs = {setup_.settings.launch_dir};
  if (!user_net_) dirs.push_back(setup_.settings.hostname_dir);
  for (const std::string& dir : dirs) {
    if (!MakeDirs(dir, 0755, &err)) {
      log_->Error(err);
      result.detail = err;
      return result;
    }
  }
  // The 9p shares must exist before QEMU starts; the guest's own one holds
  // the mount point of the common one.
  for (const std::string& dir : SharedDirectories(guest_, setup_.settings)) {
    if (!MakeDirs(dir, 0755, &err)) {
      log_->Error(err);
      result.detail = err;
      return result;
    }
  }
  if (guest_.share == "9p") {
    std::string own = setup_.settings.rw_host_base + "/" + guest_.hostname + "/common";
    if (!MakeDirs(own, 0755, &err)) log_->Error(err);
  }
  const std::string console_log = ConsoleLogPath(guest_, setup_.log_dir);
  struct stat st;
  console_offset_ = stat(console_log.c_str(), &st) == 0 ? st.st_size : 0;
  std::vector<std::string> argv = {setup_.runqemuos, "-b", "-o", console_log};
  // Only root may point start-tun-interface at another settings file;
  // anyone else's runqemuos runs it through sudo with the system's.
  if (setup_.root && !setup_.settings_path.empty())
    argv.insert(argv.end(), {"-C", setup_.settings_path});
  HostChoices host = ChooseHost();
  last_launch_resumed_ = false;
  // The state's overlay is looked at and made under a lock of its own,
  // held until runqemuos has locked the image: two drivers launching the
  // guest at once never both touch it.
  Fd state_lock;
  if (guest_.resume != ResumeMode::kNo) {
    // Without its state a throw-away guest does not start: booted on the
    // image itself, it would keep what the script does.
    const bool needed = guest_.resume == ResumeMode::kThrowaway;
    bool go_on = LockState(&state_lock)
                     ? PrepareState(BuildQemuArgv(guest_, setup_.settings, host), &host, &result)
                     : !needed;
    if (!go_on) {
      if (result.detail.empty()) result.detail = "resume = throwaway: no saved state (see the log)";
      return result;
    }
  }
  std::vector<std::string> rest =
      RunqemuosArgs(guest_, BuildQemuArgv(guest_, setup_.settings, host), setup_.settings);
  argv.insert(argv.end(), rest.begin(), rest.end());
  log_->Cmd(argv);
  ChildOptions opts;
  opts.out = opts.err = ChildOutput::kPipe;
  opts.own_process_group = true;
  Child c;
  if (!StartChild(argv, opts, &c, &err)) {
    log_->Error(err);
    result.detail = err;
    return result;
  }
  std::string out, errtext;
  ChildIo io;
  io.on_out = [&](const char* d, size_t n) { out.append(d, n); };
  io.on_err = [&](const char* d, size_t n) { errtext.append(d, n); };
  // runqemuos is never interrupted (it is in a process group of its own,
  // and not stopped here on a ^C either): stopping it half-way could leave
  // a QEMU nobody heard of. It returns within seconds.
  ChildEnd end = DriveChild(c, io);
  std::string message = TrimEnd(errtext);
  if (end.status.code() == 0) {
    if (!message.empty()) log_->Msg("runqemuos: " + message);
    log_->Msg("QEMU started as pid " + TrimEnd(out));
    if (!ParseLaunchPid(TrimEnd(out), &launched_pid_)) launched_pid_ = 0;
    result.outcome = LaunchOutcome::kStarted;
    last_launch_resumed_ = result.resumed;
    // The state was saved with the guest's link down (SaveState): its
    // resume watcher takes the link coming up as the sign to take a lease
    // on this tap, mount its shares, set its clock and say it is up.
    if (result.resumed) {
      QmpClient qmp;
      std::string qerr;
      if (!ConnectMonitor(&qmp, launched_pid_, &qerr) || !SetLink(&qmp, true))
        log_->Msg("cannot bring the resumed guest's link up: " + qerr);
    }
    return result;
  }
  if (!message.empty()) log_->Error(message);
  // The image in use (runqemuos(1)): another launch took it between our
  // look and runqemuos's lock. Its exit status says so, not its message,
  // which is for people.
  if (end.status.code() == kRunqemuosImageInUse) {
    result.outcome = LaunchOutcome::kLostRace;
    return result;
  }
  size_t nl = message.rfind('\n');
  result.detail =
      "runqemuos failed (exit " + std::to_string(end.status.code()) + ")" +
      (message.empty() ? "" : ": " + message.substr(nl == std::string::npos ? 0 : nl + 1));
  return result;
}

std::vector<std::string> RealGuestOps::OwnOptionWords() const {
  std::vector<std::string> words;
  for (const auto& line : guest_.option_lines) words.insert(words.end(), line.begin(), line.end());
  return words;
}

// The accelerator (accel.hpp's ChooseAccel), unless KVM failed with this
// QEMU program before - at this run's last launch, or at an earlier run's,
// as the memory in the log directory says - and the one line that says
// what the guest runs under.
HostChoices RealGuestOps::ChooseHost() {
  AccelChoice choice = ChooseAccel(guest_.accel, ArgsChooseAccel(OwnOptionWords()), HostMachine(),
                                   guest_.arch, ReadKvmFacts());
  auto_kvm_ = false;
  if (choice.name == "kvm" && guest_.accel == "auto") {
    QemuIdentity id;
    std::string err, text;
    KvmFailure failure;
    if (kvm_failed_) {
      choice.notice = "runs under TCG: KVM failed at the launch before";
    } else if (IdentifyQemu(guest_.qemu, PathEnv(), &id, &err) &&
               LoadKvmMemory(KvmMemoryPath(), &text, &err) &&
               RecallKvmFailure(text, id, &failure)) {
      choice.notice = "runs under TCG, not KVM: KVM failed with " + id.path + " on " +
                      FormatDate(failure.when) + " (" + failure.said + "); remembered in " +
                      KvmMemoryPath() +
                      " until that program changes (remove the file to try KVM again)";
    } else {
      auto_kvm_ = true;
    }
    if (!auto_kvm_) {
      choice.name = "tcg";
      choice.args = {"-accel", "tcg"};
    }
  }
  log_->Msg(choice.notice.empty() ? "Accelerator: " + choice.name : choice.notice);
  HostChoices host;
  host.accel = choice.args;
  // Under KVM, the host's CPU as far as QEMU can give it; "max" also runs
  // under TCG, should QEMU fall back to it.
  if (choice.name == "kvm") host.default_cpu = "max";
  return host;
}

// After the QEMU this run launched exited during its boot: a KVM that
// `accel = auto` chose and that cannot run guests on this host (QEMU says
// so on its console) is written down, and the guest launched again under
// TCG.
bool RealGuestOps::RelaunchAfterEarlyExit() {
  if (!auto_kvm_) return false;
  const std::string said = KvmFailureLine(ConsoleTail());
  if (said.empty()) return false;
  auto_kvm_ = false;
  kvm_failed_ = true;
  QemuIdentity id;
  std::string err, text;
  const std::string memory = KvmMemoryPath();
  bool remembered =
      IdentifyQemu(guest_.qemu, PathEnv(), &id, &err) && LoadKvmMemory(memory, &text, &err) &&
      SaveKvmMemory(memory, RememberKvmFailure(text, id, {time(nullptr), said}), &err);
  if (!remembered) log_->Error("cannot remember the KVM failure: " + err);
  log_->Msg("KVM cannot run this guest here (" + said + "): launching it again under TCG" +
            (remembered ? "; later runs use TCG with " + id.path + " at once (remembered in " +
                              memory + ")"
                        : ""));
  return true;
}

// The console log's last lines of the last launch - this run's, when it
// launched the guest. QEMU has just exited, and its last words may still
// be on their way through the console logger: the log is read once it
// stops growing (a second at most).
std::vector<std::string> RealGuestOps::ConsoleTail() {
  const std::string path = ConsoleLogPath(guest_, setup_.log_dir);
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  struct stat st;
  if (!fd.ok() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  off_t size = st.st_size;
  for (int i = 0; i < 10; ++i) {
    if (!SleepUnlessInterrupted(100) || fstat(fd.get(), &st) != 0 || st.st_size == size) break;
    size = st.st_size;
  }
  off_t from = std::max<off_t>(0, size - kConsoleTailBytes);
  if (console_offset_ >= 0) from = std::max(from, console_offset_);
  if (from >= size) return {};
  std::string text(static_cast<size_t>(size - from), '\0');
  ssize_t n = pread(fd.get(), &text[0], text.size(), from);
  if (n <= 0) return {};
  text.resize(static_cast<size_t>(n));
  // A tail that starts mid-line: its first, partial line goes.
  if (from > 0 && from != console_offset_) {
    size_t nl = text.find('\n');
    text.erase(0, nl == std::string::npos ? text.size() : nl + 1);
  }
  return LastLaunchLines(text, kConsoleTailLines);
}

// Waits for the boot signal of the guest the launch file names, until the
// start timeout counted from the launch (the article's f_wait_for_upfile),
// or until its QEMU exits.
BootWait RealGuestOps::WaitBoot() {
  BootWait result;
  const LaunchFile launch = launch_;
  int64_t age_ms = MillisBetween(launch.mtime, WallClockNow());
  int64_t remaining = guest_.start_timeout * 1000LL - std::max<int64_t>(0, age_ms);
  result.end = WaitEnd::kExited;
  if (!launch.exists || launch.pid == 0) return result;
  ProcessWatch qemu(launch.pid);
  // Checked after pinning: the pin keeps it this process from now on.
  std::string why = LaunchFileQemuProblem(launch, launched_pid_);
  if (!why.empty()) {
    log_->Msg("No QEMU to wait for: " + why);
    return result;
  }
  result.end = WaitEnd::kTimedOut;
  if (remaining <= 0) return result;
  auto progress = [&]() {
    ProgressItem item;
    item.what = "booting";
    item.host = guest_.hostname;
    item.waited_s = std::max<int64_t>(0, MillisBetween(launch.mtime, WallClockNow()) / 1000);
    item.limit_s = guest_.start_timeout;
    setup_.console->SetProgress(item);
  };
  progress();
  if (guest_.boot_signal == BootSignal::kUpFile || last_launch_resumed_) {
    FileWait w;
    w.dir = setup_.up_dir;
    w.name = guest_.hostname;
    w.newer_than = launch.mtime;
    w.timeout_ms = remaining;
    w.tick_ms = 250;
    w.tick = [&](int64_t /*waited*/) {
      progress();
      return qemu.Alive();
    };
    struct timespec up = {0, 0};
    switch (WaitForFile(w, &up)) {
      case WaitResult::kAppeared:
        result.end = WaitEnd::kUp;
        result.boot_seconds = std::max<int64_t>(0, MillisBetween(launch.mtime, up)) / 1000.0;
        log_->Msg("Up-file " + up_file_ + " written at " + FormatFileTime(up));
        break;
      case WaitResult::kTimedOut: result.end = WaitEnd::kTimedOut; break;
      case WaitResult::kStopped: result.end = WaitEnd::kExited; break;
      case WaitResult::kInterrupted: result.end = WaitEnd::kNone; break;
    }
  } else {
    const int64_t deadline = MonotonicMs() + remaining;
    for (unsigned attempt = 0;; ++attempt) {
      progress();
      if (!qemu.Alive()) {
        result.end = WaitEnd::kExited;
        break;
      }
      if (Connect(1000) == Reach::kYes) {
        result.end = WaitEnd::kUp;
        result.boot_seconds =
            std::max<int64_t>(0, MillisBetween(launch.mtime, WallClockNow())) / 1000.0;
        break;
      }
      if (MonotonicMs() >= deadline) break;
      if (!SleepUnlessInterrupted(ProbeDelayMs(attempt))) {
        result.end = WaitEnd::kNone;
        break;
      }
    }
  }
  setup_.console->ClearProgress(guest_.hostname);
  return result;
}

// Waits up to qemu_init_period for a QEMU named by the launch file to open
// its image (or for the launch file of the runqemuos holding the image to
// name its QEMU), looking every 100 ms instead of sleeping the whole period
// as the article did.
void RealGuestOps::WaitForImage(ImageWait what, StartupFacts* facts) {
  const int64_t deadline = MonotonicMs() + setup_.settings.qemu_init_period * 1000LL;
  while (MonotonicMs() < deadline && !Interrupted()) {
    if (!SleepUnlessInterrupted(100)) break;
    Gather(facts);
    bool done = what == ImageWait::kLaunchFileNamesQemu
                    ? facts->launch_names_live_qemu || facts->image == ImageFact::kFree
                    : facts->image != ImageFact::kFree;
    if (done) break;
  }
  Gather(facts);
}

// A guest that had come up is going down (or its sshd died): wait up to the
// stop timeout for its QEMU to exit, testing the connection every 2 s
// meanwhile (the article's f_poll_for_qemu_process_shutdown_or_connect).
WaitEnd RealGuestOps::WaitShutdownOrConnect() {
  const LaunchFile launch = launch_;
  ProcessWatch qemu(launch.pid);
  if (!LaunchFileQemuProblem(launch, launched_pid_).empty()) return WaitEnd::kExited;
  const int64_t start = MonotonicMs();
  const int64_t deadline = start + guest_.stop_timeout * 1000LL;
  WaitEnd end = WaitEnd::kTimedOut;
  while (true) {
    ProgressItem item{"waiting for", guest_.hostname, (MonotonicMs() - start) / 1000,
                      guest_.stop_timeout};
    setup_.console->SetProgress(item);
    int64_t slice = std::min<int64_t>(deadline - MonotonicMs(), 2000);
    if (slice <= 0) break;
    ExitWait w = qemu.WaitExit(slice);
    if (w == ExitWait::kExited) {
      end = WaitEnd::kExited;
      break;
    }
    if (w == ExitWait::kInterrupted) {
      end = WaitEnd::kNone;
      break;
    }
    if (Connect(1000) == Reach::kYes) {
      end = WaitEnd::kConnected;
      break;
    }
  }
  setup_.console->ClearProgress(guest_.hostname);
  return end;
}

// The article's f_run_script: the script's output on the terminal and in
// the guest's log as it comes.
ScriptRun RealGuestOps::RunScript() {
  SshRun ssh = Ssh(
      ScriptCommand(setup_.settings.rw_guest, setup_.settings.common_ro_guest, setup_.script_name),
      true, -1);
  ScriptRun run;
  run.outcome = ssh.outcome;
  run.exit_code = ssh.exit_code;
  run.ssh_failure = SshFailureLine(ssh.err_tail);
  run.interrupted = ssh.interrupted;
  return run;
}

// --- saved states ----------------------------------------------------------------

// The state's lock, in the user's private state directory; false (and no
// state is used) if it cannot be had.
// Opens (making it, and the private state directory, if need be) the lock
// file HOST`ext` of the guest's state, not locked yet.
bool RealGuestOps::OpenStateLock(const char* ext, Fd* lock) {
  std::string err;
  const std::string dir = StateDirectory(setup_.settings.launch_dir);
  if (!MakeDirs(setup_.settings.launch_dir, 0755, &err) || !MakePrivateDirectory(dir, &err)) {
    log_->Error("no saved state: " + err);
    return false;
  }
  const std::string path = StatePath(ext);
  lock->Reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
  if (!lock->ok()) {
    log_->Error("no saved state: " + ErrnoMessage(path));
    return false;
  }
  return true;
}

bool RealGuestOps::LockState(Fd* lock) {
  if (!OpenStateLock(".lock", lock)) return false;
  while (flock(lock->get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      log_->Error("no saved state: " + ErrnoMessage("cannot lock " + StatePath(".lock")));
      return false;
    }
  }
  return true;
}

void RealGuestOps::DiscardState() {
  for (const char* ext : {".qcow2", ".stamp"}) {
    const std::string path = StatePath(ext);
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      log_->Error(ErrnoMessage("cannot remove " + path));
  }
}

// Decides, under the state's lock, how this launch goes: resuming the
// saved state when it was made from exactly this QEMU, image and command
// line (saved_state's StaleReason), else booting on a new overlay whose
// state SaveState takes once the guest is up. `plain` is the command line
// without a state; *host gets the overlay and the snapshot to resume.
bool RealGuestOps::PrepareState(const QemuCommand& plain, HostChoices* host, LaunchResult* result) {
  const bool throwaway = guest_.resume == ResumeMode::kThrowaway;
  // The state is the guest's window on its disk: runall's card is what
  // tells the guest it was resumed (its link going down and up).
  if (plain.nic.empty()) {
    if (throwaway) {
      result->detail =
          "resume = throwaway needs runall's network card (the record's option lines bring "
          "their own, or nic = none)";
      log_->Error(result->detail);
      return false;
    }
    log_->Msg(
        "resume = yes needs runall's network card (the record's option lines bring "
        "their own, or nic = none): booting without a saved state");
    return true;
  }
  // Another QEMU has the image: runqemuos will say so, and the state is
  // that QEMU's to use.
  std::string who, err;
  if (ImageInUse(guest_.image, &who, &err) != ImageUse::kFree) return true;
  StateStamp now;
  QemuIdentity qemu;
  // The program as PATH finds it now, stat'ed to the nanosecond.
  if (!IdentifyQemu(plain.argv[0], PathEnv(), &qemu, &err) ||
      !IdentifyFile(qemu.path, &now.qemu, &err) || !IdentifyFile(guest_.image, &now.image, &err)) {
    log_->Error("no saved state: " + err);
    result->detail = "no saved state: " + err;
    return !throwaway;
  }
  now.args = plain.argv;
  now.args.push_back("[nic] " + plain.nic + " " + plain.mac + (plain.user_net ? " user" : " tap"));
  const std::string overlay = StatePath(".qcow2"), stamp_path = StatePath(".stamp");
  std::string text;
  int errnum = 0;
  FileCheck check;
  struct stat st;
  if (ReadFileText(stamp_path, check, &text, &err, &errnum)) {
    StateStamp saved;
    std::string reason;
    if (!ParseStamp(text, &saved, &err))
      reason = "its stamp " + stamp_path + " is unreadable (" + err + ")";
    else if (stat(overlay.c_str(), &st) != 0)
      reason = ErrnoMessage(overlay);
    else if (setup_.fresh && !saved_in_run_)
      reason = "--fresh";
    else if (resume_abandoned_)
      reason = "it did not resume";
    else
      reason = StaleReason(saved, now);
    if (reason.empty()) {
      const std::string size = std::to_string((st.st_size + (1 << 19)) >> 20) + " MiB";
      if (!throwaway) {
        log_->Msg("Resuming from the saved state " + overlay + " (" + size + ")");
        host->disk_overlay = overlay;
      } else {
        // Every throw-away run resumes a copy of its own, removed when its
        // guest stops: the state itself is never run, so never changed.
        if (!CopyState(overlay)) {
          result->detail = "cannot copy the saved state " + overlay + " (see the log)";
          return false;
        }
        log_->Msg("Resuming from a copy of the saved state " + overlay + " (" + size +
                  ") for this run only: " + run_copy_);
        host->disk_overlay = run_copy_;
      }
      host->loadvm = kSnapshotTag;
      result->resumed = true;
      return true;
    }
    log_->Msg("Saved state discarded: " + reason + "; booting");
    DiscardState();
  } else if (errnum != ENOENT) {
    log_->Msg("Saved state discarded: " + err + "; booting");
    DiscardState();
  }
  pending_stamp_ = now;
  pending_stamp_.saved = false;
  if (!CreateOverlay(pending_stamp_)) {
    result->detail = "no saved state: its overlay could not be made (see the log)";
    return !throwaway;
  }
  host->disk_overlay = overlay;
  result->save_state = true;
  log_->Msg("Booting on a new state " + overlay + ", saved once the guest is up" +
            (throwaway ? "; the script then runs on a copy of it" : ""));
  return true;
}

// A copy of the saved state `state` for this run, next to it, made under
// the state's lock: run_copy_ is its name, unique to the run (mkstemp).
bool RealGuestOps::CopyState(const std::string& state) {
  std::string tmpl = StatePath(".run-XXXXXX");
  Fd to(mkstemp(&tmpl[0]));
  if (!to.ok()) {
    log_->Error(ErrnoMessage("cannot make a copy of " + state + " in " + DirName(tmpl)));
    return false;
  }
  Fd from(open(state.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
  bool cloned = false;
  std::string err;
  const int64_t start = MonotonicMs();
  if (!from.ok()) err = strerror(errno);
  // Not synced: a copy lives as long as its run, and one a crash left
  // behind is removed by the next (SweepCopies).
  if (!from.ok() || !CopyFileContents(from.get(), to.get(), &cloned, &err) || to.Close() != 0) {
    if (err.empty()) err = strerror(errno);
    log_->Error("cannot copy " + state + " to " + tmpl + ": " + err);
    unlink(tmpl.c_str());
    return false;
  }
  char took[32];
  snprintf(took, sizeof took, "%.2fs", (MonotonicMs() - start) / 1000.0);
  log_->Msg(std::string(cloned ? "Cloned" : "Copied") + " the saved state to " + tmpl + " (" +
            took + ")");
  run_copy_ = tmpl;
  return true;
}

// A new overlay above the guest's image, with a stamp saying it is not
// saved yet. qemu-img is the one beside QEMU, else the first on PATH.
bool RealGuestOps::CreateOverlay(const StateStamp& stamp) {
  std::string err, qemu_img;
  const std::string beside = DirName(stamp.qemu.path) + "/qemu-img";
  QemuIdentity id;
  if (access(beside.c_str(), X_OK) == 0)
    qemu_img = beside;
  else if (IdentifyQemu("qemu-img", PathEnv(), &id, &err))
    qemu_img = id.path;
  else {
    log_->Error("no saved state: " + err);
    return false;
  }
  const std::string overlay = StatePath(".qcow2");
  const std::string fresh = overlay + ".new";
  unlink(fresh.c_str());
  std::vector<std::string> argv = {
      qemu_img, "create",     "-q", "-f", "qcow2", "-F", guest_.image_format,
      "-b",     guest_.image, fresh};
  log_->Cmd(argv);
  std::string out;
  ExitStatus status;
  if (!RunChild(argv, &out, &status, &err) || !status.success()) {
    log_->Error("no saved state: qemu-img create failed" + (err.empty() ? "" : ": " + err));
    unlink(fresh.c_str());
    return false;
  }
  if (rename(fresh.c_str(), overlay.c_str()) != 0 ||
      !WriteFileAtomically(DirName(overlay), guest_.hostname + ".stamp", FormatStamp(stamp),
                           &err)) {
    log_->Error("no saved state: " + (err.empty() ? ErrnoMessage(overlay) : err));
    unlink(fresh.c_str());
    DiscardState();
    return false;
  }
  return true;
}

// The monitor runqemuos gave QEMU `pid`, retried while QEMU is still
// making it.
bool RealGuestOps::ConnectMonitor(QmpClient* qmp, pid_t pid, std::string* err) {
  const std::string socket =
      MonitorSocketPath(setup_.settings.launch_dir, guest_.hostname, getuid());
  ProcessWatch qemu(pid);
  const int64_t deadline = MonotonicMs() + kQmpMs;
  while (!qmp->Connect(socket, kQmpMs, err)) {
    if (MonotonicMs() >= deadline || !qemu.Alive() || !SleepUnlessInterrupted(50)) return false;
  }
  if (qmp->peer_pid() != 0 && qmp->peer_pid() != pid) {
    *err = socket + " is the monitor of pid " + std::to_string(qmp->peer_pid()) +
           ", not of QEMU (pid " + std::to_string(pid) + ")";
    return false;
  }
  return true;
}

bool RealGuestOps::SetLink(QmpClient* qmp, bool up) {
  JsonValue ignored;
  std::string err;
  const std::string args =
      std::string("{\"name\": \"") + kNetdevId + "\", \"up\": " + (up ? "true" : "false") + "}";
  if (qmp->Execute("set_link", args, kQmpMs, &ignored, &err)) return true;
  log_->Error(std::string("QMP set_link ") + (up ? "up" : "down") + ": " + err);
  return false;
}

// The save: the guest's link goes down, which its resume watcher takes as
// the sign to unmount its 9p shares (QEMU refuses to save while one is
// mounted, and a mount would not survive the resume); QEMU saves the
// guest's RAM, devices and disk into the overlay (HMP savevm, retried
// while the shares are still mounted); the link comes up again, and the
// watcher mounts the shares and writes the up-file, as it will after
// every resume. The saved state is one with the link down: a resume
// brings it up (Launch), and the guest does the same again.
bool RealGuestOps::SaveState() {
  QmpClient qmp;
  std::string err;
  if (!ConnectMonitor(&qmp, launched_pid_, &err)) {
    log_->Error("state not saved: no monitor: " + err);
    return false;
  }
  // An ssh master opened to wait for the boot would span the save with a
  // connection whose guest end goes through an unmount and a link change:
  // the script gets a connection made after the save instead.
  // (A master closed on purpose is not one that broke: the next one is
  // this run's first again.)
  CloseMaster("the guest is being saved");
  masters_opened_ = 0;
  master_ino_ = 0;
  log_->Msg("Saving the guest's state: link down, then QMP savevm " + std::string(kSnapshotTag));
  if (!SetLink(&qmp, false)) return false;
  const int64_t start = MonotonicMs();
  const int64_t deadline = start + kUnmountSeconds * 1000LL;
  bool saved = false, mounted = false;
  std::string said;
  for (;;) {
    JsonValue reply;
    const std::string cmd = std::string("{\"command-line\": \"savevm ") + kSnapshotTag + "\"}";
    if (!qmp.Execute("human-monitor-command", cmd, 120000, &reply, &err)) {
      said = err;
      break;
    }
    said = TrimEnd(reply.type == JsonValue::Type::kString ? reply.text : "");
    if (said.empty()) {
      saved = true;
      break;
    }
    // "Error: Migration is disabled when VirtFS export path '...' is
    // mounted in the guest using mount_tag '...'": not yet unmounted.
    mounted = said.find("VirtFS") != std::string::npos;
    if (!mounted || MonotonicMs() >= deadline || !SleepUnlessInterrupted(200)) break;
  }
  const double took = (MonotonicMs() - start) / 1000.0;
  // The up-file as it is while the shares are unmounted: the guest's
  // unmount may still have changed its time, its next write is the sign.
  struct timespec up_before = {0, 0};
  FileNewerThan(up_file_, up_before, &up_before);
  SetLink(&qmp, true);
  if (!saved) {
    log_->Error("state not saved: " + said +
                (mounted ? " (the guest did not unmount its shares within " +
                               std::to_string(kUnmountSeconds) +
                               "s: does it run runall's resume watcher? runall-guest(7))"
                         : ""));
    DiscardState();
    if (mounted) return false;
  } else {
    pending_stamp_.saved = true;
    saved_in_run_ = true;
    resume_abandoned_ = false;
    if (!WriteFileAtomically(DirName(StatePath(".stamp")), guest_.hostname + ".stamp",
                             FormatStamp(pending_stamp_), &err)) {
      log_->Error("state saved, but its stamp not written: " + err);
      DiscardState();
    } else {
      struct stat st;
      long long mib =
          stat(StatePath(".qcow2").c_str(), &st) == 0 ? (st.st_size + (1 << 19)) >> 20 : 0;
      char buf[32];
      snprintf(buf, sizeof buf, "%.2fs", took);
      log_->Msg("Saved the guest's state in " + StatePath(".qcow2") + " (" + std::to_string(mib) +
                " MiB, " + buf + ")");
    }
  }
  // The shares come back with the link: the script needs them.
  FileWait w;
  w.dir = setup_.up_dir;
  w.name = guest_.hostname;
  w.newer_than = up_before;
  w.timeout_ms = kBackFromSaveSeconds * 1000LL;
  w.tick_ms = 250;
  ProcessWatch qemu(launched_pid_);
  w.tick = [&](int64_t) { return qemu.Alive(); };
  struct timespec up = {0, 0};
  if (WaitForFile(w, &up) != WaitResult::kAppeared)
    log_->Error("the guest did not say it is back from the save (no new up-file within " +
                std::to_string(kBackFromSaveSeconds) + "s)");
  return saved;
}

// Stops the QEMU this run's last launch started, if it still runs: SIGTERM,
// then SIGKILL; `what` is logged first. Bounded, and not cut short by a
// ^C (an interrupted throw-away run stops its guest too). False if it
// still runs.
bool RealGuestOps::StopLaunchedQemu(const std::string& what) {
  if (launched_pid_ == 0) return true;
  ProcessWatch qemu(launched_pid_);
  std::string err;
  if (qemu.Alive()) {
    log_->Msg(what + " (QEMU pid " + std::to_string(launched_pid_) + ")");
    for (int sig : {SIGTERM, SIGKILL}) {
      if (!qemu.Signal(sig, &err)) break;
      const int64_t deadline = MonotonicMs() + (sig == SIGTERM ? kAbandonTermMs : kAbandonKillMs);
      while (qemu.Alive() && MonotonicMs() < deadline) SleepMs(20);
      if (!qemu.Alive()) break;
    }
    if (qemu.Alive()) {
      log_->Error("QEMU (pid " + std::to_string(launched_pid_) + ") still running" +
                  (err.empty() ? "" : ": " + err));
      return false;
    }
  }
  launched_pid_ = 0;
  return true;
}

// A resume that did not come up: its QEMU (the one runqemuos reported)
// goes, and the state with it, so that the next launch boots.
bool RealGuestOps::AbandonResume() {
  resume_abandoned_ = true;
  if (!StopLaunchedQemu("Stopping the resumed QEMU")) return false;
  Fd lock;
  if (LockState(&lock)) {
    log_->Msg("Saved state discarded: it did not resume");
    DiscardState();
  }
  DiscardThrowaway();
  return true;
}

// resume = throwaway. The lock is the state directory's HOST.run-lock; it
// is let go when the operations end (the process exits, or End).
bool RealGuestOps::HoldThrowaway() {
  Fd lock;
  if (!OpenStateLock(".run-lock", &lock)) return false;
  const int64_t start = MonotonicMs();
  bool waited = false;
  while (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      log_->Error("no saved state: " + ErrnoMessage("cannot lock " + StatePath(".run-lock")));
      return false;
    }
    if (!waited) {
      waited = true;
      log_->Msg("Another throw-away run of " + guest_.hostname +
                " has it: waiting for that run to end");
    }
    ProgressItem item{"waiting for another run of", guest_.hostname, (MonotonicMs() - start) / 1000,
                      0};
    setup_.console->SetProgress(item);
    if (!SleepUnlessInterrupted(200)) {
      setup_.console->ClearProgress(guest_.hostname);
      return false;
    }
  }
  if (waited) {
    setup_.console->ClearProgress(guest_.hostname);
    log_->Msg("The other run ended after " + std::to_string((MonotonicMs() - start) / 1000) + "s");
  }
  throwaway_lock_ = std::move(lock);
  SweepCopies();
  return true;
}

// The copies of runs that ended without removing theirs (killed): no run
// of the guest goes on (we hold its lock), so a copy no QEMU has open is
// nobody's. One a QEMU still runs on is that QEMU's: the run then finds
// the guest running and says so.
void RealGuestOps::SweepCopies() {
  const std::string dir = StateDirectory(setup_.settings.launch_dir);
  const std::string prefix = guest_.hostname + ".run-";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> copies;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    // mkstemp's six letters and digits: never HOST.run-lock.
    if (name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0 &&
        name.find('.', prefix.size()) == std::string::npos)
      copies.push_back(dir + "/" + name);
  }
  closedir(d);
  for (const std::string& copy : copies) {
    std::string who, err;
    if (ImageInUse(copy, &who, &err) != ImageUse::kFree) continue;
    if (unlink(copy.c_str()) == 0)
      log_->Msg("Removed " + copy + ", the copy of a run that ended without removing it");
  }
}

bool RealGuestOps::DiscardThrowaway() {
  if (!StopLaunchedQemu("Stopping the throw-away guest: nothing in it is kept")) return false;
  if (!run_copy_.empty()) {
    if (unlink(run_copy_.c_str()) == 0)
      log_->Msg("Removed this run's copy of the saved state " + run_copy_);
    else if (errno != ENOENT)
      log_->Error(ErrnoMessage("cannot remove " + run_copy_));
    run_copy_.clear();
  }
  return true;
}

bool RealGuestOps::FindQemu(pid_t* pid) {
  std::string err;
  LaunchFile launch;
  if (!ReadLaunchFile(launch_path_, &launch, &err)) log_->Error(err);
  qemu_.reset();
  if (launch.exists && launch.pid != 0) {
    qemu_.reset(new ProcessWatch(launch.pid));
    // Checked after pinning: the pin keeps it this process from now on.
    if (!LaunchFileQemuProblem(launch, launched_pid_).empty()) qemu_.reset();
  }
  *pid = qemu_ ? launch.pid : 0;
  if (user_net_) LearnForwardedPort(*pid);
  return qemu_ != nullptr;
}

StopRequest RealGuestOps::RequestStop(StopWay way) {
  StopRequest request;
  if (!qemu_) {
    request.why_not = "no QEMU to stop";
    return request;
  }
  switch (way) {
    case StopWay::kPowerButton: return PressPowerButton();
    case StopWay::kShutdownCommand: {
      // Detached on the guest (ShutdownCommand), so ssh returns at once.
      SshRun ssh = Ssh(ShutdownCommand(guest_.shutdown), false,
                       (setup_.ssh.connect_timeout + kShutdownSshSeconds) * 1000LL);
      request.interrupted = ssh.interrupted;
      request.sent = ssh.outcome == SshOutcome::kOk;
      // The last ssh of the run: the guest is going down, and its master
      // would only wait for the connection to die with it.
      CloseMaster("the guest is shutting down");
      if (!request.sent) {
        std::string line = ssh.timed_out ? "ssh timed out" : SshFailureLine(ssh.err_tail);
        request.why_not = line.empty() ? "ssh returned " + std::to_string(ssh.exit_code) : line;
      }
      return request;
    }
    case StopWay::kSigterm: request.sent = qemu_->Signal(SIGTERM, &request.why_not); return request;
    case StopWay::kSigkill: request.sent = qemu_->Signal(SIGKILL, &request.why_not); return request;
  }
  return request;
}

// The ACPI power button, through the monitor runqemuos gave the pinned
// QEMU: no privilege inside the guest is needed, as for a machine's own
// button. The monitor must be that QEMU's, not a socket someone left.
StopRequest RealGuestOps::PressPowerButton() {
  StopRequest request;
  if (ArgsHaveQmpMonitor(OwnOptionWords())) {
    request.why_not = "the guest's options bring their own QMP monitor";
    return request;
  }
  const std::string socket =
      MonitorSocketPath(setup_.settings.launch_dir, guest_.hostname, getuid());
  QmpClient qmp;
  std::string err;
  if (!qmp.Connect(socket, kQmpMs, &err)) {
    request.why_not = "no monitor: " + err;
    return request;
  }
  if (qmp.peer_pid() != 0 && qmp.peer_pid() != qemu_->pid()) {
    request.why_not = socket + " is the monitor of pid " + std::to_string(qmp.peer_pid()) +
                      ", not of QEMU (pid " + std::to_string(qemu_->pid()) + ")";
    return request;
  }
  log_->Msg("QMP system_powerdown on " + socket);
  JsonValue ignored;
  if (!qmp.Execute("system_powerdown", "", kQmpMs, &ignored, &err)) {
    request.why_not = err;
    return request;
  }
  request.sent = true;
  return request;
}

ExitWait RealGuestOps::WaitQemuExit(unsigned seconds, bool progress) {
  if (!qemu_) return ExitWait::kExited;
  if (!progress) return qemu_->WaitExit(seconds * 1000LL);
  ExitWait w = qemu_->WaitExit(
      seconds * 1000LL,
      [&](int64_t waited) {
        setup_.console->SetProgress({"stopping", guest_.hostname, waited / 1000, seconds});
        return true;
      },
      500);
  setup_.console->ClearProgress(guest_.hostname);
  return w;
}

}  // namespace

std::unique_ptr<GuestOps> NewRealGuestOps(const GuestOpsSetup& setup, const GuestRecord& guest,
                                          GuestLog* log) {
  return std::unique_ptr<GuestOps>(new RealGuestOps(setup, guest, log));
}

}  // namespace runall
