#include "guest_run.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "fail.hpp"
#include "file_io.hpp"
#include "guest_state.hpp"
#include "image_lock.hpp"
#include "interrupt.hpp"
#include "process_watch.hpp"
#include "qemu_launch.hpp"
#include "spawn.hpp"
#include "startup_decision.hpp"
#include "tcp_probe.hpp"
#include "wait_file.hpp"

namespace runall {

namespace {

// --- small system helpers ---------------------------------------------------------

struct timespec RealNow() {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

int64_t MonoMs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

std::string Seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}
// --- running a child -------------------------------------------------------------

struct ChildIo {
  std::function<void(const char*, size_t)> on_out;
  std::function<void(const char*, size_t)> on_err;
  int64_t timeout_ms = -1;  ///< then SIGTERM (and SIGKILL 3 s later)
  bool stop_on_interrupt = true;  ///< an interrupt stops it the same way
};

struct ChildEnd {
  int status = -1;   ///< as WaitProgram gives it
  int wstatus = 0;   ///< a wait() status for ClassifySsh
  bool timed_out = false;
  bool interrupted = false;
};

// Reads the child's pipes until both end, passing the data on, then reaps
// it. On a timeout or an interrupt the child (ours: ssh, runqemuos - never
// a guest) is asked to stop with SIGTERM, then killed.
ChildEnd DriveChild(const Child& c, const ChildIo& io) {
  ChildEnd end;
  int fds[2] = {c.out_fd, c.err_fd};
  const int64_t start = MonoMs();
  int64_t kill_at = -1;
  bool termed = false;
  char buf[8192];
  while (fds[0] >= 0 || fds[1] >= 0) {
    struct pollfd p[3];
    int map[3];
    int n = 0;
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        map[n++] = i;
      }
    int intr_index = -1;
    if (!termed && io.stop_on_interrupt && InterruptFd() >= 0) {
      intr_index = n;
      p[n++] = {InterruptFd(), POLLIN, 0};
    }
    int timeout = -1;
    int64_t now = MonoMs();
    if (!termed && io.timeout_ms >= 0)
      timeout = static_cast<int>(std::max<int64_t>(0, start + io.timeout_ms - now));
    if (kill_at >= 0)
      timeout = static_cast<int>(std::max<int64_t>(0, kill_at - now));
    int r = poll(p, static_cast<nfds_t>(n), timeout);
    if (r < 0 && errno == EINTR) continue;
    now = MonoMs();
    bool stop = false;
    if (intr_index >= 0 && (p[intr_index].revents & POLLIN)) {
      end.interrupted = true;
      stop = true;
    }
    if (!termed && io.timeout_ms >= 0 && now - start >= io.timeout_ms) {
      end.timed_out = true;
      stop = true;
    }
    if (stop && !termed) {
      kill(c.pid, SIGTERM);
      termed = true;
      kill_at = now + 3000;
    } else if (termed && kill_at >= 0 && now >= kill_at) {
      kill(c.pid, SIGKILL);
      kill_at = -1;
    }
    for (int k = 0; k < n; ++k) {
      if (k == intr_index || !(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = map[k];
      ssize_t got = read(fds[i], buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        close(fds[i]);
        fds[i] = -1;
        continue;
      }
      const auto& sink = i == 0 ? io.on_out : io.on_err;
      if (sink) sink(buf, static_cast<size_t>(got));
    }
  }
  int wstatus = 0;
  while (waitpid(c.pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  end.wstatus = wstatus;
  end.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return end;
}

// --- the run -----------------------------------------------------------------------

// How long a guest that said it is up may take before its ssh port answers,
// and the short probe of a guest that cannot be running here.
const int kReadySeconds = 30;
const int kQuickProbeMs = 300;
// How long a shutdown command over ssh may take, beyond the connect timeout.
const int kShutdownSshSeconds = 10;
// How long QEMU gets to exit after SIGTERM.
const int kTermSeconds = 10;
// How much of ssh's stderr is kept to tell its own failures apart.
const size_t kTailBytes = 4096;

class GuestRun {
 public:
  GuestRun(const Shared& s, const GuestRecord& r) : s_(s), r_(r) {
    result_.host = r.hostname;
    launch_path_ = s.settings.launch_dir + "/" + r.hostname;
    up_file_ = s.up_dir + "/" + r.hostname;
    limits_.start_timeout = r.start_timeout;
    limits_.stop_timeout = r.stop_timeout;
    limits_.qemu_init_period = s.settings.qemu_init_period;
    endpoint_.hostname = r.hostname;
  }
  ~GuestRun() {
    if (guest_log_ >= 0) close(guest_log_);
  }

  GuestResult Run() {
    Begin();
    Startup();
    if (s_.args.shutdown && (reached_ || result_.launched) && !Interrupted())
      Shutdown();
    // A ^C that came while this guest was handled: whatever its script or
    // boot came to was cut short (a script killed by the ^C "fails" too).
    if (Interrupted() && result_.status != GuestStatus::kPassed) {
      if (result_.status == GuestStatus::kFailed)
        AddDetail("exit " + std::to_string(result_.exit_code));
      result_.status = GuestStatus::kInterrupted;
    }
    End();
    return result_;
  }

  GuestResult Stop() {
    Begin();
    Shutdown();
    if (Interrupted() && result_.status != GuestStatus::kStopped)
      result_.status = GuestStatus::kInterrupted;
    End();
    return result_;
  }

 private:
  // --- logging ---
  // A log line after script output that ended without a newline starts a
  // line of its own.
  void ToGuestLog(const std::string& line) {
    if (guest_log_ < 0) return;
    if (!guest_log_at_line_start_) WriteAll(guest_log_, "\n");
    WriteAll(guest_log_, line);
    guest_log_at_line_start_ = true;
  }
  void OutputToGuestLog(const char* d, size_t n) {
    if (guest_log_ < 0 || n == 0) return;
    WriteAll(guest_log_, std::string(d, n));
    guest_log_at_line_start_ = d[n - 1] == '\n';
  }
  void Msg(const std::string& text) {
    s_.log->Msg(r_.hostname, text);
    ToGuestLog(FormatLogLine(time(nullptr), r_.hostname, text));
  }
  void Err(const std::string& text) {
    s_.log->Error(r_.hostname, text);
    ToGuestLog(FormatLogLine(time(nullptr), r_.hostname, "ERROR:: " + text));
  }
  void Cmd(const std::vector<std::string>& argv) {
    s_.log->Cmd(r_.hostname, argv);
    ToGuestLog(FormatLogLine(time(nullptr), r_.hostname,
                             "CMD:: " + FormatCommand(argv)));
  }
  void Notes(const StartupDecision& d) {
    for (const LogNote& n : d.notes) n.error ? Err(n.text) : Msg(n.text);
  }

  void Begin() {
    std::string err;
    std::string path = s_.log_dir + "/" + r_.hostname + ".log";
    // The guest's log holds its last run: its log lines and its script's
    // output. Every run holds a shared flock on it while it writes; only a
    // run that can take it exclusively, so that no other run is writing,
    // empties it first. A run that overlaps another on the same guest
    // appends instead, and no run's lines are lost.
    guest_log_ = open(path.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
                      0644);
    bool shared = false;
    if (guest_log_ < 0) {
      Warn(ErrnoMessage("cannot write the guest's log " + path));
    } else {
      result_.log_path = path;
      if (flock(guest_log_, LOCK_EX | LOCK_NB) == 0) {
        if (ftruncate(guest_log_, 0) != 0)
          Warn(ErrnoMessage("cannot empty the guest's log " + path));
      } else {
        shared = true;
      }
      while (flock(guest_log_, LOCK_SH) != 0 && errno == EINTR) {
      }
    }
    Msg("START");
    if (shared)
      Msg("another run on this guest is writing its log: appending to it");
    if (!s_.log->ToStderr() && s_.args.jobs == 1 && !s_.args.quiet)
      s_.console->Text(STDOUT_FILENO, "-----" + r_.hostname + "-----\n");
    ResolveEndpoint();
  }

  void End() {
    s_.console->ClearProgress(r_.hostname);
    Msg("END");
  }

  // Where ssh really goes for this guest (the user's ssh_config may set
  // another HostName or Port), so the port probes knock on the right door.
  void ResolveEndpoint() {
    std::vector<std::string> argv = SshDumpArgv(s_.ssh, r_.hostname);
    std::string out, err;
    int status = -1;
    SshEndpoint ep;
    if (RunProgram(argv, &out, &status, &err) && status == 0 &&
        ParseSshDump(out, &ep)) {
      endpoint_ = ep;
      if (endpoint_.proxied)
        Msg("ssh reaches this guest through a proxy: readiness is tested "
            "with ssh alone");
    }
  }

  // --- facts ---
  ImageFact ProbeImage() {
    std::string who, err;
    switch (ImageInUse(r_.image, &who, &err)) {
      case ImageUse::kFree:
        return ImageFact::kFree;
      case ImageUse::kRunall:
        return ImageFact::kRunall;
      case ImageUse::kQemu:
        Msg("Disk image " + r_.image + ": " + who);
        return ImageFact::kForeignQemu;
      case ImageUse::kError:
        break;
    }
    Err(err);
    return ImageFact::kProbeError;
  }

  // The image, the launch file and the up-file, as they are now.
  void Gather(StartupFacts* f) {
    f->image = ProbeImage();
    std::string err;
    if (!ReadLaunchFile(launch_path_, &launch_, &err)) {
      Err(err);
      launch_ = LaunchFile();
    }
    GatherFileFacts(launch_, up_file_, r_.start_timeout, RealNow(), f);
  }

  // --- ssh ---
  struct SshResult {
    SshOutcome outcome = SshOutcome::kConnectFailed;
    int exit_code = 255;
    std::string out;
    std::string err_tail;
    bool timed_out = false;
    bool interrupted = false;
  };

  // Runs ssh with `remote` on the guest. With `forward`, its output goes to
  // the terminal and the guest's log as it comes; else it is collected.
  SshResult Ssh(const std::string& remote, bool forward, int64_t timeout_ms) {
    SshResult r;
    std::vector<std::string> argv = SshArgv(s_.ssh, r_.hostname, remote);
    Cmd(argv);
    StartOptions opts;
    opts.pipe_stdout = opts.pipe_stderr = true;
    Child c;
    std::string err;
    if (!StartProgram(argv, opts, &c, &err)) {
      Err(err);
      return r;
    }
    ChildIo io;
    io.timeout_ms = timeout_ms;
    io.on_out = [&](const char* d, size_t n) {
      if (forward) {
        s_.console->Output(r_.hostname, STDOUT_FILENO, d, n);
        OutputToGuestLog(d, n);
      } else if (r.out.size() < 65536) {
        r.out.append(d, n);
      }
    };
    io.on_err = [&](const char* d, size_t n) {
      if (forward) {
        s_.console->Output(r_.hostname, STDERR_FILENO, d, n);
        OutputToGuestLog(d, n);
      }
      r.err_tail.append(d, n);
      if (r.err_tail.size() > kTailBytes)
        r.err_tail.erase(0, r.err_tail.size() - kTailBytes);
    };
    ChildEnd end = DriveChild(c, io);
    if (forward) s_.console->EndOutput(r_.hostname);
    r.timed_out = end.timed_out;
    r.interrupted = end.interrupted;
    r.outcome = ClassifySsh(end.wstatus, r.err_tail, &r.exit_code);
    return r;
  }

  // The article's f_can_connect: the ssh port first (a quick knock instead
  // of the article's ping), then `./hostname` must print this guest's name.
  Reach TestConnection(int probe_ms) {
    if (!endpoint_.proxied) {
      std::string why;
      TcpProbe p = ProbeTcp(endpoint_.hostname, endpoint_.port, probe_ms, &why);
      if (p != TcpProbe::kOpen) {
        Msg("ssh port " + endpoint_.hostname + ":" + endpoint_.port + ": " +
            TcpProbeName(p) + " (" + why + ")");
        return Reach::kNo;
      }
    }
    SshResult r = Ssh(kConnectionTestCommand, false,
                      (s_.ssh.connect_timeout + 15) * 1000LL);
    if (r.outcome == SshOutcome::kOk) {
      if (HostnameAnswers(r.out, r_.hostname)) return Reach::kYes;
      Msg("./hostname answered \"" + TrimEnd(r.out) + "\", not " + r_.hostname);
      return Reach::kNo;
    }
    if (r.outcome == SshOutcome::kHostKeyChanged) {
      Err("ssh: the host key of " + r_.hostname + " is not the one in " +
          s_.ssh.known_hosts);
      return Reach::kHostKeyChanged;
    }
    std::string line = SshFailureLine(r.err_tail);
    Msg("ssh returned " + std::to_string(r.exit_code) +
        (line.empty() ? std::string() : ": " + line));
    return Reach::kNo;
  }

  // After a boot signal: the guest's sshd should answer at once; knock on
  // its port with a growing interval until it does.
  bool AwaitSsh() {
    const int64_t deadline = MonoMs() + kReadySeconds * 1000LL;
    for (unsigned attempt = 0;; ++attempt) {
      if (endpoint_.proxied) {
        if (TestConnection(0) == Reach::kYes) return true;
      } else {
        std::string why;
        TcpProbe p = ProbeTcp(endpoint_.hostname, endpoint_.port, 1000, &why);
        if (p == TcpProbe::kOpen) return true;
        if (p == TcpProbe::kInterrupted) return false;
        if (attempt == 0)
          Msg("ssh port not answering yet (" + why + "); waiting up to " +
              std::to_string(kReadySeconds) + "s");
      }
      if (MonoMs() >= deadline) break;
      if (!SleepUnlessInterrupted(ProbeDelayMs(attempt))) return false;
    }
    Err("ssh port of " + r_.hostname + " did not answer within " +
        std::to_string(kReadySeconds) + "s of the boot signal");
    return false;
  }

  // --- the startup flow ---
  void Startup() {
    StartupFacts f;
    Msg(kTestingConnection);
    Gather(&f);
    // A guest whose image nobody holds and whose launch file names no
    // running QEMU cannot be running on this host: a short knock on its
    // port tells whether it answers anyway (from elsewhere) without waiting
    // for a dead address to time out.
    bool quick = f.image == ImageFact::kFree && !f.launch_names_live_qemu;
    f.reach = TestConnection(quick ? kQuickProbeMs
                                   : static_cast<int>(s_.ssh.connect_timeout) * 1000);
    Stage stage = Stage::kFirstLook;
    bool need_ready = false;
    // Every path through the table ends within a few steps; the bound only
    // guards against a table bug looping for ever.
    for (int step = 0; step < 16 && !Interrupted(); ++step) {
      StartupDecision d = DecideStartup(stage, f, limits_);
      Notes(d);
      switch (d.action) {
        case Action::kRunScript:
          reached_ = true;
          if (need_ready && !AwaitSsh()) {
            if (!Interrupted()) {
              result_.status = GuestStatus::kUnreachable;
              result_.detail = "ssh did not answer after the boot signal";
            }
            return;
          }
          RunScript();
          return;
        case Action::kLaunch: {
          LaunchOutcome o = Launch();
          if (o == LaunchOutcome::kLostRace) {
            Gather(&f);
            f.wait_end = WaitEnd::kNone;
            stage = Stage::kAfterLostRace;
            continue;
          }
          if (o == LaunchOutcome::kFailed) {
            result_.status = GuestStatus::kBootFailed;
            return;
          }
          result_.launched = true;
          Gather(&f);
          f.wait_end = WaitBoot();
          need_ready = r_.boot_signal == BootSignal::kUpFile;
          stage = Stage::kAfterLaunchWait;
          continue;
        }
        case Action::kWaitUpFile:
          f.wait_end = WaitBoot();
          need_ready = r_.boot_signal == BootSignal::kUpFile;
          stage = Stage::kAfterBootWait;
          continue;
        case Action::kWaitQemuInit:
          WaitForImage(&f, /*launch_file=*/false);
          stage = Stage::kAfterInitWait;
          continue;
        case Action::kWaitLaunchFile:
          WaitForImage(&f, /*launch_file=*/true);
          stage = Stage::kAfterLaunchFileWait;
          continue;
        case Action::kWaitShutdown:
          f.wait_end = WaitShutdownOrConnect();
          Gather(&f);
          stage = Stage::kAfterShutdownWait;
          continue;
        case Action::kRefuse:
          result_.status = d.refusal == Refusal::kHostKeyChanged
                               ? GuestStatus::kHostKeyChanged
                               : GuestStatus::kRefused;
          result_.detail = RefusalText(d.refusal);
          return;
        case Action::kBootTimeout:
          result_.status = GuestStatus::kBootTimeout;
          result_.detail = "no boot signal within " +
                           std::to_string(r_.start_timeout) + "s of the launch";
          return;
        case Action::kBootFailed:
          result_.status = GuestStatus::kBootFailed;
          result_.detail = "QEMU exited before the guest came up (see " +
                           ConsoleLog() + ")";
          return;
        case Action::kError:
          result_.status = GuestStatus::kError;
          result_.detail = d.refusal == Refusal::kNone
                               ? "could not tell whether the disk image is in use"
                               : RefusalText(d.refusal);
          return;
      }
    }
    if (!Interrupted()) {
      result_.status = GuestStatus::kError;
      result_.detail = "the startup decision did not settle";
    }
  }

  std::string ConsoleLog() const {
    return r_.console_log.empty() ? s_.log_dir + "/" + r_.hostname + ".console"
                                  : r_.console_log;
  }

  enum class LaunchOutcome { kStarted, kLostRace, kFailed };

  // runqemuos -b: it locks the image, writes the hostname and launch
  // files, claims a tap and becomes QEMU in a session of its own (so our
  // ^C never reaches the guest), and tells us QEMU's pid once that exec
  // happened - or why it refused.
  LaunchOutcome Launch() {
    std::string err;
    for (const std::string& dir : {s_.settings.launch_dir, s_.settings.hostname_dir}) {
      if (!MakeDirs(dir, 0755, &err)) {
        Err(err);
        result_.detail = err;
        return LaunchOutcome::kFailed;
      }
    }
    // The 9p shares must exist before QEMU starts; the guest's own one
    // holds the mount point of the common one.
    for (const std::string& dir : SharedDirectories(r_, s_.settings)) {
      if (!MakeDirs(dir, 0755, &err)) {
        Err(err);
        result_.detail = err;
        return LaunchOutcome::kFailed;
      }
    }
    if (r_.share == "9p") {
      std::string own = s_.settings.rw_host_base + "/" + r_.hostname + "/common";
      if (!MakeDirs(own, 0755, &err)) Err(err);
    }
    std::vector<std::string> argv = {s_.runqemuos, "-b", "-o", ConsoleLog()};
    // Only root may point start-tun-interface at another settings file;
    // anyone else's runqemuos runs it through sudo with the system's.
    if (s_.root && !s_.settings_path.empty())
      argv.insert(argv.end(), {"-C", s_.settings_path});
    std::vector<std::string> rest =
        RunqemuosArgs(r_, BuildQemuArgv(r_, s_.settings), s_.settings);
    argv.insert(argv.end(), rest.begin(), rest.end());
    Cmd(argv);
    StartOptions opts;
    opts.pipe_stdout = opts.pipe_stderr = true;
    opts.own_process_group = true;
    Child c;
    if (!StartProgram(argv, opts, &c, &err)) {
      Err(err);
      result_.detail = err;
      return LaunchOutcome::kFailed;
    }
    std::string out, errtext;
    ChildIo io;
    io.on_out = [&](const char* d, size_t n) { out.append(d, n); };
    io.on_err = [&](const char* d, size_t n) { errtext.append(d, n); };
    // runqemuos is never interrupted (it is in a process group of its own,
    // and not stopped here on a ^C either): stopping it half-way could leave
    // a QEMU nobody heard of. It returns within seconds.
    io.stop_on_interrupt = false;
    ChildEnd end = DriveChild(c, io);
    std::string message = TrimEnd(errtext);
    if (end.status == 0) {
      if (!message.empty()) Msg("runqemuos: " + message);
      Msg("QEMU started as pid " + TrimEnd(out));
      return LaunchOutcome::kStarted;
    }
    if (!message.empty()) Err(message);
    if (end.status == 1 && message.find(": in use") != std::string::npos)
      return LaunchOutcome::kLostRace;
    size_t nl = message.rfind('\n');
    result_.detail = "runqemuos failed (exit " + std::to_string(end.status) +
                     ")" + (message.empty() ? "" : ": " +
                                                      message.substr(nl == std::string::npos ? 0 : nl + 1));
    return LaunchOutcome::kFailed;
  }

  // Waits for the boot signal of the guest the launch file names, until
  // the start timeout counted from the launch (the article's
  // f_wait_for_upfile), or until its QEMU exits.
  WaitEnd WaitBoot() {
    const LaunchFile launch = launch_;
    int64_t age_ms = MillisBetween(launch.mtime, RealNow());
    int64_t remaining = r_.start_timeout * 1000LL - std::max<int64_t>(0, age_ms);
    if (!launch.exists || launch.pid == 0) return WaitEnd::kExited;
    ProcessWatch qemu(launch.pid);
    // Checked after pinning: the pin keeps it this process from now on.
    if (!LaunchFileNamesLiveQemu(launch)) return WaitEnd::kExited;
    if (remaining <= 0) return WaitEnd::kTimedOut;
    auto progress = [&](int64_t /*waited*/) {
      ProgressItem item;
      item.what = "booting";
      item.host = r_.hostname;
      item.waited_s = std::max<int64_t>(0, MillisBetween(launch.mtime, RealNow()) / 1000);
      item.limit_s = r_.start_timeout;
      s_.console->SetProgress(item);
    };
    progress(0);
    WaitEnd end = WaitEnd::kTimedOut;
    if (r_.boot_signal == BootSignal::kUpFile) {
      FileWait w;
      w.dir = s_.up_dir;
      w.name = r_.hostname;
      w.newer_than = launch.mtime;
      w.timeout_ms = remaining;
      w.tick_ms = 250;
      w.tick = [&](int64_t waited) {
        progress(waited);
        return qemu.Alive();
      };
      struct timespec up = {0, 0};
      switch (WaitForFile(w, &up)) {
        case WaitResult::kAppeared:
          end = WaitEnd::kUp;
          result_.boot_seconds = std::max<int64_t>(0, MillisBetween(launch.mtime, up)) / 1000.0;
          Msg("Up-file " + up_file_ + " written at " + FormatFileTime(up));
          break;
        case WaitResult::kTimedOut:
          end = WaitEnd::kTimedOut;
          break;
        case WaitResult::kStopped:
          end = WaitEnd::kExited;
          break;
        case WaitResult::kInterrupted:
          end = WaitEnd::kNone;
          break;
      }
    } else {
      const int64_t deadline = MonoMs() + remaining;
      for (unsigned attempt = 0;; ++attempt) {
        progress(0);
        if (!qemu.Alive()) {
          end = WaitEnd::kExited;
          break;
        }
        if (TestConnection(1000) == Reach::kYes) {
          end = WaitEnd::kUp;
          result_.boot_seconds =
              std::max<int64_t>(0, MillisBetween(launch.mtime, RealNow())) / 1000.0;
          break;
        }
        if (MonoMs() >= deadline) break;
        if (!SleepUnlessInterrupted(ProbeDelayMs(attempt))) {
          end = WaitEnd::kNone;
          break;
        }
      }
    }
    s_.console->ClearProgress(r_.hostname);
    return end;
  }

  // Waits up to qemu_init_period for a QEMU named by the launch file to
  // open its image (or, with `launch_file`, for the launch file of the
  // runqemuos holding the image to name its QEMU), looking every 100 ms
  // instead of sleeping the whole period as the article did.
  void WaitForImage(StartupFacts* f, bool launch_file) {
    const int64_t deadline = MonoMs() + limits_.qemu_init_period * 1000LL;
    while (MonoMs() < deadline && !Interrupted()) {
      if (!SleepUnlessInterrupted(100)) break;
      Gather(f);
      bool done = launch_file ? f->launch_names_live_qemu || f->image == ImageFact::kFree
                              : f->image != ImageFact::kFree;
      if (done) break;
    }
    Gather(f);
    f->wait_end = WaitEnd::kNone;
  }

  // A guest that had come up is going down (or its sshd died): wait up to
  // the stop timeout for its QEMU to exit, testing the connection with a
  // growing interval meanwhile (f_poll_for_qemu_process_shutdown_or_connect).
  WaitEnd WaitShutdownOrConnect() {
    const LaunchFile launch = launch_;
    ProcessWatch qemu(launch.pid);
    if (!LaunchFileNamesLiveQemu(launch)) return WaitEnd::kExited;
    const int64_t start = MonoMs();
    const int64_t deadline = start + r_.stop_timeout * 1000LL;
    WaitEnd end = WaitEnd::kTimedOut;
    for (unsigned attempt = 0;; ++attempt) {
      ProgressItem item{"waiting for", r_.hostname, (MonoMs() - start) / 1000,
                        r_.stop_timeout};
      s_.console->SetProgress(item);
      int64_t slice = std::min<int64_t>(deadline - MonoMs(), 2000);
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
      if (TestConnection(1000) == Reach::kYes) {
        end = WaitEnd::kConnected;
        break;
      }
      (void)attempt;
    }
    s_.console->ClearProgress(r_.hostname);
    return end;
  }

  // f_run_script.
  void RunScript() {
    if (s_.script_name.empty()) {
      Msg("Guest is up; no script to run");
      result_.status = GuestStatus::kUp;
      return;
    }
    Msg("Running script...");
    const int64_t start = MonoMs();
    SshResult r = Ssh(ScriptCommand(s_.settings.rw_guest, s_.settings.common_ro_guest,
                                    s_.script_name),
                      true, -1);
    result_.script_seconds = (MonoMs() - start) / 1000.0;
    result_.exit_code = r.exit_code;
    switch (r.outcome) {
      case SshOutcome::kOk:
        Msg("Script ran OK");
        result_.status = GuestStatus::kPassed;
        return;
      case SshOutcome::kRemoteFailed:
        Err("ssh returned " + std::to_string(r.exit_code));
        result_.status = GuestStatus::kFailed;
        return;
      case SshOutcome::kHostKeyChanged:
        Err("ssh returned 255: the host key changed");
        result_.status = GuestStatus::kHostKeyChanged;
        result_.detail = RefusalText(Refusal::kHostKeyChanged);
        return;
      case SshOutcome::kConnectFailed: {
        std::string line = SshFailureLine(r.err_tail);
        Err("ssh returned 255" + (line.empty() ? std::string() : ": " + line));
        result_.status = GuestStatus::kUnreachable;
        result_.detail = line;
        return;
      }
      case SshOutcome::kSignaled:
        Err("ssh was killed by signal " + std::to_string(r.exit_code - 128));
        result_.status = r.interrupted || Interrupted() ? GuestStatus::kInterrupted
                                                        : GuestStatus::kError;
        result_.detail = "ssh killed by signal " + std::to_string(r.exit_code - 128);
        return;
    }
  }

  // --- shutting down ---
  // The guest's shutdown command over ssh (detached on the guest), then up
  // to the stop timeout for QEMU to exit, then SIGTERM - sent only to the
  // QEMU the launch file names, pinned so a reused pid is never hit.
  void Shutdown() {
    const bool after_run = reached_ || result_.launched;
    Msg("Shutting down");
    std::string err;
    LaunchFile launch;
    if (!ReadLaunchFile(launch_path_, &launch, &err)) Err(err);
    std::unique_ptr<ProcessWatch> qemu;
    if (launch.exists && launch.pid != 0) {
      qemu.reset(new ProcessWatch(launch.pid));
      if (!LaunchFileNamesLiveQemu(launch)) qemu.reset();
    }
    if (!qemu) {
      ImageFact image = ProbeImage();
      if (image == ImageFact::kFree) {
        Msg("Not running");
        if (!after_run) {
          result_.status = GuestStatus::kStopped;
          result_.detail = "was not running";
        }
        return;
      }
      std::string why = image == ImageFact::kProbeError
                            ? "could not tell whether the disk image is in use"
                            : "the disk image is in use, but the launch file names "
                              "no QEMU runall started; not stopping it";
      Err(why);
      ShutdownFailed(image == ImageFact::kProbeError ? GuestStatus::kError
                                                     : GuestStatus::kRefused,
                     why);
      return;
    }
    const int64_t start = MonoMs();
    SshResult r = Ssh(ShutdownCommand(r_.shutdown), false,
                      (s_.ssh.connect_timeout + kShutdownSshSeconds) * 1000LL);
    if (r.interrupted || Interrupted()) return;
    bool sent = r.outcome == SshOutcome::kOk;
    if (sent) {
      Msg("Waiting up to " + std::to_string(r_.stop_timeout) +
          "s for QEMU (pid " + std::to_string(launch.pid) + ") to exit");
      ExitWait w = qemu->WaitExit(
          r_.stop_timeout * 1000LL,
          [&](int64_t waited) {
            s_.console->SetProgress(
                {"stopping", r_.hostname, waited / 1000, r_.stop_timeout});
            return true;
          },
          500);
      s_.console->ClearProgress(r_.hostname);
      if (w == ExitWait::kInterrupted) return;
    } else {
      std::string line = r.timed_out ? "ssh timed out" : SshFailureLine(r.err_tail);
      Msg("Shutdown command not delivered (" +
          (line.empty() ? "ssh returned " + std::to_string(r.exit_code) : line) +
          "); stopping QEMU with SIGTERM");
    }
    bool termed = false;
    if (qemu->Alive()) {
      if (sent)
        Msg("QEMU still running after " + std::to_string(r_.stop_timeout) +
            "s; sending SIGTERM");
      if (!qemu->Signal(SIGTERM, &err)) {
        Err(err);
      } else {
        termed = true;
        qemu->WaitExit(kTermSeconds * 1000LL);
      }
    }
    if (qemu->Alive()) {
      std::string why = "QEMU (pid " + std::to_string(launch.pid) +
                        ") still running after SIGTERM";
      Err(why);
      ShutdownFailed(GuestStatus::kError, why);
      return;
    }
    std::string how = termed ? "stopped with SIGTERM" : sent ? "powered off" : "exited";
    Msg("QEMU exited (" + how + ", " + Seconds((MonoMs() - start) / 1000.0) + ")");
    if (!after_run) {
      result_.status = GuestStatus::kStopped;
      result_.detail = how;
    } else if (termed) {
      AddDetail("shut down with SIGTERM");
    }
  }

  void AddDetail(const std::string& text) {
    result_.detail = result_.detail.empty() ? text : result_.detail + "; " + text;
  }

  // A --shutdown after the run that did not work turns a pass into an
  // error: the caller asked for no guest to be left running.
  void ShutdownFailed(GuestStatus status, const std::string& why) {
    if (!(reached_ || result_.launched)) {
      result_.status = status;
      result_.detail = why;
      return;
    }
    if (Passed(result_)) result_.status = GuestStatus::kError;
    AddDetail("shutdown failed: " + why);
  }

  const Shared& s_;
  const GuestRecord& r_;
  GuestResult result_;
  StartupLimits limits_;
  std::string launch_path_;
  std::string up_file_;
  LaunchFile launch_;
  SshEndpoint endpoint_;
  int guest_log_ = -1;
  bool guest_log_at_line_start_ = true;
  bool reached_ = false;
};
}  // namespace

GuestResult RunGuest(const Shared& shared, const GuestRecord& guest) {
  GuestRun run(shared, guest);
  return run.Run();
}

GuestResult StopGuest(const Shared& shared, const GuestRecord& guest) {
  GuestRun run(shared, guest);
  return run.Stop();
}

}  // namespace runall
