// accel_memory: what the host remembers of a KVM that failed. On some
// hosts /dev/kvm opens but QEMU cannot run a guest with it (a nested or
// broken KVM: "failed to set MSR", then abort), and QEMU's own fallback
// (-accel kvm -accel tcg) does not help, since KVM itself started. The
// driver then launches the guest again under TCG and writes the QEMU
// program down here, so that later runs go straight to TCG - until that
// program changes (an upgrade replaces its file), when KVM is tried again.
// The file is the user's (beside the guest logs): one line per program,
//   kvm-failed <TAB> DEV <TAB> INODE <TAB> SIZE <TAB> MTIME <TAB> WHEN
//              <TAB> PATH <TAB> WHAT QEMU SAID
// Parsing and formatting are pure; Load/Save touch the file.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <string>

namespace runall {

/// A QEMU program as a file: where PATH led, and what tells an upgraded
/// (replaced or rewritten) program from the one that failed.
struct QemuIdentity {
  std::string path;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  long long size = 0;
  long long mtime = 0;
};

/// Finds `program` (a name looked up in `path_env`, or a path) and stats
/// it. False with *err if it is not there.
bool IdentifyQemu(const std::string& program, const std::string& path_env, QemuIdentity* id,
                  std::string* err);

/// A KVM failure remembered for a program.
struct KvmFailure {
  long long when = 0;  ///< seconds since the epoch
  std::string said;    ///< QEMU's line
};

/// The failure `text` (the file's content) remembers for exactly `id`.
bool RecallKvmFailure(const std::string& text, const QemuIdentity& id, KvmFailure* failure);

/// `text` with the failure of `id` written down: the line of any earlier
/// file at id's path replaced, other programs' lines kept, bad lines
/// dropped.
std::string RememberKvmFailure(const std::string& text, const QemuIdentity& id,
                               const KvmFailure& failure);

/// Reads the file at `path` ("" when missing). False with *err if it
/// exists but cannot be read.
bool LoadKvmMemory(const std::string& path, std::string* text, std::string* err);

/// Writes `text` to `path` through a temporary file and rename.
bool SaveKvmMemory(const std::string& path, const std::string& text, std::string* err);

}  // namespace runall
