// guest_run: one guest's run, as the article's main_os_startup_function
// and its shutdown decide it - the loop that asks startup_decision what to
// do next, has it done, and asks again with what came of it, until the
// script has run or the guest is refused; then, with --shutdown or --stop,
// the stop path. It decides and logs; everything it does to the world
// (ssh, QEMU, files, waits, the terminal) goes through a GuestOps, as
// ninja's Builder runs commands only through a CommandRunner. The real
// operations are in guest_ops; tests/guest_run_test.cpp walks every branch
// with a fake.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "guest_log.hpp"
#include "process_watch.hpp"  // ExitWait
#include "report.hpp"
#include "ssh.hpp"  // SshOutcome
#include "startup_decision.hpp"

namespace runall {

/// How long the first connection test may knock.
enum class Knock {
  kQuick,    ///< the guest cannot be running here: a short knock on its port
  kPatient,  ///< it may be: ssh's connect timeout
};

/// How a launch ended.
enum class LaunchOutcome {
  kStarted,     ///< QEMU runs and the launch file names it
  kLostRace,    ///< another launch took the image first; nothing was started
  kNotStarted,  ///< nothing runs; `detail` says why
};

struct LaunchResult {
  LaunchOutcome outcome = LaunchOutcome::kNotStarted;
  std::string detail;
  /// The QEMU resumes the guest's saved state instead of booting it; its
  /// boot signal is the same as a boot's (the guest's resume watcher
  /// writes the up-file again). Should the resume fail, the run asks
  /// AbandonResume and launches again.
  bool resumed = false;
  /// The guest boots on a state of its own: once up, SaveState saves it.
  bool save_state = false;
};

/// How a wait for a booting guest's boot signal ended.
struct BootWait {
  WaitEnd end = WaitEnd::kNone;  ///< kUp, kTimedOut, kExited; kNone: interrupted
  double boot_seconds = -1;      ///< launch to boot signal, with kUp
};

/// What the waits before a decision wait for (startup_decision's
/// kWaitQemuInit and kWaitLaunchFile).
enum class ImageWait {
  kQemuOpensImage,       ///< a QEMU the launch file names opens the image
  kLaunchFileNamesQemu,  ///< the launch file names the QEMU holding the lock
};

/// What running the script came to.
struct ScriptRun {
  SshOutcome outcome = SshOutcome::kConnectFailed;
  int exit_code = 255;       ///< the script's, or ssh's 255, or 128 + signal
  std::string ssh_failure;   ///< ssh's own last failure line, if it said one
  bool interrupted = false;  ///< an interrupt stopped it
};

/// The ways to make a running guest stop, in the order the stop path tries
/// them. Each is asked for with RequestStop and followed by WaitQemuExit.
enum class StopWay {
  kPowerButton,      ///< the ACPI power button: QMP system_powerdown
  kShutdownCommand,  ///< the guest config's shutdown command, over ssh
  kSigterm,          ///< SIGTERM to the pinned QEMU
  kSigkill,          ///< SIGKILL to it
};

struct StopRequest {
  bool sent = false;         ///< the request reached the guest or its QEMU
  bool interrupted = false;  ///< an interrupt cut the request short
  std::string why_not;       ///< when not sent: why, for the log
};

/// Everything a guest's run does to the world, one call per step of the
/// article's flow. Each call logs what it did (its commands, what it saw);
/// the run logs what it decided. One object serves one guest for one run,
/// so it may keep state across calls (the launch file last read, the pinned
/// QEMU) and hold a resource for the whole run (Begin to End).
///
/// Meant to grow by operations, not by changes to the run's loop:
/// - resuming from a saved state (resume = yes): a Launch that resumes
///   instead of booting (LaunchResult saying which) with the boot's own
///   signal, SaveState after a first boot, AbandonResume when a resume
///   fails.
/// - one ssh connection per guest (ControlMaster): opened in Begin or by
///   the first TestConnection, reused by every ssh of the run, closed in
///   End - invisible to the loop.
/// - user-mode networking: where ssh goes (127.0.0.1 and a forwarded port)
///   is the operations' business, settled in Begin and Launch.
class GuestOps {
 public:
  virtual ~GuestOps() {}

  /// Before anything else: heads the guest's output on the terminal, and
  /// learns where ssh goes for this guest.
  virtual void Begin() = 0;
  /// After everything else: takes the guest off the progress line.
  virtual void End() = 0;

  /// The image, the launch file and the up-file as they are now (every
  /// fact but `reach` and `wait_end`).
  virtual void Gather(StartupFacts* facts) = 0;
  /// The article's connection test: the ssh port, then `./hostname`.
  virtual Reach TestConnection(Knock knock) = 0;

  /// Starts the guest's QEMU (runqemuos -b).
  virtual LaunchResult Launch() = 0;
  /// Waits for the boot signal of the guest the launch file names, until
  /// the start timeout counted from the launch, or until its QEMU exits.
  virtual BootWait WaitBoot() = 0;
  /// After the QEMU this run launched exited - at once (Launch said
  /// kNotStarted) or during the boot wait: true if
  /// the operations know why and have changed what the next Launch does so
  /// that it does not happen again (a KVM that cannot run guests on this
  /// host: the next launch, and later runs, use TCG); they log it. Asked
  /// at most once per run.
  virtual bool RelaunchAfterEarlyExit() = 0;
  /// After a launch with `save_state`, once the guest is up and its ssh
  /// answers: saves its running state for later runs to resume, and
  /// waits for the guest to come back from the save (its shares mounted
  /// again). False if no state was saved; the guest runs on either way.
  virtual bool SaveState() = 0;
  /// After a launch with `resumed` that did not come up (QEMU exited, the
  /// boot signal never came): stops that QEMU and discards the saved
  /// state, so that the next Launch boots. False if its QEMU would not
  /// stop. Asked at most once per run.
  virtual bool AbandonResume() = 0;
  /// resume = throwaway, before anything else: takes the guest for this
  /// run, waiting (with progress, until an interrupt) while another
  /// throw-away run of it goes on, and removes the copies of runs that
  /// ended without stopping theirs. Held until the operations end. False
  /// on an interrupt, or if the guest's state directory cannot be had
  /// (logged).
  virtual bool HoldThrowaway() = 0;
  /// resume = throwaway: stops the QEMU this run launched, if it runs (no
  /// need to shut the guest down: nothing in it is kept), and removes the
  /// run's copy of the saved state. Not cut short by an interrupt; false
  /// if the QEMU would not stop.
  virtual bool DiscardThrowaway() = 0;
  /// The last lines of the guest's console from its last launch (of this
  /// run's launch, when this run launched it), for a boot that failed or
  /// timed out; empty if there are none.
  virtual std::vector<std::string> ConsoleTail() = 0;
  /// After an up-file: waits briefly for the guest's sshd to answer. False
  /// if it did not, or on an interrupt.
  virtual bool AwaitSsh() = 0;
  /// Waits up to the QEMU init period for `what`, then gathers the facts
  /// again into *facts.
  virtual void WaitForImage(ImageWait what, StartupFacts* facts) = 0;
  /// Waits up to the stop timeout for a guest going down to exit (kExited)
  /// or answer the connection test (kConnected); kTimedOut, or kNone on an
  /// interrupt.
  virtual WaitEnd WaitShutdownOrConnect() = 0;

  /// Runs the script on the guest, its output on the terminal and in the
  /// guest's log.
  virtual ScriptRun RunScript() = 0;

  /// Reads the launch file and pins the QEMU it names, if it is alive and
  /// ours; false (*pid 0) if there is none. The stop path's target.
  virtual bool FindQemu(pid_t* pid) = 0;
  /// Who has the guest's disk image.
  virtual ImageFact ProbeImage() = 0;
  /// After an image fact of kProbeError: what went wrong, in words for the
  /// summary ("the disk image X does not exist ..."); empty if unknown.
  virtual std::string ImageProblem() = 0;
  /// Asks the pinned QEMU's guest to stop in `way`.
  virtual StopRequest RequestStop(StopWay way) = 0;
  /// Waits up to `seconds` for the pinned QEMU to exit; `progress` shows the
  /// wait on the progress line.
  virtual ExitWait WaitQemuExit(unsigned seconds, bool progress) = 0;
  /// True while the pinned QEMU has not exited.
  virtual bool QemuAlive() = 0;

  /// True once ^C (SIGINT, SIGTERM, SIGHUP) has arrived.
  virtual bool Interrupted() = 0;
  /// Monotonic milliseconds, for the durations the run reports.
  virtual int64_t NowMs() = 0;
};

/// What the run needs to know of the guest and of the command line.
struct GuestRunOptions {
  std::string host;
  StartupLimits limits;
  /// The boot signal is the up-file, so sshd may still be starting: wait
  /// for it (AwaitSsh) before the script.
  bool await_ssh_after_boot = true;
  bool has_script = false;  ///< -s was given
  bool shutdown = false;    ///< --shutdown: stop the guest after the script
  /// resume = throwaway: the guest is launched by the run, from its saved
  /// state on a copy of its own, and stopped and discarded at its end.
  bool throwaway = false;
  std::string console_log;  ///< named in the report when QEMU dies booting
};

/// How long QEMU gets to exit after SIGTERM, and after SIGKILL.
constexpr unsigned kSigtermSeconds = 10;
constexpr unsigned kSigkillSeconds = 5;

/// The part of the stop timeout the power button gets before the shutdown
/// command is tried: half of it, at least a second. A guest that handles
/// the button (most do: Linux with systemd-logind or acpid, the BSDs) is
/// off in seconds; one that ignores it still has the other half for its
/// shutdown command.
unsigned PowerButtonSeconds(unsigned stop_timeout);

/// How many console lines a failed or timed-out boot shows.
constexpr size_t kConsoleTailLines = 15;

class GuestRun {
 public:
  /// `ops` and `log` are the guest's, and outlive the run.
  GuestRun(const GuestRunOptions& options, GuestOps* ops, GuestLog* log);

  /// Brings the guest up (booting it if it is down), runs the script on it,
  /// and stops it with `shutdown`.
  GuestResult Run();

  /// --stop: stops the guest.
  GuestResult Stop();

 private:
  void Begin();
  void End();
  void Note(const StartupDecision& decision);
  void Startup();
  void RunThrowaway();
  void RunScript();
  bool Launch(StartupFacts* f, Stage* stage, bool* need_ssh);
  bool GiveUpResume();
  void ShowConsoleTail();
  void Shutdown();
  /// How QEMU came to exit on the stop path.
  enum class Ended { kPowerButton, kShutdownCommand, kByItself, kSigterm, kSigkill };
  void Stopped(Ended how, bool asked);
  void StopProblem(GuestStatus status, const std::string& why);
  void AddDetail(const std::string& text);
  std::string ImageProblemText();
  bool AfterRun() const { return reached_ || result_.launched; }

  const GuestRunOptions& options_;
  GuestOps* ops_;
  GuestLog* log_;
  GuestResult result_;
  bool reached_ = false;         ///< the decision came to running the script
  bool save_pending_ = false;    ///< this run booted the guest to save its state
  int64_t stop_started_ms_ = 0;  ///< when the stop path found QEMU
};

}  // namespace runall
