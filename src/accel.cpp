#include "accel.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace runall {

bool ValidAccelSetting(const std::string& value) {
  static const char* const kKnown[] = {"auto", "kvm", "tcg", "hvf", "whpx", "nvmm", "xen", "hax"};
  for (const char* k : kKnown)
    if (value == k) return true;
  return false;
}

bool SameArchitecture(const std::string& host_machine, const std::string& guest_arch) {
  struct Pair {
    const char* host;
    const char* guest;
  };
  // KVM runs a guest of the host's instruction set; an x86_64 host also
  // runs 32-bit x86 guests.
  static const Pair kPairs[] = {
      {"x86_64", "x86_64"}, {"x86_64", "i386"},     {"i686", "i386"},   {"aarch64", "aarch64"},
      {"s390x", "s390x"},   {"ppc64le", "ppc64le"}, {"ppc64", "ppc64"}, {"riscv64", "riscv64"},
  };
  for (const Pair& p : kPairs)
    if (host_machine == p.host && guest_arch == p.guest) return true;
  return false;
}

bool ArgsChooseAccel(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.compare(0, 2, "--") == 0) a.erase(0, 1);
    if (a == "-accel" || a.compare(0, 7, "-accel=") == 0 || a == "-enable-kvm" || a == "-no-kvm")
      return true;
    if ((a == "-machine" || a == "-M") && i + 1 < args.size() &&
        args[i + 1].find("accel=") != std::string::npos)
      return true;
  }
  return false;
}

AccelChoice ChooseAccel(const std::string& setting, bool record_chose,
                        const std::string& host_machine, const std::string& guest_arch,
                        const KvmFacts& kvm) {
  AccelChoice c;
  if (record_chose) {
    c.name = "as the guest's options say";
    return c;
  }
  if (setting != "auto" && !setting.empty()) {
    c.name = setting;
    c.args = {"-accel", setting};
    return c;
  }
  c.name = "tcg";
  c.args = {"-accel", "tcg"};
  if (!SameArchitecture(host_machine, guest_arch)) return c;
  if (kvm.exists && kvm.accessible) {
    // QEMU falls back to TCG by itself if KVM cannot start this machine.
    c.name = "kvm";
    c.args = {"-accel", "kvm", "-accel", "tcg"};
    return c;
  }
  const std::string who = kvm.user.empty() ? "this user" : kvm.user;
  if (!kvm.exists)
    c.notice =
        "runs under TCG (software emulation, several times slower), "
        "not KVM: this host has no /dev/kvm (enable virtualization in "
        "the firmware and load kvm_intel or kvm_amd, or set accel = "
        "tcg to say that is intended)";
  else
    c.notice =
        "runs under TCG (software emulation, several times slower), "
        "not KVM: /dev/kvm is not accessible to " +
        who + " (add " + who +
        " to the group that owns it, usually kvm: "
        "sudo usermod -a -G kvm " +
        who + ", then log in again; or set accel = tcg)";
  return c;
}

std::string KvmFailureLine(const std::vector<std::string>& console_lines) {
  for (std::string line : console_lines) {
    // console_stamp's "[SSSS.mmm] " goes first.
    if (!line.empty() && line[0] == '[') {
      size_t close = line.find("] ");
      if (close != std::string::npos) line.erase(0, close + 2);
    }
    size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const std::string program = line.substr(0, colon);
    if (program.find(' ') != std::string::npos || program.find("qemu") == std::string::npos)
      continue;
    std::string lower = line;
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower.find("kvm", colon) != std::string::npos ||
        line.find("MSR", colon) != std::string::npos)
      return line;
  }
  return "";
}

KvmFacts ReadKvmFacts() {
  KvmFacts f;
  if (const struct passwd* pw = getpwuid(getuid())) f.user = pw->pw_name;
#ifdef __linux__
  f.exists = access("/dev/kvm", F_OK) == 0;
  if (f.exists) {
    // Opening is the test the kernel applies; access() would judge by the
    // real uid, which is what QEMU runs as too, but open also covers ACLs
    // and a device that refuses its users.
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      f.accessible = true;
      close(fd);
    }
  }
#endif
  return f;
}

std::string HostMachine() {
  struct utsname u;
  if (uname(&u) != 0) return "";
  return u.machine;
}

}  // namespace runall
