#include "driver.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "fail.hpp"
#include "file_io.hpp"
#include "guest_state.hpp"
#include "image_lock.hpp"
#include "interrupt.hpp"
#include "invoker.hpp"
#include "log.hpp"
#include "proc.hpp"
#include "process_watch.hpp"
#include "qemu_launch.hpp"
#include "report.hpp"
#include "script_copy.hpp"
#include "settings.hpp"
#include "spawn.hpp"
#include "ssh.hpp"
#include "startup_decision.hpp"
#include "tcp_probe.hpp"
#include "wait_file.hpp"

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

std::string LinePrefixer::Feed(const char* data, size_t size) {
  std::string out;
  partial_.append(data, size);
  size_t start = 0;
  while (true) {
    size_t nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    out += prefix_;
    out.append(partial_, start, nl + 1 - start);
    start = nl + 1;
  }
  partial_.erase(0, start);
  return out;
}

std::string LinePrefixer::Flush() {
  if (partial_.empty()) return "";
  std::string out = prefix_ + partial_ + "\n";
  partial_.clear();
  return out;
}

std::string ProgressLine(const std::vector<ProgressItem>& items, size_t width) {
  std::string line;
  for (const ProgressItem& p : items) {
    if (!line.empty()) line += ", ";
    line += p.what + " " + p.host + " " + std::to_string(p.waited_s) + "s";
    if (p.limit_s > 0) line += "/" + std::to_string(p.limit_s) + "s";
  }
  width = std::max<size_t>(width, 10);
  // One column is left free: a line that fills the terminal exactly wraps
  // on some terminals.
  if (line.size() > width - 1) line = line.substr(0, width - 4) + "...";
  return line;
}

int64_t MillisBetween(const struct timespec& from, const struct timespec& to) {
  return (to.tv_sec - from.tv_sec) * 1000LL + (to.tv_nsec - from.tv_nsec) / 1000000;
}

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

// mkdir -p, each new directory with `mode`.
bool MakeDirs(const std::string& path, mode_t mode, std::string* err) {
  if (path.empty()) return true;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    *err = path + ": not a directory";
    return false;
  }
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0 &&
      !MakeDirs(path.substr(0, slash), mode, err))
    return false;
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    *err = ErrnoMessage("mkdir " + path);
    return false;
  }
  return true;
}

std::string HomeDirectory() {
  const char* home = getenv("HOME");
  if (home != nullptr && home[0] == '/') return home;
  struct passwd* pw = getpwuid(getuid());
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "/";
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
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

// --- the terminal ------------------------------------------------------------------

// Everything the driver writes to the terminal goes through here: script
// output (prefixed per guest when guests run side by side), log lines when
// the log is stderr, and the progress line, which is cleared before any
// other output and drawn again after it, so it never mixes with them.
class Console {
 public:
  Console(bool progress, bool prefix) : progress_(progress), prefix_(prefix) {}

  // Output of a guest's script on `fd` (1 or 2).
  void Output(const std::string& host, int fd, const char* data, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!prefix_) {
      ClearLocked();
      WriteAll(fd, std::string(data, n));
      at_line_start_ = n > 0 && data[n - 1] == '\n';
      DrawLocked();
      return;
    }
    auto& p = Prefixer(host, fd);
    std::string lines = p.Feed(data, n);
    if (lines.empty()) return;
    ClearLocked();
    WriteAll(fd, lines);
    DrawLocked();
  }

  // The end of a guest's output: a last line without a newline gets one.
  void EndOutput(const std::string& host) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : {1, 2}) {
      auto it = prefixers_.find({host, fd});
      if (it == prefixers_.end()) continue;
      std::string rest = it->second.Flush();
      if (!rest.empty()) {
        ClearLocked();
        WriteAll(fd, rest);
      }
      prefixers_.erase(it);
    }
    DrawLocked();
  }

  // Whole lines of the driver's own (log lines, the summary).
  void Text(int fd, const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    ClearLocked();
    // A script's output that ended without a newline must not swallow the
    // start of the next line.
    if (!prefix_ && !at_line_start_) WriteAll(fd, "\n");
    at_line_start_ = true;
    WriteAll(fd, text);
    DrawLocked();
  }

  void SetProgress(const ProgressItem& item) {
    if (!progress_) return;
    std::lock_guard<std::mutex> lock(mu_);
    bool found = false;
    for (ProgressItem& p : items_)
      if (p.host == item.host) {
        if (p.what == item.what && p.waited_s == item.waited_s &&
            p.limit_s == item.limit_s)
          return;
        p = item;
        found = true;
      }
    if (!found) items_.push_back(item);
    ClearLocked();
    DrawLocked();
  }

  void ClearProgress(const std::string& host) {
    if (!progress_) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::remove_if(items_.begin(), items_.end(),
                             [&](const ProgressItem& p) { return p.host == host; });
    if (it == items_.end()) return;
    items_.erase(it, items_.end());
    ClearLocked();
    DrawLocked();
  }

 private:
  LinePrefixer& Prefixer(const std::string& host, int fd) {
    auto key = std::make_pair(host, fd);
    auto it = prefixers_.find(key);
    if (it == prefixers_.end())
      it = prefixers_.emplace(key, LinePrefixer("[" + host + "] ")).first;
    return it->second;
  }

  void ClearLocked() {
    if (!shown_) return;
    WriteAll(STDERR_FILENO, "\r\033[K");
    shown_ = false;
  }

  void DrawLocked() {
    if (!progress_ || items_.empty() || !at_line_start_) return;
    struct winsize ws;
    size_t width = 80;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
      width = ws.ws_col;
    WriteAll(STDERR_FILENO, ProgressLine(items_, width));
    shown_ = true;
  }

  std::mutex mu_;
  const bool progress_;
  const bool prefix_;
  bool shown_ = false;
  bool at_line_start_ = true;
  std::vector<ProgressItem> items_;
  std::map<std::pair<std::string, int>, LinePrefixer> prefixers_;
};

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

// What every guest's run shares.
struct Shared {
  DriverArgs args;
  Settings settings;
  std::string settings_path;
  std::string runqemuos;
  std::string log_dir;
  std::string up_dir;
  SshConfig ssh;
  std::string script_name;  ///< under common_ro_guest; empty: no script
  bool root = false;
  Log* log = nullptr;
  Console* console = nullptr;
};

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
      GuestRun run(s, records[picked[i]]);
      results[i] = args.stop ? run.Stop() : run.Run();
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
