#include "startup_decision.hpp"

#include <stdlib.h>

#include <gtest/gtest.h>

using namespace runall;

namespace {

StartupLimits Limits() {
  StartupLimits l;
  l.start_timeout = 240;
  l.stop_timeout = 60;
  l.qemu_init_period = 20;
  return l;
}

// The log as the driver writes it: one line per note, errors marked.
std::string Log(const StartupDecision& d) {
  std::string out;
  for (const LogNote& n : d.notes) out += (n.error ? "ERROR:: " : "") + n.text + "\n";
  return out;
}

StartupDecision Decide(Stage stage, const StartupFacts& f) {
  return DecideStartup(stage, f, Limits());
}

// Facts of the article's "connect failed" cases.
StartupFacts Unreachable(ImageFact image, bool live_qemu, bool later_up) {
  StartupFacts f;
  f.reach = Reach::kNo;
  f.image = image;
  f.launch_names_live_qemu = live_qemu;
  f.later_up_file = later_up;
  return f;
}

StartupFacts AfterWait(ImageFact image, WaitEnd end) {
  StartupFacts f;
  f.image = image;
  f.wait_end = end;
  return f;
}

class StartupDecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

}  // namespace

// --- First look ------------------------------------------------------------

TEST_F(StartupDecisionTest, B1_ReachableRunsTheScriptAtOnce) {
  StartupFacts f;
  f.reach = Reach::kYes;
  // Whatever else is true, a guest that answers as itself is used as is.
  f.image = ImageFact::kRunall;
  StartupDecision d = Decide(Stage::kFirstLook, f);
  EXPECT_EQ(d.action, Action::kRunScript);
  EXPECT_EQ(d.branch, 1);
  EXPECT_EQ(Log(d), "Test succeeded\n");
}

TEST_F(StartupDecisionTest, B2_HostKeyChangedIsRefusedNotRetrusted) {
  StartupFacts f;
  f.reach = Reach::kHostKeyChanged;
  StartupDecision d = Decide(Stage::kFirstLook, f);
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kHostKeyChanged);
  EXPECT_EQ(d.branch, 2);
  EXPECT_EQ(d.notes.front().text, "Connection test failed");
  EXPECT_TRUE(d.notes.back().error);
  EXPECT_STREQ(RefusalText(d.refusal), "host key changed");
}

TEST_F(StartupDecisionTest, B3_ProbeErrorAborts) {
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kProbeError, false, false));
  EXPECT_EQ(d.action, Action::kError);
  EXPECT_EQ(d.branch, 3);
  EXPECT_EQ(Log(d),
            "Connection test failed\n"
            "ERROR:: Error whilst checking whether disk image is open; "
            "aborting.\n");
}

TEST_F(StartupDecisionTest, B4_FreeImageNoLiveQemuLaunches) {
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kFree, false, false));
  EXPECT_EQ(d.action, Action::kLaunch);
  EXPECT_EQ(d.branch, 4);
  EXPECT_EQ(Log(d),
            "Connection test failed\n"
            "Disk image is not open for writing.\n"
            "Launching OS and waiting for it to come up\n");
}

TEST_F(StartupDecisionTest, B4_StaleUpFileWithoutLiveQemuStillLaunches) {
  // A later up-file only matters when the launch file names a live QEMU.
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kFree, false, true));
  EXPECT_EQ(d.action, Action::kLaunch);
}

TEST_F(StartupDecisionTest, B5_LiveQemuNotYetOpenWaitsForInit) {
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kFree, true, false));
  EXPECT_EQ(d.action, Action::kWaitQemuInit);
  EXPECT_EQ(d.branch, 5);
  EXPECT_EQ(Log(d),
            "Connection test failed\n"
            "Disk image is not open for writing.\n"
            "Launch file specifies a qemu process; later up file does not "
            "exist; waiting for 20s to give it time to open the disk image\n");
}

TEST_F(StartupDecisionTest, B6_CaseB_LiveQemuWithLaterUpFileAndClosedImage) {
  StartupFacts f = Unreachable(ImageFact::kFree, true, true);
  f.up_file_mtime = {1123590896, 123456789};
  StartupDecision d = Decide(Stage::kFirstLook, f);
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kUpButImageClosed);
  EXPECT_EQ(d.branch, 6);
  EXPECT_EQ(Log(d),
            "Connection test failed\n"
            "Disk image is not open for writing.\n"
            "Launch file specifies a qemu process and a later upfile exists. "
            "Time on upfile is 2005-08-09 12:34:56.123456789 +0000\n"
            "ERROR:: Not continuing in case active qemu process running "
            "apparently booted OS re-opens disk image\n");
}

TEST_F(StartupDecisionTest, B7_ForeignHolderIsRefused) {
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kForeignQemu, false, false));
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kImageHeldByOther);
  EXPECT_EQ(d.branch, 7);
  EXPECT_EQ(Log(d),
            "Connection test failed\n"
            "Disk image is open for writing.\n"
            "PID in launch file is not a qemu process or file does not exist\n"
            "ERROR:: Can't launch OS as disk image is already open for "
            "writing; aborting\n");
}

TEST_F(StartupDecisionTest, B8_RunallLockWithoutLaunchFileWaitsForIt) {
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kRunall, false, false));
  EXPECT_EQ(d.action, Action::kWaitLaunchFile);
  EXPECT_EQ(d.branch, 8);
  EXPECT_EQ(d.notes.back().text,
            "Disk image is locked by runqemuos but the launch file does not "
            "name its QEMU yet; waiting up to 20s");
}

TEST_F(StartupDecisionTest, B9_BootingGuestPastStartTimeoutIsRefused) {
  StartupFacts f = Unreachable(ImageFact::kRunall, true, false);
  f.start_timeout_expired = true;
  StartupDecision d = Decide(Stage::kFirstLook, f);
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kNoBootAdvice);
  EXPECT_EQ(d.branch, 9);
  EXPECT_EQ(Log(d),
            "Connection test failed\n"
            "Disk image is open for writing.\n"
            "PID in launch file specifies a qemu process\n"
            "A later upfile does not exist; assuming OS is booting. Will wait "
            "until launchfile is 240s old\n"
            "Not waiting - launchfile is already older than 240s\n"
            "ERROR:: Can't launch OS; existing OS failed to advise of boot "
            "completion\n");
}

TEST_F(StartupDecisionTest, B10_BootingGuestWithinStartTimeoutIsWaitedFor) {
  // What a second driver sees while the first one's guest boots.
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kRunall, true, false));
  EXPECT_EQ(d.action, Action::kWaitUpFile);
  EXPECT_EQ(d.branch, 10);
  EXPECT_EQ(d.notes.back().text,
            "A later upfile does not exist; assuming OS is booting. Will wait "
            "until launchfile is 240s old");
}

TEST_F(StartupDecisionTest, B11_UpGuestThatStopsAnsweringIsWaitedOnToStop) {
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kRunall, true, true));
  EXPECT_EQ(d.action, Action::kWaitShutdown);
  EXPECT_EQ(d.branch, 11);
  EXPECT_EQ(d.notes.back().text,
            "A later upfile exists; assuming OS is shutting down. Waiting 60s "
            "for qemu process to exit and testing for connection while "
            "waiting");
}

TEST_F(StartupDecisionTest, ForeignQemuNamedByLaunchFileIsTreatedAsOpen) {
  // The article knew only "open for writing": a QEMU holding QEMU's own
  // lock counts, and the launch file decides as for runall's lock.
  StartupDecision d = Decide(Stage::kFirstLook, Unreachable(ImageFact::kForeignQemu, true, false));
  EXPECT_EQ(d.action, Action::kWaitUpFile);
}

// --- After the init wait ----------------------------------------------------

TEST_F(StartupDecisionTest, B12_ImageStillNotOpenAfterInitWait) {
  StartupFacts f = Unreachable(ImageFact::kFree, true, false);
  StartupDecision d = Decide(Stage::kAfterInitWait, f);
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kImageNotOpened);
  EXPECT_EQ(d.branch, 12);
  EXPECT_EQ(Log(d),
            "Finished waiting.\n"
            "ERROR:: Disk image still not open; aborting.\n");
}

TEST_F(StartupDecisionTest, ImageOpenedDuringInitWaitDropsThroughToBooting) {
  StartupFacts f = Unreachable(ImageFact::kRunall, true, false);
  StartupDecision d = Decide(Stage::kAfterInitWait, f);
  EXPECT_EQ(d.action, Action::kWaitUpFile);
  EXPECT_EQ(d.branch, 10);
  EXPECT_EQ(d.notes[0].text, "Finished waiting.");
  EXPECT_EQ(d.notes[1].text, "Disk image now open; assuming boot process has started");
  EXPECT_EQ(d.notes[2].text, "Disk image is open for writing.");
}

TEST_F(StartupDecisionTest, ImageOpenedDuringInitWaitButQemuGoneIsRefused) {
  StartupFacts f = Unreachable(ImageFact::kForeignQemu, false, false);
  StartupDecision d = Decide(Stage::kAfterInitWait, f);
  EXPECT_EQ(d.branch, 7);
  EXPECT_EQ(d.refusal, Refusal::kImageHeldByOther);
}

TEST_F(StartupDecisionTest, B13_ProbeErrorAfterInitWait) {
  StartupDecision d =
      Decide(Stage::kAfterInitWait, Unreachable(ImageFact::kProbeError, true, false));
  EXPECT_EQ(d.action, Action::kError);
  EXPECT_EQ(d.branch, 13);
}

// --- After waiting for a launch file ------------------------------------------

TEST_F(StartupDecisionTest, LaunchFileWaitThatFindsTheQemuWaitsForItsBoot) {
  StartupDecision d =
      Decide(Stage::kAfterLaunchFileWait, Unreachable(ImageFact::kRunall, true, false));
  EXPECT_EQ(d.action, Action::kWaitUpFile);
  EXPECT_EQ(d.notes.front().text, "Finished waiting.");
}

TEST_F(StartupDecisionTest, LaunchFileWaitIsNotRepeated) {
  StartupDecision d =
      Decide(Stage::kAfterLaunchFileWait, Unreachable(ImageFact::kRunall, false, false));
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.branch, 7);
}

TEST_F(StartupDecisionTest, LaunchFileWaitEndingWithAFreeImageLaunches) {
  StartupDecision d =
      Decide(Stage::kAfterLaunchFileWait, Unreachable(ImageFact::kFree, false, false));
  EXPECT_EQ(d.action, Action::kLaunch);
  EXPECT_EQ(d.branch, 4);
}

// --- After our own launch ---------------------------------------------------

TEST_F(StartupDecisionTest, B14_LaunchedGuestCameUp) {
  StartupDecision d = Decide(Stage::kAfterLaunchWait, AfterWait(ImageFact::kRunall, WaitEnd::kUp));
  EXPECT_EQ(d.action, Action::kRunScript);
  EXPECT_EQ(d.branch, 14);
  EXPECT_EQ(Log(d), "Finished waiting: OS is up\n");
}

TEST_F(StartupDecisionTest, B15_LaunchedGuestTimedOut) {
  StartupDecision d =
      Decide(Stage::kAfterLaunchWait, AfterWait(ImageFact::kRunall, WaitEnd::kTimedOut));
  EXPECT_EQ(d.action, Action::kBootTimeout);
  EXPECT_EQ(d.branch, 15);
  EXPECT_EQ(Log(d), "ERROR:: Timed out waiting on upfile\n");
}

TEST_F(StartupDecisionTest, B16_LaunchedQemuExitedDuringBoot) {
  StartupDecision d =
      Decide(Stage::kAfterLaunchWait, AfterWait(ImageFact::kFree, WaitEnd::kExited));
  EXPECT_EQ(d.action, Action::kBootFailed);
  EXPECT_EQ(d.branch, 16);
}

// --- After waiting for a guest someone else launched -------------------------

TEST_F(StartupDecisionTest, B17_PreviouslyLaunchedGuestCameUp) {
  StartupDecision d = Decide(Stage::kAfterBootWait, AfterWait(ImageFact::kRunall, WaitEnd::kUp));
  EXPECT_EQ(d.action, Action::kRunScript);
  EXPECT_EQ(d.branch, 17);
  EXPECT_EQ(Log(d), "Finished waiting - OS is up\n");
}

TEST_F(StartupDecisionTest, B18_PreviouslyLaunchedGuestTimedOut) {
  StartupDecision d =
      Decide(Stage::kAfterBootWait, AfterWait(ImageFact::kRunall, WaitEnd::kTimedOut));
  EXPECT_EQ(d.action, Action::kBootTimeout);
  EXPECT_EQ(d.branch, 18);
  EXPECT_EQ(Log(d),
            "ERROR:: Timed out waiting on upfile for previously active guest "
            "OS.\n");
}

TEST_F(StartupDecisionTest, B19_PreviouslyLaunchedQemuExitedDuringBoot) {
  StartupDecision d = Decide(Stage::kAfterBootWait, AfterWait(ImageFact::kFree, WaitEnd::kExited));
  EXPECT_EQ(d.action, Action::kBootFailed);
  EXPECT_EQ(d.branch, 19);
}

// --- After the shutdown wait --------------------------------------------------

TEST_F(StartupDecisionTest, B20_ShuttingDownGuestAnsweredAfterAll) {
  StartupDecision d =
      Decide(Stage::kAfterShutdownWait, AfterWait(ImageFact::kRunall, WaitEnd::kConnected));
  EXPECT_EQ(d.action, Action::kRunScript);
  EXPECT_EQ(d.branch, 20);
  EXPECT_EQ(Log(d), "Finished waiting\nOS is up\n");
}

TEST_F(StartupDecisionTest, B21_ShutDownGuestIsRelaunched) {
  StartupDecision d =
      Decide(Stage::kAfterShutdownWait, AfterWait(ImageFact::kFree, WaitEnd::kExited));
  EXPECT_EQ(d.action, Action::kLaunch);
  EXPECT_EQ(d.branch, 21);
  EXPECT_EQ(Log(d),
            "Finished waiting\n"
            "Process has exited\n"
            "Disk image not open\n"
            "Launching OS and waiting for it to come up\n");
}

TEST_F(StartupDecisionTest, B22_ImageStillOpenAfterQemuExited) {
  StartupDecision d =
      Decide(Stage::kAfterShutdownWait, AfterWait(ImageFact::kForeignQemu, WaitEnd::kExited));
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kImageStillOpen);
  EXPECT_EQ(d.branch, 22);
  EXPECT_EQ(d.notes.back().text, "Disk image still open for writing; aborting");
}

TEST_F(StartupDecisionTest, B23_ProbeErrorAfterQemuExitedDoesNotLaunch) {
  StartupDecision d =
      Decide(Stage::kAfterShutdownWait, AfterWait(ImageFact::kProbeError, WaitEnd::kExited));
  EXPECT_EQ(d.action, Action::kError);
  EXPECT_EQ(d.branch, 23);
}

TEST_F(StartupDecisionTest, B24_ShutdownNeitherExitedNorAnswered) {
  StartupDecision d =
      Decide(Stage::kAfterShutdownWait, AfterWait(ImageFact::kRunall, WaitEnd::kTimedOut));
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, Refusal::kShutdownStuck);
  EXPECT_EQ(d.branch, 24);
  EXPECT_EQ(Log(d),
            "Finished waiting\n"
            "Process still alive\n"
            "ERROR:: Cannot launch OS; aborting. Suggest ssh or guest os boot "
            "problem\n");
}

// --- A launch that lost the race ---------------------------------------------

TEST_F(StartupDecisionTest, LostRaceWaitsForTheWinnersBoot) {
  // Two drivers launched at once: runqemuos's lock let only one QEMU start;
  // the loser waits for that guest rather than booting a second one.
  StartupDecision d = Decide(Stage::kAfterLostRace, Unreachable(ImageFact::kRunall, true, false));
  EXPECT_EQ(d.action, Action::kWaitUpFile);
  EXPECT_EQ(d.notes.front().text, "Disk image was taken by another launch; looking again");
}

TEST_F(StartupDecisionTest, LostRaceBeforeTheLaunchFileWaitsForIt) {
  StartupDecision d = Decide(Stage::kAfterLostRace, Unreachable(ImageFact::kRunall, false, false));
  EXPECT_EQ(d.action, Action::kWaitLaunchFile);
}

// --- Impossible combinations --------------------------------------------------

TEST_F(StartupDecisionTest, B25_ImpossibleWaitOutcomeIsAnError) {
  StartupDecision d =
      Decide(Stage::kAfterLaunchWait, AfterWait(ImageFact::kRunall, WaitEnd::kConnected));
  EXPECT_EQ(d.action, Action::kError);
  EXPECT_EQ(d.branch, 25);
  EXPECT_EQ(Log(d), "ERROR:: Reached end of main_os_startup_function\n");
  d = Decide(Stage::kAfterShutdownWait, AfterWait(ImageFact::kRunall, WaitEnd::kNone));
  EXPECT_EQ(d.branch, 25);
}

// --- Is the launch file's pid our QEMU? ----------------------------------------

namespace {

ProcessFacts Qemu(time_t started) {
  ProcessFacts p;
  p.exists = true;
  p.exe = "/usr/bin/qemu-system-x86_64";
  p.comm = "qemu-system-x86";
  p.start_known = true;
  p.start = {started, 0};
  return p;
}

const struct timespec kWritten = {1000, 500000000};

}  // namespace

TEST(IsLaunchedQemuTest, QemuStartedBeforeTheLaunchFileIsOurs) {
  EXPECT_TRUE(IsLaunchedQemu(Qemu(999), kWritten));
  EXPECT_TRUE(IsLaunchedQemu(Qemu(1000), kWritten));
}

TEST(IsLaunchedQemuTest, ReusedPidStartedAfterTheLaunchFileIsNot) {
  EXPECT_FALSE(IsLaunchedQemu(Qemu(1001), kWritten));
  EXPECT_FALSE(IsLaunchedQemu(Qemu(5000), kWritten));
}

TEST(IsLaunchedQemuTest, ClockGranularityIsTolerated) {
  ProcessFacts p = Qemu(1000);
  p.start.tv_nsec = 550000000;  // 50 ms "after" a coarse mtime
  EXPECT_TRUE(IsLaunchedQemu(p, kWritten));
  p.start.tv_nsec = 700000000;  // 200 ms after: started later
  EXPECT_FALSE(IsLaunchedQemu(p, kWritten));
}

TEST(IsLaunchedQemuTest, ProblemSaysWhy) {
  EXPECT_EQ(LaunchedQemuProblem(Qemu(999), kWritten, false), "");
  EXPECT_EQ(LaunchedQemuProblem(ProcessFacts(), kWritten, false), "the process is gone");
  ProcessFacts shell = Qemu(999);
  shell.exe = "/bin/bash";
  shell.comm = "bash";
  EXPECT_EQ(LaunchedQemuProblem(shell, kWritten, false), "the process runs /bin/bash, not a QEMU");
  EXPECT_EQ(LaunchedQemuProblem(Qemu(1003), kWritten, false),
            "the process started 2500 ms after the launch file was written: a reused pid");
}

TEST(IsLaunchedQemuTest, WrapperScriptOfAQemuIsOne) {
  // Debian's qemu-system-i386 is a shell script that execs
  // /usr/libexec/qemu-system-i386: until it does, the process runs dash
  // under the script's command name. runall-os-test saw it right after the
  // launch and took the guest for one whose QEMU exited.
  ProcessFacts wrapper = Qemu(999);
  wrapper.exe = "/usr/bin/dash";
  wrapper.comm = "qemu-system-i38";
  EXPECT_TRUE(IsLaunchedQemu(wrapper, kWritten));
  EXPECT_EQ(LaunchedQemuProblem(wrapper, kWritten, true), "");
  ProcessFacts real = Qemu(999);
  real.exe = "/usr/libexec/qemu-system-i386";
  EXPECT_TRUE(IsLaunchedQemu(real, kWritten));
  // A shell that is not a QEMU's wrapper is not one.
  ProcessFacts shell = wrapper;
  shell.comm = "sh";
  EXPECT_FALSE(IsLaunchedQemu(shell, kWritten));
}

TEST(IsLaunchedQemuTest, OwnLaunchIsTrustedWhateverTheClockSays) {
  // The wall clock stepped forward after our runqemuos wrote the launch
  // file: the QEMU it exec'd now seems to have started after it. A pid
  // our own runqemuos reported is still ours - if it is a live QEMU.
  EXPECT_EQ(LaunchedQemuProblem(Qemu(5000), kWritten, true), "");
  ProcessFacts shell = Qemu(999);
  shell.exe = "/bin/bash";
  shell.comm = "bash";
  EXPECT_NE(LaunchedQemuProblem(shell, kWritten, true), "");
  EXPECT_NE(LaunchedQemuProblem(ProcessFacts(), kWritten, true), "");
}

TEST(IsLaunchedQemuTest, GoneOrNotQemuIsNot) {
  ProcessFacts gone;
  EXPECT_FALSE(IsLaunchedQemu(gone, kWritten));
  ProcessFacts shell = Qemu(999);
  shell.exe = "/bin/bash";
  shell.comm = "bash";
  EXPECT_FALSE(IsLaunchedQemu(shell, kWritten));
  // A program whose command name happens to start with "qemu" but whose
  // executable is something else is not QEMU.
  ProcessFacts img = Qemu(999);
  img.exe = "/usr/bin/qemu-img";
  img.comm = "qemu-img";
  EXPECT_FALSE(IsLaunchedQemu(img, kWritten));
}

TEST(IsLaunchedQemuTest, UnreadableExeFallsBackToCommandName) {
  ProcessFacts p = Qemu(999);
  p.exe.clear();  // another user's process: /proc/PID/exe is not readable
  EXPECT_TRUE(IsLaunchedQemu(p, kWritten));
  p.comm = "sleep";
  EXPECT_FALSE(IsLaunchedQemu(p, kWritten));
}

TEST(IsLaunchedQemuTest, ReplacedExecutableStillCounts) {
  ProcessFacts p = Qemu(999);
  p.exe = "/usr/bin/qemu-system-x86_64 (deleted)";  // upgraded under it
  EXPECT_TRUE(IsLaunchedQemu(p, kWritten));
}

TEST(IsLaunchedQemuTest, UnknownStartTimeGetsTheBenefitOfTheDoubt) {
  ProcessFacts p = Qemu(5000);
  p.start_known = false;
  EXPECT_TRUE(IsLaunchedQemu(p, kWritten));
}

TEST_F(StartupDecisionTest, FileTimeLooksLikeStat) {
  EXPECT_EQ(FormatFileTime({0, 5}), "1970-01-01 00:00:00.000000005 +0000");
}
