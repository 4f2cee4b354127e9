// saved_state: the decisions about a guest's saved state (resume = yes,
// runall-guests(5)), kept apart from the files and QEMU so they are tested
// in milliseconds. A state is a qcow2 overlay of runall's own above the
// guest's disk image, holding QEMU's internal snapshot (HMP savevm) of the
// running guest - its RAM, its devices and the overlay's disk as they were
// at the save, all in one file, so they can never come apart. Beside it a
// stamp says what the state was made from: the QEMU program, the disk
// image, and the QEMU command line. A state is used only while all three
// are the same (StaleReason).
#pragma once

#include <string>
#include <vector>

namespace runall {

/// The name of runall's snapshot inside a state's overlay.
extern const char kSnapshotTag[];

/// A file as the stamp knows it: where, and what stat said of it.
struct FileIdentity {
  std::string path;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  long long size = 0;
  long long mtime_ns = 0;  ///< nanoseconds since the epoch
};

/// What a guest's state was made from, and whether the save happened.
struct StateStamp {
  FileIdentity qemu;   ///< the QEMU program
  FileIdentity image;  ///< the guest's disk image, the overlay's backing file
  /// The QEMU command line as BuildQemuArgv builds it, with the network
  /// card's model, address and kind: everything that shapes the machine.
  /// What differs per run (the tap fd, the forwarded port, the monitor
  /// socket, the console pipe) is added later by runqemuos and is not in it.
  std::vector<std::string> args;
  bool saved = false;  ///< the snapshot was taken (false: the first boot is on)
};

/// The stamp as the text of its file.
std::string FormatStamp(const StateStamp& stamp);

/// Reads a stamp's text back; false with *err for anything else.
bool ParseStamp(const std::string& text, StateStamp* stamp, std::string* err);

/// Why the state of `saved` cannot be resumed on a machine that is now
/// `now` ("the disk image ... changed since the save"); empty when it
/// can. A state whose snapshot was never taken is not resumable either.
std::string StaleReason(const StateStamp& saved, const StateStamp& now);

/// The first difference between two command lines, in words:
/// "-m 256 became -m 512", "-smp 2 was added", "-s was removed".
std::string DescribeArgsChange(const std::vector<std::string>& before,
                               const std::vector<std::string>& after);

}  // namespace runall
