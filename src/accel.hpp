// accel: which accelerator a guest runs under. A guest of the host's own
// architecture runs under KVM when this user can use it - often ten times
// faster than QEMU's software emulation (TCG) - and otherwise under TCG,
// with one line saying why and how to change that. The decision is pure;
// the facts come from KvmFacts (the only code that looks at /dev/kvm).
#pragma once

#include <string>
#include <vector>

namespace runall {

/// What is known about KVM on this host for this user.
struct KvmFacts {
  bool exists = false;      ///< /dev/kvm is there
  bool accessible = false;  ///< and this user may open it read-write
  std::string user;         ///< for the advice in a notice
};

/// The QEMU arguments for a guest, and a line for the log when the guest
/// could have had KVM and does not.
struct AccelChoice {
  std::vector<std::string> args;  ///< empty: the record chose for itself
  std::string name;               ///< "kvm", "tcg", ... for the log
  std::string notice;             ///< empty when there is nothing to say
};

/// True for the values of the `accel` setting: auto, kvm, tcg, or another
/// accelerator QEMU knows (hvf, whpx, nvmm, xen, hax).
bool ValidAccelSetting(const std::string& value);

/// True if QEMU's `guest_arch` (a runall-guests(5) arch) can run under KVM
/// on a host whose uname machine is `host_machine` (x86_64 runs x86_64 and
/// i386, aarch64 runs aarch64, ppc64le runs ppc64le, and so on).
bool SameArchitecture(const std::string& host_machine, const std::string& guest_arch);

/// The decision. `setting` is auto, kvm, tcg or another accelerator;
/// `record_chose` is true when the guest's own QEMU options already pick
/// one (-accel, -enable-kvm, -machine ...,accel=), which always wins.
/// auto: KVM, falling back to TCG inside QEMU ("-accel kvm -accel tcg"),
/// when the architectures match and KVM is accessible; else TCG, with a
/// notice when the architectures match.
AccelChoice ChooseAccel(const std::string& setting, bool record_chose,
                        const std::string& host_machine, const std::string& guest_arch,
                        const KvmFacts& kvm);

/// True if the QEMU arguments choose an accelerator themselves.
bool ArgsChooseAccel(const std::vector<std::string>& args);

/// Among a launch's console lines (stamped or not), the first in which
/// QEMU itself says KVM failed - "qemu-system-x86_64: error: failed to set
/// MSR 0x10a to 0x69", "qemu-system-x86_64: .../kvm/kvm.c:3183: ...
/// Assertion ... failed", "... Could not access KVM kernel module": a line
/// whose first word is QEMU's program name and a colon, and that mentions
/// KVM or an MSR. Without its stamp; "" if there is none. A guest's own
/// lines (its kernel's "kvm-clock: ...") do not count.
std::string KvmFailureLine(const std::vector<std::string>& console_lines);

/// Looks at /dev/kvm for the calling user (Linux; elsewhere it does not
/// exist) and the host's machine name (uname -m).
KvmFacts ReadKvmFacts();
std::string HostMachine();

}  // namespace runall
