// driver_args: runall-os-test's command line. Pure: no system calls.
//
//   runall-os-test [-q] [-j N] [--shutdown] [--fresh] [--tap FILE] [--junit FILE]
//                  [--shard K/N] [-C SETTINGS] [-c GUESTS] [-l LOG]
//                  [--log-dir DIR] [-i IDENTITY] [-s|-sn|-sf SCRIPT]
//                  [--] [OS ...]
//   runall-os-test [-q] [-j N] [--shard K/N] [-C SETTINGS] [-c GUESTS]
//                  [-l LOG] [--log-dir DIR] [-i IDENTITY] --stop [--] [OS ...]
//   runall-os-test --help
//
// The article's forms are kept exactly: -s, -sn or -sf, then the script as
// the next argument, then the OS names; no OS named means every guest of
// the config file. Options come before the first OS name (so an OS can never
// be mistaken for an option and the other way round).
#pragma once

#include <string>
#include <vector>

namespace runall {

/// How -s copies the script into the shared read-only directory.
enum class CopyMode {
  kNone,         ///< no script: just boot the guests
  kInteractive,  ///< -s: ask before overwriting a different file
  kNever,        ///< -sn: never overwrite; a file already there is run as is
  kForce,        ///< -sf: overwrite
};

struct DriverArgs {
  CopyMode copy = CopyMode::kNone;
  std::string script;               ///< as given, with -s/-sn/-sf
  std::vector<std::string> guests;  ///< in command-line order; empty: all
  unsigned jobs = 1;                ///< -j: guests handled at once
  bool shutdown = false;            ///< --shutdown: power off after the run
  bool stop = false;                ///< --stop: only shut the guests down
  bool fresh = false;               ///< --fresh: boot, never resume; save anew
  bool quiet = false;               ///< -q: no progress line, no summary
  bool help = false;
  std::string tap_file;       ///< --tap: write TAP here ("-": stdout)
  std::string junit_file;     ///< --junit: write JUnit XML here ("-": stdout)
  unsigned shard = 0;         ///< --shard K/N: K, from 1; 0: no sharding
  unsigned shards = 0;        ///< N
  std::string settings_file;  ///< -C; empty: the compiled-in settings file
  std::string guests_file;    ///< -c; empty: settings' guests_file
  std::string log_file;       ///< -l; empty: settings' log_file; "-": stderr
  std::string log_dir;        ///< --log-dir: per-guest logs; empty: default
  std::string identity;       ///< -i: ssh private key; empty: ssh's own
};

/// The most guests -j runs at once.
constexpr unsigned kMaxJobs = 64;

/// Parses the arguments after the program name. On false, *err says what is
/// wrong (the caller prints it with the usage and exits 100).
bool ParseDriverArgs(const std::vector<std::string>& args, DriverArgs* out, std::string* err);

/// True if any option that names a file was given: refused when the driver
/// runs through sudo, like every runall tool's -C.
bool HasPathOption(const DriverArgs& args);

/// The usage text (for --help on stdout and after a usage error on stderr).
std::string DriverUsage(const std::string& program);

/// Where the script is and where the guests find it.
struct ScriptPlan {
  bool copy = false;   ///< copy `source` to common_ro_host/`name` first
  std::string source;  ///< the script as given
  std::string name;    ///< its path relative to the shared read-only directory
};

/// The article's rule: a script given by a path under `common_ro_host` is
/// already there and is run from there; any other is copied there under its
/// base name. Refuses names the guest could not run safely ("..", empty).
bool PlanScript(const std::string& script, const std::string& common_ro_host, ScriptPlan* plan,
                std::string* err);

/// What to do about an existing file where the script is to be copied.
enum class CopyStep {
  kCopy,       ///< write it (nothing there, or -sf)
  kKeep,       ///< the file there is already identical: just chmod it
  kKeepOther,  ///< -sn: a different file is there; run it, say so
  kAsk,        ///< -s on a terminal: ask; "no" runs the file there (cp -i)
  kRefuse,     ///< -s with nobody to ask: stop before touching any guest
};

/// Decides the copy for `mode` when the target `exists` (and is `identical`
/// to the script or not); `can_ask` when stdin and stderr are a terminal.
CopyStep DecideCopy(CopyMode mode, bool exists, bool identical, bool can_ask);

}  // namespace runall
