#include "guest_run.hpp"

#include <stdio.h>

namespace runall {

namespace {

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
  return problem.empty() ? "could not tell whether the disk image is in use"
                         : problem;
}

GuestResult GuestRun::Run() {
  Begin();
  Startup();
  if (options_.shutdown && AfterRun() && !ops_->Interrupted()) Shutdown();
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
  if (log_->appending())
    log_->Msg("another run on this guest is writing its log: appending to it");
  ops_->Begin();
}

void GuestRun::End() {
  ops_->End();
  log_->Msg("END");
}

void GuestRun::Note(const StartupDecision& decision) {
  for (const LogNote& n : decision.notes)
    n.error ? log_->Error(n.text) : log_->Msg(n.text);
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
        RunScript();
        return;
      case Action::kLaunch: {
        LaunchResult launch = ops_->Launch();
        if (launch.outcome == LaunchOutcome::kLostRace) {
          ops_->Gather(&f);
          f.wait_end = WaitEnd::kNone;
          stage = Stage::kAfterLostRace;
          continue;
        }
        if (launch.outcome == LaunchOutcome::kNotStarted) {
          result_.status = GuestStatus::kBootFailed;
          result_.detail = launch.detail;
          return;
        }
        result_.launched = true;
        ops_->Gather(&f);
        BootWait wait = ops_->WaitBoot();
        f.wait_end = wait.end;
        if (wait.end == WaitEnd::kUp) result_.boot_seconds = wait.boot_seconds;
        need_ssh = options_.await_ssh_after_boot;
        stage = Stage::kAfterLaunchWait;
        continue;
      }
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
        result_.status = d.refusal == Refusal::kHostKeyChanged
                             ? GuestStatus::kHostKeyChanged
                             : GuestStatus::kRefused;
        result_.detail = RefusalText(d.refusal);
        return;
      case Action::kBootTimeout:
        result_.status = GuestStatus::kBootTimeout;
        result_.detail = "no boot signal within " +
                         std::to_string(options_.limits.start_timeout) +
                         "s of the launch";
        return;
      case Action::kBootFailed:
        result_.status = GuestStatus::kBootFailed;
        result_.detail = "QEMU exited before the guest came up (see " +
                         options_.console_log + ")";
        return;
      case Action::kError:
        result_.status = GuestStatus::kError;
        result_.detail = d.refusal != Refusal::kNone
                             ? RefusalText(d.refusal)
                             : ImageProblemText();
        return;
    }
  }
  if (!ops_->Interrupted()) {
    result_.status = GuestStatus::kError;
    result_.detail = "the startup decision did not settle";
  }
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
      result_.status = run.interrupted || ops_->Interrupted()
                           ? GuestStatus::kInterrupted
                           : GuestStatus::kError;
      result_.detail = "ssh killed by signal " + signal;
      return;
    }
  }
}

// The stop path: the guest's shutdown command over ssh, then up to the stop
// timeout for QEMU to exit, then SIGTERM - sent only to the QEMU the launch
// file names, pinned so that a reused pid is never hit.
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
    StopProblem(image == ImageFact::kProbeError ? GuestStatus::kError
                                                : GuestStatus::kRefused,
                why);
    return;
  }
  const int64_t start = ops_->NowMs();
  StopRequest shutdown = ops_->RequestStop(StopWay::kShutdownCommand);
  if (shutdown.interrupted || ops_->Interrupted()) return;
  if (shutdown.sent) {
    log_->Msg("Waiting up to " + std::to_string(stop_timeout) + "s for QEMU (pid " +
              std::to_string(pid) + ") to exit");
    if (ops_->WaitQemuExit(stop_timeout, true) == ExitWait::kInterrupted) return;
  } else {
    log_->Msg("Shutdown command not delivered (" + shutdown.why_not +
              "); stopping QEMU with SIGTERM");
  }
  bool termed = false;
  if (ops_->QemuAlive()) {
    if (shutdown.sent)
      log_->Msg("QEMU still running after " + std::to_string(stop_timeout) +
                "s; sending SIGTERM");
    StopRequest term = ops_->RequestStop(StopWay::kSigterm);
    if (!term.sent) {
      log_->Error(term.why_not);
    } else {
      termed = true;
      ops_->WaitQemuExit(kSigtermSeconds, false);
    }
  }
  if (ops_->QemuAlive()) {
    std::string why = "QEMU (pid " + std::to_string(pid) + ") still running after SIGTERM";
    log_->Error(why);
    StopProblem(GuestStatus::kError, why);
    return;
  }
  std::string how = termed ? "stopped with SIGTERM" : shutdown.sent ? "powered off" : "exited";
  log_->Msg("QEMU exited (" + how + ", " + Seconds((ops_->NowMs() - start) / 1000.0) + ")");
  if (!AfterRun()) {
    result_.status = GuestStatus::kStopped;
    result_.detail = how;
  } else if (termed) {
    AddDetail("shut down with SIGTERM");
  }
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
