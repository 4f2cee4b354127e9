#include "startup_decision.hpp"

#include <stdio.h>
#include <string.h>

namespace runall {

// The branches of the article's main_os_startup_function, numbered, with the
// log lines it wrote for each (kept word for word; runall's additions are
// marked "runall:"). The driver logs kTestingConnection, runs the
// connection test and probes the image, then asks at kFirstLook. A number is
// a branch that decides; "->" steps lead on to other branches.
//
// First look (kFirstLook)
//   1  reachable:          "Test succeeded"                    -> run script
//   2  runall: host key changed: "Connection test failed",
//      ERROR "Host key changed: ..."                           -> refuse
//   "Connection test failed", then the image probe:
//   3  probe error:  ERROR "Error whilst checking whether disk image is open;
//                    aborting."                                -> error
//   Image not open: "Disk image is not open for writing."
//   4  launch file names no live QEMU:
//      "Launching OS and waiting for it to come up"            -> launch
//   5  live QEMU, no later up-file (case (a): QEMU still initialising):
//      "Launch file specifies a qemu process; later up file does not exist;
//      waiting for Ns to give it time to open the disk image" -> wait init
//   6  live QEMU, later up-file (case (b): a QEMU that came up closed it):
//      "Launch file specifies a qemu process and a later upfile exists. Time
//      on upfile is T", ERROR "Not continuing in case active qemu process
//      running apparently booted OS re-opens disk image"       -> refuse
//   Image open: "Disk image is open for writing."
//   7  launch file names no live QEMU: "PID in launch file is not a qemu
//      process or file does not exist", ERROR "Can't launch OS as disk image
//      is already open for writing; aborting"                  -> refuse
//   8  runall: runall's own lock but no launch file naming its QEMU yet
//      (runqemuos takes the lock a moment before it writes the file):
//      "Disk image is locked by runqemuos but the launch file does not name
//      its QEMU yet; waiting up to Ns"                         -> wait launch file
//   "PID in launch file specifies a qemu process"
//   No later up-file: "A later upfile does not exist; assuming OS is booting.
//   Will wait until launchfile is Ns old"
//   9  start timeout passed: "Not waiting - launchfile is already older than
//      Ns", ERROR "Can't launch OS; existing OS failed to advise of boot
//      completion"                                             -> refuse
//   10 within it:                                              -> wait up-file
//   11 later up-file: "A later upfile exists; assuming OS is shutting down.
//      Waiting Ns for qemu process to exit and testing for connection while
//      waiting"                                                -> wait shutdown
// After the init wait (kAfterInitWait): "Finished waiting."
//   12 image still not open: ERROR "Disk image still not open; aborting."
//                                                              -> refuse
//   -> now open: "Disk image now open; assuming boot process has started",
//      then 7-11
//   13 runall: probe error (the article took it for "still not open"):
//      ERROR "Error whilst checking ..."                       -> error
// After the launch file wait (kAfterLaunchFileWait), runall: "Finished
//   waiting.", then 3-7 and 9-11 from the image probe (no second wait: a
//   lock whose launch file still names no QEMU is 7).
// After our launch (kAfterLaunchWait), f_launch_os_run_script:
//   14 up-file: "Finished waiting: OS is up"                   -> run script
//   15 timeout: ERROR "Timed out waiting on upfile"            -> boot timeout
//   16 runall: QEMU exited: ERROR "QEMU exited before the OS came up"
//                                                              -> boot failed
// After waiting for a guest launched before (kAfterBootWait):
//   17 up-file: "Finished waiting - OS is up"                  -> run script
//   18 timeout: ERROR "Timed out waiting on upfile for previously active
//      guest OS."                                              -> boot timeout
//   19 runall: QEMU exited: ERROR "QEMU exited before the OS came up"
//                                                              -> boot failed
// After the shutdown wait (kAfterShutdownWait): "Finished waiting"
//   20 connected: "OS is up"                                   -> run script
//   "Process has exited", then the image probe:
//   21 not open: "Disk image not open", "Launching OS and waiting for it to
//      come up"                                                -> launch
//   22 still open: ERROR "Disk image still open for writing; aborting"
//                                                              -> refuse
//   23 runall: probe error (the article launched - unsafe): ERROR "Error
//      whilst checking ..."                                    -> error
//   24 neither: "Process still alive", ERROR "Cannot launch OS; aborting.
//      Suggest ssh or guest os boot problem"                   -> refuse
// runall: runqemuos lost a race for the image to another launch
//   (kAfterLostRace): "Disk image was taken by another launch; looking
//   again", then 3-11 from the image probe (no second connection test).
// 25 a stage and wait outcome that cannot happen (a driver bug): ERROR
//    "Reached end of main_os_startup_function"                 -> error

const char kTestingConnection[] = "Testing connection";

namespace {

const char kProbeError[] = "Error whilst checking whether disk image is open; aborting.";

class Decider {
 public:
  Decider(const StartupFacts& facts, const StartupLimits& limits) : f_(facts), l_(limits) {}

  StartupDecision Decide(Stage stage) {
    switch (stage) {
      case Stage::kFirstLook: return FirstLook();
      case Stage::kAfterInitWait: return AfterInitWait();
      case Stage::kAfterLaunchFileWait: return AfterLaunchFileWait();
      case Stage::kAfterLaunchWait:
        return AfterBootWait(14, "Finished waiting: OS is up", "Timed out waiting on upfile");
      case Stage::kAfterBootWait:
        return AfterBootWait(17, "Finished waiting - OS is up",
                             "Timed out waiting on upfile for previously active guest OS.");
      case Stage::kAfterShutdownWait: return AfterShutdownWait();
      case Stage::kAfterLostRace:
        Msg("Disk image was taken by another launch; looking again");
        return FromImageProbe(/*after_launch_file_wait=*/false);
    }
    return Unreachable();
  }

 private:
  void Msg(const std::string& text) { d_.notes.push_back({false, text}); }
  void Err(const std::string& text) { d_.notes.push_back({true, text}); }

  StartupDecision Done(int branch, Action action, Refusal refusal = Refusal::kNone) {
    // A path through several steps (13 then 10, say) is reported by the
    // branch that decided.
    d_.branch = branch;
    d_.action = action;
    d_.refusal = refusal;
    return d_;
  }

  StartupDecision Unreachable() {
    Err("Reached end of main_os_startup_function");
    return Done(25, Action::kError);
  }

  static std::string Secs(unsigned n) { return std::to_string(n) + "s"; }

  StartupDecision FirstLook() {
    if (f_.reach == Reach::kYes) {
      Msg("Test succeeded");
      return Done(1, Action::kRunScript);
    }
    Msg("Connection test failed");
    if (f_.reach == Reach::kHostKeyChanged) {
      // Never re-trust a key silently: a guest whose key changed may be a
      // different machine answering to the name.
      Err("Host key changed: remove the guest's entry from runall's "
          "known_hosts if it was reinstalled");
      return Done(2, Action::kRefuse, Refusal::kHostKeyChanged);
    }
    return FromImageProbe(false);
  }

  // From the article's f_is_disk_image_open call on.
  StartupDecision FromImageProbe(bool after_launch_file_wait) {
    if (f_.image == ImageFact::kProbeError) {
      Err(kProbeError);
      return Done(3, Action::kError);
    }
    if (f_.image == ImageFact::kFree) return ImageNotOpen();
    return ImageOpen(after_launch_file_wait);
  }

  StartupDecision ImageNotOpen() {
    Msg("Disk image is not open for writing.");
    if (!f_.launch_names_live_qemu) {
      Msg("Launching OS and waiting for it to come up");
      return Done(4, Action::kLaunch);
    }
    if (!f_.later_up_file) {
      Msg("Launch file specifies a qemu process; later up file does not "
          "exist; waiting for " +
          Secs(l_.qemu_init_period) + " to give it time to open the disk image");
      return Done(5, Action::kWaitQemuInit);
    }
    Msg("Launch file specifies a qemu process and a later upfile exists. "
        "Time on upfile is " +
        FormatFileTime(f_.up_file_mtime));
    Err("Not continuing in case active qemu process running apparently "
        "booted OS re-opens disk image");
    return Done(6, Action::kRefuse, Refusal::kUpButImageClosed);
  }

  // The article's "connect failed but DIOW" part.
  StartupDecision ImageOpen(bool after_launch_file_wait) {
    Msg("Disk image is open for writing.");
    if (!f_.launch_names_live_qemu) {
      if (f_.image == ImageFact::kRunall && !after_launch_file_wait) {
        Msg("Disk image is locked by runqemuos but the launch file does not "
            "name its QEMU yet; waiting up to " +
            Secs(l_.qemu_init_period));
        return Done(8, Action::kWaitLaunchFile);
      }
      Msg("PID in launch file is not a qemu process or file does not exist");
      Err("Can't launch OS as disk image is already open for writing; "
          "aborting");
      return Done(7, Action::kRefuse, Refusal::kImageHeldByOther);
    }
    Msg("PID in launch file specifies a qemu process");
    if (!f_.later_up_file) {
      Msg("A later upfile does not exist; assuming OS is booting. Will wait "
          "until launchfile is " +
          Secs(l_.start_timeout) + " old");
      if (f_.start_timeout_expired) {
        Msg("Not waiting - launchfile is already older than " + Secs(l_.start_timeout));
        Err("Can't launch OS; existing OS failed to advise of boot "
            "completion");
        return Done(9, Action::kRefuse, Refusal::kNoBootAdvice);
      }
      return Done(10, Action::kWaitUpFile);
    }
    Msg("A later upfile exists; assuming OS is shutting down. Waiting " + Secs(l_.stop_timeout) +
        " for qemu process to exit and testing for connection while waiting");
    return Done(11, Action::kWaitShutdown);
  }

  StartupDecision AfterInitWait() {
    Msg("Finished waiting.");
    if (f_.image == ImageFact::kProbeError) {
      Err(kProbeError);
      return Done(13, Action::kError);
    }
    if (f_.image == ImageFact::kFree) {
      Err("Disk image still not open; aborting.");
      return Done(12, Action::kRefuse, Refusal::kImageNotOpened);
    }
    Msg("Disk image now open; assuming boot process has started");
    return ImageOpen(false);
  }

  StartupDecision AfterLaunchFileWait() {
    Msg("Finished waiting.");
    // If the image is free now, the launch that held the lock has gone and
    // the guest is looked at afresh; if it is still locked, there is no
    // second wait for the launch file.
    return FromImageProbe(/*after_launch_file_wait=*/true);
  }

  StartupDecision AfterBootWait(int first_branch, const char* up, const char* timed_out) {
    switch (f_.wait_end) {
      case WaitEnd::kUp: Msg(up); return Done(first_branch, Action::kRunScript);
      case WaitEnd::kTimedOut: Err(timed_out); return Done(first_branch + 1, Action::kBootTimeout);
      case WaitEnd::kExited:
        Err("QEMU exited before the OS came up");
        return Done(first_branch + 2, Action::kBootFailed);
      default: return Unreachable();
    }
  }

  StartupDecision AfterShutdownWait() {
    if (f_.wait_end != WaitEnd::kConnected && f_.wait_end != WaitEnd::kExited &&
        f_.wait_end != WaitEnd::kTimedOut)
      return Unreachable();
    Msg("Finished waiting");
    if (f_.wait_end == WaitEnd::kConnected) {
      Msg("OS is up");
      return Done(20, Action::kRunScript);
    }
    if (f_.wait_end == WaitEnd::kExited) {
      Msg("Process has exited");
      if (f_.image == ImageFact::kProbeError) {
        // The article's `! f_is_disk_image_open` took an lsof error for
        // "not open" and launched; not knowing is a reason to stop.
        Err(kProbeError);
        return Done(23, Action::kError);
      }
      if (f_.image == ImageFact::kFree) {
        Msg("Disk image not open");
        Msg("Launching OS and waiting for it to come up");
        return Done(21, Action::kLaunch);
      }
      Err("Disk image still open for writing; aborting");
      return Done(22, Action::kRefuse, Refusal::kImageStillOpen);
    }
    Msg("Process still alive");
    Err("Cannot launch OS; aborting. Suggest ssh or guest os boot problem");
    return Done(24, Action::kRefuse, Refusal::kShutdownStuck);
  }

  const StartupFacts& f_;
  const StartupLimits& l_;
  StartupDecision d_;
};

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, strlen(prefix), prefix) == 0;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

StartupDecision DecideStartup(Stage stage, const StartupFacts& facts, const StartupLimits& limits) {
  return Decider(facts, limits).Decide(stage);
}

bool IsLaunchedQemu(const ProcessFacts& proc, const struct timespec& launch_mtime) {
  return LaunchedQemuProblem(proc, launch_mtime, false).empty();
}

std::string LaunchedQemuProblem(const ProcessFacts& proc, const struct timespec& launch_mtime,
                                bool launched_here) {
  if (!proc.exists) return "the process is gone";
  if (!proc.exe.empty()) {
    // A QEMU program may be a script that execs the real one - Debian's
    // qemu-system-i386 is - and for a moment the process runs the script's
    // interpreter; its command name is then the script's.
    if (!StartsWith(Basename(proc.exe), "qemu-system") && !StartsWith(proc.comm, "qemu-system"))
      return "the process runs " + proc.exe + ", not a QEMU";
  } else if (!StartsWith(proc.comm, "qemu")) {
    return "the process is " + proc.comm + ", not a QEMU";
  }
  if (launched_here || !proc.start_known) return "";
  // Compare in nanoseconds; 64 bits hold them until the year 2262.
  long long start = proc.start.tv_sec * 1000000000LL + proc.start.tv_nsec;
  long long written = launch_mtime.tv_sec * 1000000000LL + launch_mtime.tv_nsec;
  if (start <= written + kStartSlackNs) return "";
  return "the process started " + std::to_string((start - written) / 1000000) +
         " ms after the launch file was written: a reused pid";
}

const char* RefusalText(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return "";
    case Refusal::kHostKeyChanged: return "host key changed";
    case Refusal::kImageHeldByOther: return "disk image is open, and not by a QEMU runall launched";
    case Refusal::kImageNotOpened: return "the launched QEMU did not open the disk image";
    case Refusal::kUpButImageClosed: return "a QEMU that came up has the disk image closed";
    case Refusal::kNoBootAdvice: return "existing guest failed to advise boot completion";
    case Refusal::kImageStillOpen: return "disk image still open after QEMU exited";
    case Refusal::kShutdownStuck:
      return "guest neither shut down nor answered within the stop timeout";
  }
  return "?";
}

std::string FormatFileTime(const struct timespec& t) {
  struct tm tm;
  time_t secs = t.tv_sec;
  localtime_r(&secs, &tm);
  char date[64], zone[16];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  strftime(zone, sizeof zone, "%z", &tm);
  char out[112];
  snprintf(out, sizeof out, "%s.%09ld %s", date, static_cast<long>(t.tv_nsec), zone);
  return out;
}

}  // namespace runall
