#include "guest_run.hpp"

#include <stdio.h>

namespace runall {

namespace {

const char kThrowawayWontStop[] = "the throw-away guest's QEMU would not stop";

// "3.2s", for log lines.
std::string Seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

}  // namespace

GuestRun::GuestRun(const GuestRunOptions& options, GuestOps* ops, GuestLog* log)
    : options_(options), ops_(ops), log_(log) {
  result_.host = options.host;
}

std::string GuestRun::ImageProblemText() {
  const std::string problem = ops_->ImageProblem();
  return problem.empty() ? "could not tell whether the disk image is in use" : problem;
}

GuestResult GuestRun::Run() {
  Begin();
  if (options_.throwaway) {
    RunThrowaway();
  } else {
    Startup();
    if (options_.shutdown && AfterRun() && !ops_->Interrupted()) Shutdown();
  }
  // A ^C that came while this guest was handled: whatever its script or
  // boot came to was cut short (a script killed by the ^C "fails" too).
  if (ops_->Interrupted() && result_.status != GuestStatus::kPassed) {
    if (result_.status == GuestStatus::kFailed)
      AddDetail("exit " + std::to_string(result_.exit_code));
    result_.status = GuestStatus::kInterrupted;
  }
  End();
  return result_;
}

GuestResult GuestRun::Stop() {
  Begin();
  Shutdown();
  if (ops_->Interrupted() && result_.status != GuestStatus::kStopped)
    result_.status = GuestStatus::kInterrupted;
  End();
  return result_;
}

void GuestRun::Begin() {
  log_->Msg("START");
  if (log_->appending()) log_->Msg("another run on this guest is writing its log: appending to it");
  ops_->Begin();
}

void GuestRun::End() {
  ops_->End();
  log_->Msg("END");
}

void GuestRun::Note(const StartupDecision& decision) {
  for (const LogNote& n : decision.notes) n.error ? log_->Error(n.text) : log_->Msg(n.text);
}

// resume = throwaway: the run takes the guest for itself, launches it from
// the saved state on a copy of its own, runs the script, and stops it and
// discards the copy whatever came of the script (even on a ^C): nothing
// the script did survives the run. A guest that runs already, outside such
// a run, is not this run's to use or to stop.
void GuestRun::RunThrowaway() {
  if (!ops_->HoldThrowaway()) {
    if (!ops_->Interrupted()) {
      result_.status = GuestStatus::kError;
      result_.detail = "its saved state could not be had (see its log)";
    }
    return;
  }
  StartupFacts f;
  ops_->Gather(&f);
  if (f.image == ImageFact::kProbeError) {
    result_.status = GuestStatus::kError;
    result_.detail = ImageProblemText();
    return;
  }
  if (f.image != ImageFact::kFree || f.launch_names_live_qemu) {
    result_.status = GuestStatus::kRefused;
    result_.detail =
        "resume = throwaway: the guest runs already, outside a throw-away run; "
        "stop it first (runall-os-test --stop)";
    log_->Error(result_.detail);
    return;
  }
  Startup();
  // Also after a launch that failed: its copy goes.
  if (ops_->DiscardThrowaway()) {
    if (result_.launched) result_.stopped_by = "throw-away end";
    return;
  }
  log_->Error(kThrowawayWontStop);
  StopProblem(GuestStatus::kError, kThrowawayWontStop);
}

// The article's main_os_startup_function: facts, a decision, its effect,
// and the decision again with what the effect came to.
void GuestRun::Startup() {
  StartupFacts f;
  log_->Msg(kTestingConnection);
  ops_->Gather(&f);
  // A guest whose image nobody holds and whose launch file names no
  // running QEMU cannot be running on this host: a short knock on its port
  // tells whether it answers anyway (from elsewhere) without waiting for a
  // dead address to time out.
  bool quick = f.image == ImageFact::kFree && !f.launch_names_live_qemu;
  f.reach = ops_->TestConnection(quick ? Knock::kQuick : Knock::kPatient);
  Stage stage = Stage::kFirstLook;
  bool need_ssh = false;
  // Every path through the table ends within a few steps; the bound only
  // guards against a table bug looping for ever.
  for (int step = 0; step < 16 && !ops_->Interrupted(); ++step) {
    StartupDecision d = DecideStartup(stage, f, options_.limits);
    Note(d);
    switch (d.action) {
      case Action::kRunScript:
        reached_ = true;
        if (need_ssh && !ops_->AwaitSsh()) {
          if (!ops_->Interrupted()) {
            result_.status = GuestStatus::kUnreachable;
            result_.detail = "ssh did not answer after the boot signal";
          }
          return;
        }
        // The first boot on a state of the guest's own is over: saved
        // now, before the script changes anything, for later runs.
        if (save_pending_) {
          save_pending_ = false;
          const bool saved = ops_->SaveState();
          if (ops_->Interrupted()) return;
          // A throw-away run's script never runs in the guest that made
          // the state: it goes, and the script runs on a copy resumed
          // from the state, as every later run's does.
          if (saved && options_.throwaway) {
            log_->Msg("Stopping the guest that saved the state: the script runs on a copy of it");
            if (!ops_->DiscardThrowaway()) {
              log_->Error(kThrowawayWontStop);
              result_.status = GuestStatus::kError;
              result_.detail = kThrowawayWontStop;
              return;
            }
            f = StartupFacts();
            ops_->Gather(&f);
            f.reach = Reach::kNo;
            stage = Stage::kFirstLook;
            need_ssh = false;
            continue;
          }
        }
        RunScript();
        return;
      case Action::kLaunch:
        if (!Launch(&f, &stage, &need_ssh)) return;
        continue;
      case Action::kWaitUpFile: {
        BootWait wait = ops_->WaitBoot();
        f.wait_end = wait.end;
        if (wait.end == WaitEnd::kUp) result_.boot_seconds = wait.boot_seconds;
        need_ssh = options_.await_ssh_after_boot;
        stage = Stage::kAfterBootWait;
        continue;
      }
      case Action::kWaitQemuInit:
        ops_->WaitForImage(ImageWait::kQemuOpensImage, &f);
        f.wait_end = WaitEnd::kNone;
        stage = Stage::kAfterInitWait;
        continue;
      case Action::kWaitLaunchFile:
        ops_->WaitForImage(ImageWait::kLaunchFileNamesQemu, &f);
        f.wait_end = WaitEnd::kNone;
        stage = Stage::kAfterLaunchFileWait;
        continue;
      case Action::kWaitShutdown:
        f.wait_end = ops_->WaitShutdownOrConnect();
        ops_->Gather(&f);
        stage = Stage::kAfterShutdownWait;
        continue;
      case Action::kRefuse:
        result_.status = d.refusal == Refusal::kHostKeyChanged ? GuestStatus::kHostKeyChanged
                                                               : GuestStatus::kRefused;
        result_.detail = RefusalText(d.refusal);
        return;
      case Action::kBootTimeout:
        result_.status = GuestStatus::kBootTimeout;
        result_.detail = "no boot signal within " + std::to_string(options_.limits.start_timeout) +
                         "s of the launch";
        ShowConsoleTail();
        return;
      case Action::kBootFailed:
        result_.status = GuestStatus::kBootFailed;
        result_.detail = "QEMU exited before the guest came up (see " + options_.console_log + ")";
        ShowConsoleTail();
        return;
      case Action::kError:
        result_.status = GuestStatus::kError;
        result_.detail = d.refusal != Refusal::kNone ? RefusalText(d.refusal) : ImageProblemText();
        return;
    }
  }
  if (!ops_->Interrupted()) {
    result_.status = GuestStatus::kError;
    result_.detail = "the startup decision did not settle";
  }
}

// Boots the guest and waits for its boot signal; false when the run ends
// here (the launch failed). A QEMU that exited at once for a reason the
// operations can mend (a KVM that cannot run guests here) is launched
// once more.
bool GuestRun::Launch(StartupFacts* f, Stage* stage, bool* need_ssh) {
  bool kvm_asked = false, resume_abandoned = false;
  for (;;) {
    LaunchResult launch = ops_->Launch();
    if (launch.outcome == LaunchOutcome::kLostRace) {
      ops_->Gather(f);
      f->wait_end = WaitEnd::kNone;
      *stage = Stage::kAfterLostRace;
      return true;
    }
    // A saved state that does not load is never a failed run: the guest
    // boots instead, once.
    if (launch.resumed && launch.outcome == LaunchOutcome::kNotStarted && !resume_abandoned &&
        !ops_->Interrupted()) {
      resume_abandoned = true;
      if (!GiveUpResume()) return false;
      continue;
    }
    // QEMU may die too soon for runqemuos to see it started: the same
    // early exit as one the boot wait sees.
    if (launch.outcome == LaunchOutcome::kNotStarted && !kvm_asked && !ops_->Interrupted()) {
      kvm_asked = true;
      if (ops_->RelaunchAfterEarlyExit()) continue;
    }
    if (launch.outcome == LaunchOutcome::kNotStarted) {
      result_.status = GuestStatus::kBootFailed;
      result_.detail = launch.detail;
      ShowConsoleTail();
      return false;
    }
    result_.launched = true;
    ops_->Gather(f);
    BootWait wait = ops_->WaitBoot();
    if (launch.resumed && wait.end != WaitEnd::kUp && wait.end != WaitEnd::kNone &&
        !resume_abandoned && !ops_->Interrupted()) {
      resume_abandoned = true;
      if (!GiveUpResume()) return false;
      continue;
    }
    if (wait.end == WaitEnd::kExited && !kvm_asked && !ops_->Interrupted()) {
      kvm_asked = true;
      if (ops_->RelaunchAfterEarlyExit()) continue;
    }
    f->wait_end = wait.end;
    if (wait.end == WaitEnd::kUp) {
      result_.boot_seconds = wait.boot_seconds;
      result_.resumed = launch.resumed;
      save_pending_ = launch.save_state;
    }
    *need_ssh = options_.await_ssh_after_boot;
    *stage = Stage::kAfterLaunchWait;
    return true;
  }
}

// A resume that did not come up: its QEMU stopped and the state gone, the
// guest is booted instead. False when the run ends here.
bool GuestRun::GiveUpResume() {
  log_->Msg("Resuming from the saved state failed: booting instead");
  ShowConsoleTail();
  if (ops_->AbandonResume()) return true;
  result_.status = GuestStatus::kError;
  result_.detail = "resuming from the saved state failed, and its QEMU would not stop";
  return false;
}

// With a boot that failed or timed out: what the guest's console said
// last, which is often why.
void GuestRun::ShowConsoleTail() {
  std::vector<std::string> tail = ops_->ConsoleTail();
  if (tail.empty()) return;
  log_->Msg("The last lines of its console (" + options_.console_log + "):");
  for (const std::string& line : tail) log_->Msg("  " + line);
}

// The article's f_run_script.
void GuestRun::RunScript() {
  if (!options_.has_script) {
    log_->Msg("Guest is up; no script to run");
    result_.status = GuestStatus::kUp;
    return;
  }
  log_->Msg("Running script...");
  const int64_t start = ops_->NowMs();
  ScriptRun run = ops_->RunScript();
  result_.script_seconds = (ops_->NowMs() - start) / 1000.0;
  result_.exit_code = run.exit_code;
  switch (run.outcome) {
    case SshOutcome::kOk:
      log_->Msg("Script ran OK");
      result_.status = GuestStatus::kPassed;
      return;
    case SshOutcome::kRemoteFailed:
      log_->Error("ssh returned " + std::to_string(run.exit_code));
      result_.status = GuestStatus::kFailed;
      return;
    case SshOutcome::kHostKeyChanged:
      log_->Error("ssh returned 255: the host key changed");
      result_.status = GuestStatus::kHostKeyChanged;
      result_.detail = RefusalText(Refusal::kHostKeyChanged);
      return;
    case SshOutcome::kConnectFailed: {
      const std::string& line = run.ssh_failure;
      log_->Error("ssh returned 255" + (line.empty() ? std::string() : ": " + line));
      result_.status = GuestStatus::kUnreachable;
      result_.detail = line;
      return;
    }
    case SshOutcome::kSignaled: {
      std::string signal = std::to_string(run.exit_code - 128);
      log_->Error("ssh was killed by signal " + signal);
      result_.status =
          run.interrupted || ops_->Interrupted() ? GuestStatus::kInterrupted : GuestStatus::kError;
      result_.detail = "ssh killed by signal " + signal;
      return;
    }
  }
}

unsigned PowerButtonSeconds(unsigned stop_timeout) {
  return stop_timeout < 2 ? 1 : stop_timeout / 2;
}

// The stop path (runall-os-test(1), "Shutting down"): the power button,
// which needs no privilege inside the guest; then the guest's shutdown
// command over ssh, for guests that ignore the button; then, at the stop
// timeout, SIGTERM and SIGKILL - sent only to the QEMU the launch file
// names, pinned so that a reused pid is never hit.
void GuestRun::Shutdown() {
  log_->Msg("Shutting down");
  const unsigned stop_timeout = options_.limits.stop_timeout;
  pid_t pid = 0;
  if (!ops_->FindQemu(&pid)) {
    ImageFact image = ops_->ProbeImage();
    if (image == ImageFact::kFree) {
      log_->Msg("Not running");
      if (!AfterRun()) {
        result_.status = GuestStatus::kStopped;
        result_.detail = "was not running";
      }
      return;
    }
    std::string why = image == ImageFact::kProbeError
                          ? ImageProblemText()
                          : "the disk image is in use, but the launch file names "
                            "no QEMU runall started; not stopping it";
    log_->Error(why);
    StopProblem(image == ImageFact::kProbeError ? GuestStatus::kError : GuestStatus::kRefused, why);
    return;
  }
  const std::string qemu = "QEMU (pid " + std::to_string(pid) + ")";
  stop_started_ms_ = ops_->NowMs();
  bool asked = false;  // a request reached the guest: it may be on its way down
  auto waited_s = [&]() {
    return static_cast<unsigned>((ops_->NowMs() - stop_started_ms_ + 999) / 1000);
  };

  const unsigned button_s = PowerButtonSeconds(stop_timeout);
  StopRequest button = ops_->RequestStop(StopWay::kPowerButton);
  if (button.interrupted || ops_->Interrupted()) return;
  if (button.sent) {
    asked = true;
    log_->Msg("Pressed the power button; waiting up to " + std::to_string(button_s) + "s for " +
              qemu + " to exit");
    if (ops_->WaitQemuExit(button_s, true) == ExitWait::kInterrupted) return;
    if (!ops_->QemuAlive()) return Stopped(Ended::kPowerButton, asked);
    log_->Msg(qemu + " still running after " + std::to_string(button_s) +
              "s; running the shutdown command");
  } else {
    log_->Msg("Power button not pressed (" + button.why_not + "); running the shutdown command");
  }

  StopRequest command = ops_->RequestStop(StopWay::kShutdownCommand);
  if (command.interrupted || ops_->Interrupted()) return;
  if (command.sent) {
    asked = true;
  } else {
    log_->Msg("Shutdown command not delivered (" + command.why_not + ")");
  }
  if (asked) {
    const unsigned elapsed = waited_s();
    const unsigned left = elapsed < stop_timeout ? stop_timeout - elapsed : 1;
    log_->Msg("Waiting up to " + std::to_string(left) + "s for " + qemu + " to exit");
    if (ops_->WaitQemuExit(left, true) == ExitWait::kInterrupted) return;
  }
  if (!ops_->QemuAlive()) {
    // Without a command delivered, a guest that goes down after the
    // button was pressed is the button's doing (its sshd went first).
    return Stopped(command.sent  ? Ended::kShutdownCommand
                   : button.sent ? Ended::kPowerButton
                                 : Ended::kByItself,
                   asked);
  }

  if (asked)
    log_->Msg(qemu + " still running after " + std::to_string(stop_timeout) + "s; sending SIGTERM");
  else
    log_->Msg("Nothing reached the guest; stopping " + qemu + " with SIGTERM");
  std::string why;
  StopRequest term = ops_->RequestStop(StopWay::kSigterm);
  if (term.sent) {
    ops_->WaitQemuExit(kSigtermSeconds, false);
    if (!ops_->QemuAlive()) return Stopped(Ended::kSigterm, asked);
    log_->Msg(qemu + " still running " + std::to_string(kSigtermSeconds) +
              "s after SIGTERM; sending SIGKILL");
    StopRequest kill = ops_->RequestStop(StopWay::kSigkill);
    if (kill.sent) {
      ops_->WaitQemuExit(kSigkillSeconds, false);
      if (!ops_->QemuAlive()) return Stopped(Ended::kSigkill, asked);
      why = qemu + " still running after SIGKILL";
    } else {
      why = qemu + " still running: " + kill.why_not;
    }
  } else {
    // A signal this user may not send: SIGKILL would be refused as well.
    why = qemu + " still running: " + term.why_not;
  }
  log_->Error(why);
  StopProblem(GuestStatus::kError, why);
}

// QEMU exited, as `how` says: the log line, and the result - a guest that
// had to be killed did not pass.
void GuestRun::Stopped(Ended how, bool asked) {
  const double seconds = (ops_->NowMs() - stop_started_ms_) / 1000.0;
  std::string text, by;
  switch (how) {
    case Ended::kPowerButton:
      text = "powered off by the power button";
      by = "power button";
      break;
    case Ended::kShutdownCommand:
      text = "powered off by its shutdown command";
      by = "shutdown command";
      break;
    case Ended::kByItself: text = by = "exited"; break;
    case Ended::kSigterm:
      text = asked ? "killed with SIGTERM after the stop timeout (" +
                         std::to_string(options_.limits.stop_timeout) + "s)"
                   : "killed with SIGTERM: neither the power button nor the "
                     "shutdown command reached it";
      by = "SIGTERM";
      break;
    case Ended::kSigkill:
      text = "killed with SIGKILL: SIGTERM did not end it";
      by = "SIGKILL";
      break;
  }
  log_->Msg("QEMU exited (" + text + ", " + Seconds(seconds) + ")");
  result_.stopped_by = by;
  const bool killed = how == Ended::kSigterm || how == Ended::kSigkill;
  if (!AfterRun()) {
    result_.status = killed ? GuestStatus::kKilled : GuestStatus::kStopped;
    result_.detail = text;
    return;
  }
  if (killed && Passed(result_)) {
    if (result_.status == GuestStatus::kPassed) AddDetail("the script passed");
    result_.status = GuestStatus::kKilled;
  }
  AddDetail(text);
}

// A stop that did not work. After a run (--shutdown) it turns a pass into
// an error: the caller asked for no guest to be left running.
void GuestRun::StopProblem(GuestStatus status, const std::string& why) {
  if (!AfterRun()) {
    result_.status = status;
    result_.detail = why;
    return;
  }
  if (Passed(result_)) result_.status = GuestStatus::kError;
  AddDetail("shutdown failed: " + why);
}

void GuestRun::AddDetail(const std::string& text) {
  result_.detail = result_.detail.empty() ? text : result_.detail + "; " + text;
}

}  // namespace runall
