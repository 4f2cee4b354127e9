// guest_run's loop over a fake GuestOps (as ninja tests its Builder with a
// FakeCommandRunner): every branch of the article's startup decision and
// every stop path, as a user sees them - the status and detail of the
// summary, the operations carried out in their order, and the log lines -
// without QEMU, ssh or root, and without waiting: the fake's clock moves
// only when a fake wait says it took time.
#include "guest_run.hpp"

#include <deque>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log.hpp"

using namespace runall;

namespace {

const char kHost[] = "netqemu";

// What the fake's Gather finds: the image and the launch file and up-file
// facts (startup_decision's StartupFacts but for reach and wait_end, which
// the run fills in itself).
struct Files {
  ImageFact image = ImageFact::kFree;
  bool live_qemu = false;  ///< the launch file names a live QEMU of ours
  bool later_up = false;   ///< an up-file newer than the launch file
  bool expired = false;    ///< the launch file is older than the start timeout
};

const Files kDown{};                                           // nothing runs
const Files kBooting{ImageFact::kRunall, true, false, false};  // launched, no up-file
const Files kUp{ImageFact::kRunall, true, true, false};        // launched, up-file

// Takes the next scripted answer; the last one repeats.
template <typename T>
T Next(std::deque<T>* answers) {
  T value = answers->front();
  if (answers->size() > 1) answers->pop_front();
  return value;
}

// A GuestOps that answers from a script and writes each call to the
// transcript ("> Launch"), between the run's log lines.
class FakeGuestOps : public GuestOps {
 public:
  explicit FakeGuestOps(std::vector<std::string>* transcript) : transcript_(transcript) {}

  // --- the script -------------------------------------------------------------
  std::deque<Files> files{kDown};
  std::deque<Reach> reach{Reach::kNo};
  std::deque<LaunchResult> launches{{LaunchOutcome::kStarted, ""}};
  std::deque<BootWait> boot_waits{{WaitEnd::kUp, 3.5}};
  bool ssh_answers = true;  ///< AwaitSsh
  std::deque<WaitEnd> shutdown_waits{WaitEnd::kExited};
  ScriptRun script{SshOutcome::kOk, 0, "", false};
  int64_t script_ms = 1200;
  int64_t boot_ms = 3500;

  // The stop path. The QEMU the launch file names (0: none); the image
  // probe when there is none; what each request comes to; which requests
  // make QEMU exit, and how long that takes.
  pid_t qemu_pid = 4242;
  ImageFact image_without_qemu = ImageFact::kFree;
  std::string image_problem;  ///< ImageProblem's answer
  StopRequest button_request{true, false, ""};
  StopRequest shutdown_request{true, false, ""};
  StopRequest sigterm_request{true, false, ""};
  StopRequest sigkill_request{true, false, ""};
  std::set<StopWay> stops_qemu{StopWay::kPowerButton, StopWay::kShutdownCommand, StopWay::kSigterm,
                               StopWay::kSigkill};
  int64_t exit_ms = 2000;
  bool exits_alone = false;  ///< QEMU exits during the first request, sent or not

  /// SaveState's and AbandonResume's answers.
  bool saves = true;
  bool abandons = true;
  /// HoldThrowaway's and DiscardThrowaway's answers.
  bool holds = true;
  bool discards = true;

  /// RelaunchAfterEarlyExit's answer, and ConsoleTail's.
  bool relaunch = false;
  std::vector<std::string> console_tail;

  /// ^C arrives during the first call of this operation (the call returns
  /// what is scripted for it; every call after sees Interrupted()).
  std::string interrupt_in;

  // --- GuestOps ---------------------------------------------------------------
  void Begin() override { Call("Begin"); }
  void End() override { Call("End"); }
  void Gather(StartupFacts* f) override {
    Call("Gather");
    Files now = Next(&files);
    f->image = now.image;
    f->launch_names_live_qemu = now.live_qemu;
    f->later_up_file = now.later_up;
    f->start_timeout_expired = now.expired;
    f->up_file_mtime = {1123590896, 0};
  }
  Reach TestConnection(Knock knock) override {
    Call(knock == Knock::kQuick ? "TestConnection quick" : "TestConnection patient");
    return Next(&reach);
  }
  LaunchResult Launch() override {
    Call("Launch");
    return Next(&launches);
  }
  BootWait WaitBoot() override {
    Call("WaitBoot");
    now_ms_ += boot_ms;
    return Next(&boot_waits);
  }
  bool RelaunchAfterEarlyExit() override {
    Call("RelaunchAfterEarlyExit");
    return relaunch;
  }
  bool SaveState() override {
    Call("SaveState");
    return saves;
  }
  bool AbandonResume() override {
    Call("AbandonResume");
    return abandons;
  }
  bool HoldThrowaway() override {
    Call("HoldThrowaway");
    return holds;
  }
  bool DiscardThrowaway() override {
    Call("DiscardThrowaway");
    return discards;
  }
  std::vector<std::string> ConsoleTail() override {
    Call("ConsoleTail");
    return console_tail;
  }
  bool AwaitSsh() override {
    Call("AwaitSsh");
    return ssh_answers;
  }
  void WaitForImage(ImageWait what, StartupFacts* f) override {
    Call(what == ImageWait::kQemuOpensImage ? "WaitForImage opens" : "WaitForImage launch file");
    Gather(f);
  }
  WaitEnd WaitShutdownOrConnect() override {
    Call("WaitShutdownOrConnect");
    return Next(&shutdown_waits);
  }
  ScriptRun RunScript() override {
    Call("RunScript");
    now_ms_ += script_ms;
    return script;
  }
  bool FindQemu(pid_t* pid) override {
    Call("FindQemu");
    *pid = qemu_pid;
    alive_ = qemu_pid != 0;
    return alive_;
  }
  ImageFact ProbeImage() override {
    Call("ProbeImage");
    return image_without_qemu;
  }
  std::string ImageProblem() override { return image_problem; }
  StopRequest RequestStop(StopWay way) override {
    StopRequest r;
    switch (way) {
      case StopWay::kPowerButton:
        Call("RequestStop power button");
        r = button_request;
        break;
      case StopWay::kShutdownCommand:
        Call("RequestStop shutdown command");
        r = shutdown_request;
        break;
      case StopWay::kSigterm:
        Call("RequestStop SIGTERM");
        r = sigterm_request;
        break;
      case StopWay::kSigkill:
        Call("RequestStop SIGKILL");
        r = sigkill_request;
        break;
    }
    if (!exiting_ && r.sent && stops_qemu.count(way) > 0) {
      exiting_ = true;
      exit_left_ms_ = exit_ms;
    }
    if (exits_alone) alive_ = false;
    return r;
  }
  ExitWait WaitQemuExit(unsigned seconds, bool progress) override {
    Call("WaitQemuExit " + std::to_string(seconds) + "s" + (progress ? " shown" : ""));
    if (interrupted_) return ExitWait::kInterrupted;
    // A QEMU on its way out exits exit_ms after the request that did it,
    // perhaps during a later wait.
    if (exiting_ && exit_left_ms_ <= seconds * 1000LL) {
      now_ms_ += exit_left_ms_;
      alive_ = false;
      return ExitWait::kExited;
    }
    if (exiting_) exit_left_ms_ -= seconds * 1000LL;
    now_ms_ += seconds * 1000LL;
    return ExitWait::kTimedOut;
  }
  bool QemuAlive() override { return alive_; }
  bool Interrupted() override { return interrupted_; }
  int64_t NowMs() override { return now_ms_; }

 private:
  void Call(const std::string& what) {
    transcript_->push_back("> " + what);
    if (!interrupt_in.empty() && what.compare(0, interrupt_in.size(), interrupt_in) == 0)
      interrupted_ = true;
  }

  std::vector<std::string>* transcript_;
  bool interrupted_ = false;
  bool alive_ = false;
  bool exiting_ = false;
  int64_t exit_left_ms_ = 0;
  int64_t now_ms_ = 100000;
};

time_t FixedClock() { return 0; }

class GuestRunTest : public ::testing::Test {
 protected:
  GuestRunTest() : ops_(&transcript_), guest_log_(&log_, kHost) {
    log_.SetClock(FixedClock);
    // Each log line goes to the transcript without its time stamp and
    // host, as the message the user reads.
    const std::string stamp = FormatLogLine(0, kHost, "");
    log_.SetWriter([this, stamp](const std::string& line) {
      std::string message = line.substr(stamp.size() - 1);
      message.pop_back();  // the newline
      transcript_.push_back(message);
    });
    options_.host = kHost;
    options_.limits.start_timeout = 240;
    options_.limits.stop_timeout = 60;
    options_.limits.qemu_init_period = 20;
    options_.await_ssh_after_boot = true;
    options_.has_script = true;
    options_.console_log = "/logs/netqemu.console";
  }

  GuestResult Run() {
    GuestRun run(options_, &ops_, &guest_log_);
    return run.Run();
  }
  GuestResult Stop() {
    GuestRun run(options_, &ops_, &guest_log_);
    return run.Stop();
  }

  // The operations carried out, in order.
  std::vector<std::string> Ops() const {
    std::vector<std::string> ops;
    for (const std::string& line : transcript_)
      if (line.compare(0, 2, "> ") == 0) ops.push_back(line.substr(2));
    return ops;
  }
  // The whole transcript, a line each.
  std::string Transcript() const {
    std::string out;
    for (const std::string& line : transcript_) out += line + "\n";
    return out;
  }
  bool Logged(const std::string& line) const {
    for (const std::string& l : transcript_)
      if (l == line) return true;
    return false;
  }
  bool Called(const std::string& op) const {
    for (const std::string& o : Ops())
      if (o == op) return true;
    return false;
  }

  std::vector<std::string> transcript_;
  FakeGuestOps ops_;
  Log log_;
  GuestLog guest_log_;
  GuestRunOptions options_;
};

using OpList = std::vector<std::string>;

}  // namespace

// --- the guest is up ----------------------------------------------------------

TEST_F(GuestRunTest, UpGuestRunsTheScriptAtOnce) {
  ops_.files = {kUp};
  ops_.reach = {Reach::kYes};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_EQ(r.detail, "");
  EXPECT_FALSE(r.launched);
  EXPECT_EQ(r.boot_seconds, -1);
  EXPECT_DOUBLE_EQ(r.script_seconds, 1.2);
  EXPECT_EQ(Transcript(),
            "START\n"
            "> Begin\n"
            "Testing connection\n"
            "> Gather\n"
            "> TestConnection patient\n"
            "Test succeeded\n"
            "Running script...\n"
            "> RunScript\n"
            "Script ran OK\n"
            "> End\n"
            "END\n");
}

TEST_F(GuestRunTest, UpGuestWithoutAScriptIsReportedUp) {
  ops_.reach = {Reach::kYes};
  options_.has_script = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "up");
  EXPECT_TRUE(Logged("Guest is up; no script to run"));
  EXPECT_FALSE(Called("RunScript"));
}

TEST_F(GuestRunTest, HostKeyChangedIsRefusedAndLeftAlone) {
  ops_.files = {kUp};
  ops_.reach = {Reach::kHostKeyChanged};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "host key changed");
  EXPECT_EQ(r.detail, "host key changed");
  // Refused before the script: not shut down either.
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "End"}));
  EXPECT_TRUE(
      Logged("ERROR:: Host key changed: remove the guest's entry from "
             "runall's known_hosts if it was reinstalled"));
}

// --- the guest is down ------------------------------------------------------------

TEST_F(GuestRunTest, DownGuestIsLaunchedWaitedForAndRun) {
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_DOUBLE_EQ(r.boot_seconds, 3.5);
  EXPECT_DOUBLE_EQ(r.script_seconds, 1.2);
  // A guest nobody runs here gets a quick knock, not ssh's timeout.
  EXPECT_EQ(Transcript(),
            "START\n"
            "> Begin\n"
            "Testing connection\n"
            "> Gather\n"
            "> TestConnection quick\n"
            "Connection test failed\n"
            "Disk image is not open for writing.\n"
            "Launching OS and waiting for it to come up\n"
            "> Launch\n"
            "> Gather\n"
            "> WaitBoot\n"
            "Finished waiting: OS is up\n"
            "> AwaitSsh\n"
            "Running script...\n"
            "> RunScript\n"
            "Script ran OK\n"
            "> End\n"
            "END\n");
}

TEST_F(GuestRunTest, StaleLaunchFileAndUpFileDoNotStopALaunch) {
  // The launch file names no live QEMU of ours (its pid was reused), and an
  // up-file is newer than it: neither means the guest runs.
  ops_.files = {{ImageFact::kFree, false, true, true}, kBooting};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "AwaitSsh", "RunScript", "End"}));
}

TEST_F(GuestRunTest, SshBootSignalNeedsNoSecondWaitForSsh) {
  // A guest whose boot signal is ssh itself answered already.
  options_.await_ssh_after_boot = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_FALSE(Called("AwaitSsh"));
}

TEST_F(GuestRunTest, BootTimeoutShowsTheConsolesLastLines) {
  ops_.boot_waits = {{WaitEnd::kTimedOut, -1}};
  ops_.console_tail = {"[  35.100] Begin: Running /scripts/local-block ... done.",
                       "[  95.210] Gave up waiting for root file system device."};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot timeout");
  EXPECT_EQ(r.detail, "no boot signal within 240s of the launch");
  EXPECT_TRUE(r.launched);
  EXPECT_EQ(r.boot_seconds, -1);
  EXPECT_FALSE(Called("RunScript"));
  // The error, then what the console said last.
  const std::string t = Transcript();
  EXPECT_NE(t.find("ERROR:: Timed out waiting on upfile\n"
                   "> ConsoleTail\n"
                   "The last lines of its console (/logs/netqemu.console):\n"
                   "  [  35.100] Begin: Running /scripts/local-block ... done.\n"
                   "  [  95.210] Gave up waiting for root file system device.\n"
                   "> End\n"),
            std::string::npos)
      << t;
}

TEST_F(GuestRunTest, BootTimeoutWithShutdownStopsTheGuestItLaunched) {
  ops_.boot_waits = {{WaitEnd::kTimedOut, -1}};
  ops_.button_request = {false, false,
                         "no monitor: /l/.monitor-0/netqemu.qmp: "
                         "Connection refused"};
  ops_.shutdown_request = {false, false,
                           "ssh: connect to host netqemu port 22: "
                           "Connection refused"};
  options_.shutdown = true;
  GuestResult r = Run();
  // The timeout stays what the summary says; the guest is gone all the same.
  EXPECT_EQ(StatusText(r), "boot timeout");
  EXPECT_EQ(r.detail,
            "no boot signal within 240s of the launch; killed with SIGTERM: "
            "neither the power button nor the shutdown command reached it");
  EXPECT_EQ(r.stopped_by, "SIGTERM");
  EXPECT_TRUE(
      Logged("Power button not pressed (no monitor: /l/.monitor-0/netqemu.qmp: "
             "Connection refused); running the shutdown command"));
  EXPECT_TRUE(
      Logged("Shutdown command not delivered (ssh: connect to host netqemu "
             "port 22: Connection refused)"));
  EXPECT_TRUE(Logged("Nothing reached the guest; stopping QEMU (pid 4242) with SIGTERM"));
  EXPECT_TRUE(
      Logged("QEMU exited (killed with SIGTERM: neither the power button nor the "
             "shutdown command reached it, 2.0s)"));
}

TEST_F(GuestRunTest, QemuExitingDuringBootIsABootFailure) {
  ops_.boot_waits = {{WaitEnd::kExited, -1}};
  ops_.console_tail = {
      "[   0.020] qemu-system-x86_64: -device virtio-9p-pci: "
      "cannot initialize fsdev 'runall_rw'"};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot failed");
  EXPECT_EQ(r.detail, "QEMU exited before the guest came up (see /logs/netqemu.console)");
  EXPECT_TRUE(Logged("ERROR:: QEMU exited before the OS came up"));
  EXPECT_TRUE(
      Logged("  [   0.020] qemu-system-x86_64: -device virtio-9p-pci: "
             "cannot initialize fsdev 'runall_rw'"));
  // Asked whether a launch again would do better; it would not.
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "RelaunchAfterEarlyExit", "ConsoleTail", "End"}));
}

TEST_F(GuestRunTest, QemuThatExitsForAReasonTheOperationsMendIsLaunchedAgain) {
  // KVM that cannot run the guest: the operations switch to TCG.
  ops_.boot_waits = {{WaitEnd::kExited, -1}, {WaitEnd::kUp, 4.5}};
  ops_.relaunch = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_DOUBLE_EQ(r.boot_seconds, 4.5);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "RelaunchAfterEarlyExit", "Launch", "Gather", "WaitBoot",
                           "AwaitSsh", "RunScript", "End"}));
}

TEST_F(GuestRunTest, ASecondEarlyExitIsABootFailure) {
  ops_.boot_waits = {{WaitEnd::kExited, -1}};
  ops_.relaunch = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot failed");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "RelaunchAfterEarlyExit", "Launch", "Gather", "WaitBoot",
                           "ConsoleTail", "End"}));
}

TEST_F(GuestRunTest, LaunchThatStartsNothingIsABootFailure) {
  ops_.launches = {{LaunchOutcome::kNotStarted,
                    "runqemuos failed (exit 111): QEMU is not running: its process "
                    "(pid 77) exited at once with status 1; see /logs/netqemu.console"}};
  ops_.console_tail = {"[   0.004] qemu-system-x86_64: -m 999999: cannot set up guest memory"};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot failed");
  EXPECT_EQ(r.detail,
            "runqemuos failed (exit 111): QEMU is not running: its process "
            "(pid 77) exited at once with status 1; see /logs/netqemu.console");
  EXPECT_FALSE(r.launched);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch",
                           "RelaunchAfterEarlyExit", "ConsoleTail", "End"}));
  EXPECT_TRUE(Logged("  [   0.004] qemu-system-x86_64: -m 999999: cannot set up guest memory"));
}

TEST_F(GuestRunTest, QemuThatDiesBeforeRunqemuosSawItStartIsLaunchedAgainToo) {
  ops_.launches = {{LaunchOutcome::kNotStarted,
                    "runqemuos failed (exit 111): QEMU is not running: its process "
                    "(pid 77) was killed by signal 6"},
                   {LaunchOutcome::kStarted, ""}};
  ops_.relaunch = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "RelaunchAfterEarlyExit",
                    "Launch", "Gather", "WaitBoot", "AwaitSsh", "RunScript", "End"}));
}

TEST_F(GuestRunTest, LostLaunchRaceWaitsForTheWinnersBoot) {
  // Another driver's runqemuos took the image between our look and our
  // launch: its guest is booting, and we wait for it instead.
  ops_.launches = {{LaunchOutcome::kLostRace, ""}};
  ops_.files = {kDown, kBooting};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_FALSE(r.launched);
  EXPECT_DOUBLE_EQ(r.boot_seconds, 3.5);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "AwaitSsh", "RunScript", "End"}));
  EXPECT_TRUE(Logged("Disk image was taken by another launch; looking again"));
  EXPECT_TRUE(Logged("Finished waiting - OS is up"));
}

TEST_F(GuestRunTest, LaunchRaceLostForEverEndsAsAnError) {
  // The image looks free every time, yet every launch loses the race: the
  // loop's bound ends it rather than launching for ever.
  ops_.launches = {{LaunchOutcome::kLostRace, ""}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "the startup decision did not settle");
  int launches = 0;
  for (const std::string& op : Ops()) launches += op == "Launch";
  EXPECT_EQ(launches, 16);
}

TEST_F(GuestRunTest, SshSilentAfterTheUpFileIsUnreachable) {
  ops_.ssh_answers = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "unreachable");
  EXPECT_EQ(r.detail, "ssh did not answer after the boot signal");
  EXPECT_FALSE(Called("RunScript"));
}

// --- a guest someone else launched ---------------------------------------------------

TEST_F(GuestRunTest, BootingGuestIsWaitedForNotLaunchedAgain) {
  ops_.files = {kBooting};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_FALSE(r.launched);
  EXPECT_DOUBLE_EQ(r.boot_seconds, 3.5);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "WaitBoot", "AwaitSsh",
                           "RunScript", "End"}));
  EXPECT_TRUE(
      Logged("A later upfile does not exist; assuming OS is booting. Will "
             "wait until launchfile is 240s old"));
}

TEST_F(GuestRunTest, BootingGuestThatTimesOutIsNotStopped) {
  ops_.files = {kBooting};
  ops_.boot_waits = {{WaitEnd::kTimedOut, -1}};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot timeout");
  EXPECT_TRUE(Logged("ERROR:: Timed out waiting on upfile for previously active guest OS."));
  // Not ours to stop: this run neither launched it nor reached it.
  EXPECT_FALSE(Called("FindQemu"));
}

TEST_F(GuestRunTest, BootingGuestPastItsStartTimeoutIsRefused) {
  ops_.files = {{ImageFact::kRunall, true, false, true}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "existing guest failed to advise boot completion");
  EXPECT_FALSE(Called("WaitBoot"));
  EXPECT_FALSE(Called("Launch"));
}

TEST_F(GuestRunTest, SomeoneElsesQemuIsRefused) {
  ops_.files = {{ImageFact::kForeignQemu, false, false, false}};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "disk image is open, and not by a QEMU runall launched");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "End"}));
  EXPECT_TRUE(
      Logged("ERROR:: Can't launch OS as disk image is already open for "
             "writing; aborting"));
}

TEST_F(GuestRunTest, ImageProbeErrorIsAnError) {
  ops_.files = {{ImageFact::kProbeError, false, false, false}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "could not tell whether the disk image is in use");
  EXPECT_FALSE(Called("Launch"));
}

TEST_F(GuestRunTest, AMissingImageIsSaidToBeMissing) {
  ops_.files = {{ImageFact::kProbeError, false, false, false}};
  ops_.image_problem = "the disk image /srv/img/x.qcow2 does not exist";
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "the disk image /srv/img/x.qcow2 does not exist");
  EXPECT_FALSE(Called("Launch"));
  ops_.qemu_pid = 0;
  ops_.image_without_qemu = ImageFact::kProbeError;
  r = Stop();
  EXPECT_EQ(r.detail, "the disk image /srv/img/x.qcow2 does not exist");
}

TEST_F(GuestRunTest, QemuStillInitialisingIsGivenTimeToOpenTheImage) {
  // A live QEMU has not opened its image yet; once it has, it is booting.
  ops_.files = {{ImageFact::kFree, true, false, false}, kBooting};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "WaitForImage opens",
                           "Gather", "WaitBoot", "AwaitSsh", "RunScript", "End"}));
  EXPECT_TRUE(Logged("Disk image now open; assuming boot process has started"));
}

TEST_F(GuestRunTest, QemuThatNeverOpensTheImageIsRefused) {
  ops_.files = {{ImageFact::kFree, true, false, false}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "the launched QEMU did not open the disk image");
  EXPECT_TRUE(Logged("ERROR:: Disk image still not open; aborting."));
}

TEST_F(GuestRunTest, UpGuestWithItsImageClosedIsRefused) {
  // The article's case (b): a QEMU that came up has the image closed.
  ops_.files = {{ImageFact::kFree, true, true, false}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "a QEMU that came up has the disk image closed");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "End"}));
}

TEST_F(GuestRunTest, RunqemuosHoldingTheLockIsGivenTimeToWriteTheLaunchFile) {
  ops_.files = {{ImageFact::kRunall, false, false, false}, kBooting};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "WaitForImage launch file",
                           "Gather", "WaitBoot", "AwaitSsh", "RunScript", "End"}));
}

TEST_F(GuestRunTest, LockWhoseLaunchFileNeverComesIsRefused) {
  ops_.files = {{ImageFact::kRunall, false, false, false}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "disk image is open, and not by a QEMU runall launched");
  // One wait only.
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "WaitForImage launch file",
                           "Gather", "End"}));
}

// --- a guest going down -------------------------------------------------------------

TEST_F(GuestRunTest, GuestGoingDownIsRelaunchedOnceItExited) {
  ops_.files = {kUp, kDown, kBooting};
  ops_.shutdown_waits = {WaitEnd::kExited};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "Gather", "TestConnection patient", "WaitShutdownOrConnect", "Gather",
                    "Launch", "Gather", "WaitBoot", "AwaitSsh", "RunScript", "End"}));
  EXPECT_TRUE(Logged("Process has exited"));
  EXPECT_TRUE(Logged("Disk image not open"));
}

TEST_F(GuestRunTest, GuestThatAnswersWhileGoingDownIsUsed) {
  ops_.files = {kUp};
  ops_.shutdown_waits = {WaitEnd::kConnected};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_FALSE(r.launched);
  // It answered ssh itself: no second wait for sshd.
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection patient", "WaitShutdownOrConnect",
                           "Gather", "RunScript", "End"}));
}

TEST_F(GuestRunTest, GuestGoingDownThatNeitherExitsNorAnswersIsRefused) {
  ops_.files = {kUp};
  ops_.shutdown_waits = {WaitEnd::kTimedOut};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "guest neither shut down nor answered within the stop timeout");
  EXPECT_TRUE(
      Logged("ERROR:: Cannot launch OS; aborting. Suggest ssh or guest os boot "
             "problem"));
}

TEST_F(GuestRunTest, ImageStillOpenAfterQemuExitedIsRefused) {
  ops_.files = {kUp, {ImageFact::kForeignQemu, false, false, false}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail, "disk image still open after QEMU exited");
}

// --- the script over ssh ------------------------------------------------------------------

TEST_F(GuestRunTest, FailingScriptReportsItsExitCode) {
  ops_.reach = {Reach::kYes};
  ops_.script = {SshOutcome::kRemoteFailed, 3, "", false};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "failed (exit 3)");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(Logged("ERROR:: ssh returned 3"));
}

TEST_F(GuestRunTest, SshThatCannotConnectForTheScriptIsUnreachable) {
  ops_.reach = {Reach::kYes};
  ops_.script = {SshOutcome::kConnectFailed, 255,
                 "ssh: connect to host netqemu port 22: No route to host", false};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "unreachable");
  EXPECT_EQ(r.detail, "ssh: connect to host netqemu port 22: No route to host");
  EXPECT_TRUE(
      Logged("ERROR:: ssh returned 255: ssh: connect to host netqemu port 22: "
             "No route to host"));
}

TEST_F(GuestRunTest, HostKeyChangedBetweenTestAndScript) {
  ops_.reach = {Reach::kYes};
  ops_.script = {SshOutcome::kHostKeyChanged, 255, "", false};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "host key changed");
  EXPECT_EQ(r.detail, "host key changed");
  EXPECT_TRUE(Logged("ERROR:: ssh returned 255: the host key changed"));
}

TEST_F(GuestRunTest, SshKilledBySomeoneElseIsAnError) {
  ops_.reach = {Reach::kYes};
  ops_.script = {SshOutcome::kSignaled, 128 + 9, "", false};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "ssh killed by signal 9");
  EXPECT_TRUE(Logged("ERROR:: ssh was killed by signal 9"));
}

// --- interrupted -----------------------------------------------------------------------------

TEST_F(GuestRunTest, InterruptWhileBootingEndsTheRunAndLeavesTheGuest) {
  ops_.interrupt_in = "WaitBoot";
  ops_.boot_waits = {{WaitEnd::kNone, -1}};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_TRUE(r.launched);
  // No decision after the ^C, no script, no shutdown: QEMU keeps running.
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "End"}));
  EXPECT_FALSE(Logged("ERROR:: Reached end of main_os_startup_function"));
}

TEST_F(GuestRunTest, InterruptedScriptKeepsItsExitCodeInTheDetail) {
  ops_.reach = {Reach::kYes};
  ops_.interrupt_in = "RunScript";
  ops_.script = {SshOutcome::kRemoteFailed, 130, "", true};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_EQ(r.detail, "exit 130");
  EXPECT_FALSE(Called("FindQemu"));
}

TEST_F(GuestRunTest, InterruptedSshIsInterruptedNotAnError) {
  ops_.reach = {Reach::kYes};
  ops_.interrupt_in = "RunScript";
  ops_.script = {SshOutcome::kSignaled, 128 + 15, "", true};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_EQ(r.detail, "ssh killed by signal 15");
}

TEST_F(GuestRunTest, ScriptThatPassedDespiteAnInterruptStaysPassed) {
  ops_.reach = {Reach::kYes};
  ops_.interrupt_in = "RunScript";
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
}

TEST_F(GuestRunTest, InterruptBeforeAnyDecision) {
  ops_.interrupt_in = "TestConnection";
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "End"}));
  EXPECT_FALSE(Logged("Connection test failed"));
}

// --- --shutdown after the script ---------------------------------------------------------

TEST_F(GuestRunTest, ShutdownAfterThePassPressesThePowerButton) {
  ops_.reach = {Reach::kYes};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_EQ(r.detail, "powered off by the power button");
  EXPECT_EQ(r.stopped_by, "power button");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "RunScript", "FindQemu",
                           "RequestStop power button", "WaitQemuExit 30s shown", "End"}));
  EXPECT_TRUE(Logged("Pressed the power button; waiting up to 30s for QEMU (pid 4242) to exit"));
  EXPECT_TRUE(Logged("QEMU exited (powered off by the power button, 2.0s)"));
}

TEST_F(GuestRunTest, ShutdownThatNeedsSigtermIsNoPass) {
  ops_.reach = {Reach::kYes};
  ops_.stops_qemu = {StopWay::kSigterm};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "killed");
  EXPECT_FALSE(Passed(r));
  EXPECT_EQ(r.detail, "the script passed; killed with SIGTERM after the stop timeout (60s)");
  EXPECT_EQ(r.stopped_by, "SIGTERM");
  EXPECT_TRUE(Logged("QEMU (pid 4242) still running after 60s; sending SIGTERM"));
  EXPECT_TRUE(Logged("QEMU exited (killed with SIGTERM after the stop timeout (60s), 62.0s)"));
}

TEST_F(GuestRunTest, ShutdownThatFailsTurnsThePassIntoAnError) {
  ops_.reach = {Reach::kYes};
  ops_.stops_qemu = {};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "shutdown failed: QEMU (pid 4242) still running after SIGKILL");
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "Gather", "TestConnection quick", "RunScript", "FindQemu",
                    "RequestStop power button", "WaitQemuExit 30s shown",
                    "RequestStop shutdown command", "WaitQemuExit 30s shown", "RequestStop SIGTERM",
                    "WaitQemuExit 10s", "RequestStop SIGKILL", "WaitQemuExit 5s", "End"}));
}

TEST_F(GuestRunTest, ShutdownOfAFailedScriptKeepsTheFailure) {
  ops_.reach = {Reach::kYes};
  ops_.script = {SshOutcome::kRemoteFailed, 2, "", false};
  ops_.stops_qemu = {StopWay::kSigkill};
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "failed (exit 2)");
  EXPECT_EQ(r.detail, "killed with SIGKILL: SIGTERM did not end it");
  EXPECT_EQ(r.stopped_by, "SIGKILL");
}

TEST_F(GuestRunTest, ShutdownOfAGuestWhoseImageSomeoneElseHolds) {
  // Reached and run, but the launch file names no QEMU of ours by the time
  // of the shutdown: nothing is signalled.
  ops_.reach = {Reach::kYes};
  ops_.qemu_pid = 0;
  ops_.image_without_qemu = ImageFact::kForeignQemu;
  options_.shutdown = true;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail,
            "shutdown failed: the disk image is in use, but the launch file "
            "names no QEMU runall started; not stopping it");
  EXPECT_FALSE(Called("RequestStop shutdown command"));
}

// --- --stop ------------------------------------------------------------------------------------

TEST_F(GuestRunTest, StopPressesThePowerButton) {
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "stopped");
  EXPECT_EQ(r.detail, "powered off by the power button");
  EXPECT_EQ(r.stopped_by, "power button");
  EXPECT_EQ(Transcript(),
            "START\n"
            "> Begin\n"
            "Shutting down\n"
            "> FindQemu\n"
            "> RequestStop power button\n"
            "Pressed the power button; waiting up to 30s for QEMU (pid 4242) to exit\n"
            "> WaitQemuExit 30s shown\n"
            "QEMU exited (powered off by the power button, 2.0s)\n"
            "> End\n"
            "END\n");
}

TEST_F(GuestRunTest, AGuestThatIgnoresTheButtonGetsItsShutdownCommand) {
  ops_.stops_qemu = {StopWay::kShutdownCommand};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "stopped");
  EXPECT_EQ(r.detail, "powered off by its shutdown command");
  EXPECT_EQ(r.stopped_by, "shutdown command");
  // Half the stop timeout for the button, what is left for the command.
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "FindQemu", "RequestStop power button", "WaitQemuExit 30s shown",
                    "RequestStop shutdown command", "WaitQemuExit 30s shown", "End"}));
  EXPECT_TRUE(Logged("QEMU (pid 4242) still running after 30s; running the shutdown command"));
  EXPECT_TRUE(Logged("QEMU exited (powered off by its shutdown command, 32.0s)"));
}

TEST_F(GuestRunTest, WithoutAMonitorTheShutdownCommandHasTheWholeStopTimeout) {
  ops_.button_request = {false, false, "the guest's options bring their own QMP monitor"};
  GuestResult r = Stop();
  EXPECT_EQ(r.detail, "powered off by its shutdown command");
  EXPECT_EQ(Ops(), (OpList{"Begin", "FindQemu", "RequestStop power button",
                           "RequestStop shutdown command", "WaitQemuExit 60s shown", "End"}));
  EXPECT_TRUE(
      Logged("Power button not pressed (the guest's options bring their own QMP "
             "monitor); running the shutdown command"));
}

TEST_F(GuestRunTest, AGuestSlowToActOnTheButtonIsTheButtonsDoing) {
  // The button was pressed; by the time the command is tried, sshd is gone
  // already, and QEMU exits a little later.
  ops_.stops_qemu = {StopWay::kPowerButton};
  ops_.exit_ms = 40000;
  ops_.shutdown_request = {false, false,
                           "ssh: connect to host netqemu port 22: "
                           "Connection refused"};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "stopped");
  EXPECT_EQ(r.stopped_by, "power button");
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "FindQemu", "RequestStop power button", "WaitQemuExit 30s shown",
                    "RequestStop shutdown command", "WaitQemuExit 30s shown", "End"}));
  EXPECT_TRUE(Logged("QEMU exited (powered off by the power button, 40.0s)"));
}

TEST_F(GuestRunTest, StopThatHadToKillIsNoPass) {
  ops_.stops_qemu = {StopWay::kSigterm};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "killed");
  EXPECT_FALSE(Passed(r));
  EXPECT_EQ(r.detail, "killed with SIGTERM after the stop timeout (60s)");
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "FindQemu", "RequestStop power button", "WaitQemuExit 30s shown",
                    "RequestStop shutdown command", "WaitQemuExit 30s shown", "RequestStop SIGTERM",
                    "WaitQemuExit 10s", "End"}));
}

TEST_F(GuestRunTest, StopSendsSigkillWhenSigtermIsNotEnough) {
  ops_.stops_qemu = {StopWay::kSigkill};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "killed");
  EXPECT_EQ(r.detail, "killed with SIGKILL: SIGTERM did not end it");
  EXPECT_TRUE(Logged("QEMU (pid 4242) still running 10s after SIGTERM; sending SIGKILL"));
}

// --- saved states (resume = yes) ----------------------------------------------------

LaunchResult Resumed(LaunchOutcome outcome = LaunchOutcome::kStarted) {
  LaunchResult l{outcome, outcome == LaunchOutcome::kStarted ? "" : "runqemuos failed (exit 111)"};
  l.resumed = true;
  return l;
}
LaunchResult BootToSave() {
  LaunchResult l{LaunchOutcome::kStarted, ""};
  l.save_state = true;
  return l;
}

TEST_F(GuestRunTest, FirstBootSavesTheStateBeforeTheScript) {
  ops_.launches = {BootToSave()};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_FALSE(r.resumed);
  // Saved once the guest answers ssh, before the script can change it.
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "AwaitSsh", "SaveState", "RunScript", "End"}));
}

TEST_F(GuestRunTest, AFailedSaveStillRunsTheScript) {
  ops_.launches = {BootToSave()};
  ops_.saves = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(Called("RunScript"));
}

TEST_F(GuestRunTest, NoSaveWhenSshNeverAnswers) {
  ops_.launches = {BootToSave()};
  ops_.ssh_answers = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "unreachable");
  EXPECT_FALSE(Called("SaveState"));
}

TEST_F(GuestRunTest, ResumedGuestRunsTheScriptWithoutASave) {
  ops_.launches = {Resumed()};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.launched);
  EXPECT_TRUE(r.resumed);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "AwaitSsh", "RunScript", "End"}));
  EXPECT_NE(TapReport({r}).find("  resumed: true\n"), std::string::npos);
}

TEST_F(GuestRunTest, ResumeWhoseQemuExitsBootsInstead) {
  ops_.launches = {Resumed(), BootToSave()};
  ops_.boot_waits = {{WaitEnd::kExited, -1}, {WaitEnd::kUp, 3.5}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_FALSE(r.resumed);
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "Gather",
                           "WaitBoot", "ConsoleTail", "AbandonResume", "Launch", "Gather",
                           "WaitBoot", "AwaitSsh", "SaveState", "RunScript", "End"}));
  EXPECT_TRUE(Logged("Resuming from the saved state failed: booting instead"));
}

TEST_F(GuestRunTest, ResumeThatNeverComesUpBootsInstead) {
  ops_.launches = {Resumed(), BootToSave()};
  ops_.boot_waits = {{WaitEnd::kTimedOut, -1}, {WaitEnd::kUp, 3.5}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(Called("AbandonResume"));
  EXPECT_TRUE(Called("SaveState"));
}

TEST_F(GuestRunTest, ResumeRunqemuosRefusedBootsInstead) {
  ops_.launches = {Resumed(LaunchOutcome::kNotStarted), BootToSave()};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_EQ(Ops(), (OpList{"Begin", "Gather", "TestConnection quick", "Launch", "ConsoleTail",
                           "AbandonResume", "Launch", "Gather", "WaitBoot", "AwaitSsh", "SaveState",
                           "RunScript", "End"}));
}

TEST_F(GuestRunTest, ResumeIsAbandonedOnlyOnce) {
  // Should the next launch resume again and fail again, the run does not
  // go round: the second failure is the run's.
  ops_.launches = {Resumed()};
  ops_.boot_waits = {{WaitEnd::kExited, -1}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot failed");
  int abandoned = 0;
  for (const std::string& op : Ops()) abandoned += op == "AbandonResume";
  EXPECT_EQ(abandoned, 1);
}

TEST_F(GuestRunTest, ResumeWhoseQemuWillNotStopIsAnError) {
  ops_.launches = {Resumed()};
  ops_.boot_waits = {{WaitEnd::kExited, -1}};
  ops_.abandons = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "resuming from the saved state failed, and its QEMU would not stop");
  EXPECT_EQ(Ops().back(), "End");
  EXPECT_FALSE(Called("RunScript"));
}

TEST_F(GuestRunTest, InterruptedResumeIsNotAbandoned) {
  ops_.launches = {Resumed()};
  ops_.boot_waits = {{WaitEnd::kNone, -1}};
  ops_.interrupt_in = "WaitBoot";
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_FALSE(Called("AbandonResume"));
}

// --- resume = throwaway ---------------------------------------------------------

TEST_F(GuestRunTest, ThrowawayRunResumesACopyAndDiscardsIt) {
  options_.throwaway = true;
  ops_.launches = {Resumed()};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.resumed);
  EXPECT_EQ(r.stopped_by, "throw-away end");
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "HoldThrowaway", "Gather", "Gather", "TestConnection quick", "Launch",
                    "Gather", "WaitBoot", "AwaitSsh", "RunScript", "DiscardThrowaway", "End"}));
}

TEST_F(GuestRunTest, ThrowawayFirstRunSavesThenRunsTheScriptOnACopy) {
  // The guest that made the state goes before the script: the first run's
  // script starts from the state as every later run's does.
  options_.throwaway = true;
  ops_.launches = {BootToSave(), Resumed()};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_TRUE(r.resumed);
  EXPECT_EQ(Ops(), (OpList{"Begin", "HoldThrowaway", "Gather", "Gather", "TestConnection quick",
                           "Launch", "Gather", "WaitBoot", "AwaitSsh", "SaveState",
                           "DiscardThrowaway", "Gather", "Launch", "Gather", "WaitBoot", "AwaitSsh",
                           "RunScript", "DiscardThrowaway", "End"}));
  EXPECT_TRUE(Logged("Stopping the guest that saved the state: the script runs on a copy of it"));
}

TEST_F(GuestRunTest, ThrowawayWhoseSaveFailedRunsTheScriptAndDiscardsTheGuest) {
  options_.throwaway = true;
  ops_.launches = {BootToSave()};
  ops_.saves = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "passed");
  EXPECT_EQ(Ops(), (OpList{"Begin", "HoldThrowaway", "Gather", "Gather", "TestConnection quick",
                           "Launch", "Gather", "WaitBoot", "AwaitSsh", "SaveState", "RunScript",
                           "DiscardThrowaway", "End"}));
}

TEST_F(GuestRunTest, ThrowawayRefusesAGuestThatRunsOutsideOne) {
  options_.throwaway = true;
  ops_.files = {kUp};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail,
            "resume = throwaway: the guest runs already, outside a throw-away run; "
            "stop it first (runall-os-test --stop)");
  EXPECT_EQ(Ops(), (OpList{"Begin", "HoldThrowaway", "Gather", "End"}));
}

TEST_F(GuestRunTest, ThrowawayRefusesAGuestBooting) {
  options_.throwaway = true;
  ops_.files = {kBooting};
  EXPECT_EQ(StatusText(Run()), "refused");
  EXPECT_FALSE(Called("Launch"));
  EXPECT_FALSE(Called("DiscardThrowaway"));
}

TEST_F(GuestRunTest, ThrowawayScriptThatFailsStillDiscards) {
  options_.throwaway = true;
  ops_.launches = {Resumed()};
  ops_.script = {SshOutcome::kRemoteFailed, 3, "", false};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "failed (exit 3)");
  EXPECT_EQ(Ops().end()[-2], "DiscardThrowaway");
}

TEST_F(GuestRunTest, ThrowawayInterruptedScriptStillDiscards) {
  options_.throwaway = true;
  ops_.launches = {Resumed()};
  ops_.interrupt_in = "RunScript";
  ops_.script = {SshOutcome::kSignaled, 130, "", true};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_EQ(Ops().end()[-2], "DiscardThrowaway");
}

TEST_F(GuestRunTest, ThrowawayLaunchThatFailedDiscardsItsCopy) {
  options_.throwaway = true;
  ops_.launches = {{LaunchOutcome::kNotStarted, "cannot copy the saved state"}};
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "boot failed");
  EXPECT_EQ(r.detail, "cannot copy the saved state");
  EXPECT_EQ(Ops().end()[-2], "DiscardThrowaway");
  EXPECT_EQ(r.stopped_by, "");
}

TEST_F(GuestRunTest, ThrowawayInterruptedWhileWaitingForAnotherRun) {
  options_.throwaway = true;
  ops_.holds = false;
  ops_.interrupt_in = "HoldThrowaway";
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_EQ(Ops(), (OpList{"Begin", "HoldThrowaway", "End"}));
}

TEST_F(GuestRunTest, ThrowawayWithoutItsStateDirectoryIsAnError) {
  options_.throwaway = true;
  ops_.holds = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "its saved state could not be had (see its log)");
}

TEST_F(GuestRunTest, ThrowawayGuestThatWillNotStopIsAnError) {
  options_.throwaway = true;
  ops_.launches = {Resumed()};
  ops_.discards = false;
  GuestResult r = Run();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "shutdown failed: the throw-away guest's QEMU would not stop");
}

TEST(PowerButtonSeconds, HalfTheStopTimeoutAtLeastOne) {
  EXPECT_EQ(PowerButtonSeconds(60), 30u);
  EXPECT_EQ(PowerButtonSeconds(121), 60u);
  EXPECT_EQ(PowerButtonSeconds(1), 1u);
  EXPECT_EQ(PowerButtonSeconds(0), 1u);
}

TEST_F(GuestRunTest, StopOfAGuestThatIsNotRunning) {
  ops_.qemu_pid = 0;
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "stopped");
  EXPECT_EQ(r.detail, "was not running");
  EXPECT_EQ(Ops(), (OpList{"Begin", "FindQemu", "ProbeImage", "End"}));
  EXPECT_TRUE(Logged("Not running"));
}

TEST_F(GuestRunTest, StopOfAnUnreachableGuestWithoutAMonitorKillsAtOnce) {
  ops_.button_request = {false, false, "no monitor: x: No such file or directory"};
  ops_.shutdown_request = {false, false, "ssh timed out"};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "killed");
  EXPECT_EQ(r.detail,
            "killed with SIGTERM: neither the power button nor the shutdown "
            "command reached it");
  EXPECT_EQ(Ops(),
            (OpList{"Begin", "FindQemu", "RequestStop power button", "RequestStop shutdown command",
                    "RequestStop SIGTERM", "WaitQemuExit 10s", "End"}));
  EXPECT_TRUE(Logged("Shutdown command not delivered (ssh timed out)"));
  EXPECT_TRUE(Logged("Nothing reached the guest; stopping QEMU (pid 4242) with SIGTERM"));
}

TEST_F(GuestRunTest, StopOfAQemuThatExitedByItself) {
  // Neither request went through, but QEMU was on its way out anyway.
  ops_.button_request = {false, false, "QMP: QEMU closed the monitor"};
  ops_.shutdown_request = {false, false, "ssh returned 255"};
  ops_.exits_alone = true;
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "stopped");
  EXPECT_EQ(r.detail, "exited");
  EXPECT_EQ(r.stopped_by, "exited");
  EXPECT_FALSE(Called("RequestStop SIGTERM"));
  EXPECT_TRUE(Logged("QEMU exited (exited, 0.0s)"));
}

TEST_F(GuestRunTest, StopThatCannotSignalQemuIsAnError) {
  ops_.button_request = {false, false, "no monitor"};
  ops_.shutdown_request = {false, false, "ssh timed out"};
  ops_.sigterm_request = {false, false, "kill 4242: Operation not permitted"};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "QEMU (pid 4242) still running: kill 4242: Operation not permitted");
  EXPECT_TRUE(
      Logged("ERROR:: QEMU (pid 4242) still running: kill 4242: Operation not "
             "permitted"));
  EXPECT_FALSE(Called("WaitQemuExit 10s"));
  EXPECT_FALSE(Called("RequestStop SIGKILL"));
}

TEST_F(GuestRunTest, StopLeavesSomeoneElsesQemuAlone) {
  ops_.qemu_pid = 0;
  ops_.image_without_qemu = ImageFact::kForeignQemu;
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "refused");
  EXPECT_EQ(r.detail,
            "the disk image is in use, but the launch file names no QEMU "
            "runall started; not stopping it");
  EXPECT_EQ(Ops(), (OpList{"Begin", "FindQemu", "ProbeImage", "End"}));
}

TEST_F(GuestRunTest, StopThatCannotTellWhoHasTheImageIsAnError) {
  ops_.qemu_pid = 0;
  ops_.image_without_qemu = ImageFact::kProbeError;
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "error");
  EXPECT_EQ(r.detail, "could not tell whether the disk image is in use");
}

TEST_F(GuestRunTest, StopInterruptedWhileAskingTheGuest) {
  ops_.stops_qemu = {};
  ops_.interrupt_in = "RequestStop shutdown";
  ops_.shutdown_request = {false, true, ""};
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "interrupted");
  // No SIGTERM behind the user's back after a ^C.
  EXPECT_EQ(Ops(), (OpList{"Begin", "FindQemu", "RequestStop power button",
                           "WaitQemuExit 30s shown", "RequestStop shutdown command", "End"}));
}

TEST_F(GuestRunTest, StopInterruptedWhileWaitingForQemu) {
  ops_.interrupt_in = "WaitQemuExit";
  GuestResult r = Stop();
  EXPECT_EQ(StatusText(r), "interrupted");
  EXPECT_FALSE(Called("RequestStop SIGTERM"));
}
