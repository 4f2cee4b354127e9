// guest_state: the facts about one guest that live in files and in /proc -
// its launch file, whether the pid in it is still the QEMU that wrote it,
// its up-file - gathered for startup_decision.
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <string>

#include "startup_decision.hpp"

namespace runall {

/// What LAUNCHDIR/HOST says: the pid runqemuos wrote, and when.
struct LaunchFile {
  bool exists = false;
  pid_t pid = 0;                   ///< 0 if the content is not a pid
  struct timespec mtime = {0, 0};  ///< the launch time
};

/// Parses a launch file's content: a decimal pid and a newline (or not).
bool ParseLaunchPid(const std::string& text, pid_t* pid);

/// Reads the launch file at `path`. A missing file is no error (exists is
/// false); false (with *err) only when it cannot be read.
bool ReadLaunchFile(const std::string& path, LaunchFile* launch, std::string* err);

/// What /proc says about `pid` (exists false if it is gone).
ProcessFacts ReadProcessFacts(pid_t pid);

/// True if the launch file names a live QEMU that wrote it (IsLaunchedQemu).
bool LaunchFileNamesLiveQemu(const LaunchFile& launch);

/// Why the launch file names no live QEMU that wrote it, in words; empty
/// when it does. `launched_here` is the pid this process's own runqemuos
/// reported (0 if none): a launch file naming it is checked only for a
/// live QEMU (LaunchedQemuProblem).
std::string LaunchFileQemuProblem(const LaunchFile& launch, pid_t launched_here);

/// Milliseconds from `from` to `to` (CLOCK_REALTIME times, such as file
/// modification times).
int64_t MillisBetween(const struct timespec& from, const struct timespec& to);

/// The file facts of startup_decision for a guest, at the wall-clock time
/// `now`: launch_names_live_qemu, later_up_file (and its mtime), and
/// start_timeout_expired. Image use and reachability come from elsewhere.
/// `launched_here` as for LaunchFileQemuProblem.
void GatherFileFacts(const LaunchFile& launch, const std::string& up_file, unsigned start_timeout,
                     const struct timespec& now, StartupFacts* facts, pid_t launched_here = 0);

}  // namespace runall
