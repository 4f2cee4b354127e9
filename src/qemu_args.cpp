#include "qemu_args.hpp"

#include <stdint.h>
#include <stdio.h>

#include <algorithm>

#include "guest_config.hpp"

namespace runall {

const char kDefaultQemu[] = "qemu-system-x86_64";

namespace {

const QemuArch kArches[] = {
    {"x86_64", "qemu-system-x86_64", "", "", "pci"},
    {"i386", "qemu-system-i386", "", "", "pci"},
    // QEMU's virt board would otherwise get a 32-bit Cortex-A15.
    {"aarch64", "qemu-system-aarch64", "virt", "max", "pci"},
    {"arm", "qemu-system-arm", "virt", "", "pci"},
    {"riscv64", "qemu-system-riscv64", "virt", "", "pci"},
    {"ppc64", "qemu-system-ppc64", "pseries", "", "pci"},
    {"ppc64le", "qemu-system-ppc64", "pseries", "", "pci"},
    {"s390x", "qemu-system-s390x", "s390-ccw-virtio", "", "ccw"},
};

// QEMU options that take no value, today's and the article's. Every other
// option is taken to consume the word after it; a bare word is then the
// image (QEMU's "hda" without -hda).
const char* const kFlags[] = {
    "-nographic",
    "-snapshot",
    "-no-reboot",
    "-no-shutdown",
    "-S",
    "-s",
    "-enable-kvm",
    "-no-acpi",
    "-no-hpet",
    "-localtime",
    "-full-screen",
    "-no-user-config",
    "-nodefaults",
    "-usb",
    "-no-fd-bootchk",
    "-win2k-hack",
    "-no-quit",
    "-alt-grab",
    "-ctrl-grab",
    "-no-frame",
    "-portrait",
    "-rtc-td-hack",
    "-daemonize",
    "-enable-fips",
    "-semihosting",
    "-only-migratable",
    "-no-kvm",
    "-no-kqemu",
    "-kernel-kqemu",
    "-std-vga",
    "-curses",
    "-sdl",
    "-no-kvm-irqchip",
    "-no-kvm-pit",
    "-version",
    "-help",
    "-h",
    "-preconfig",
    "-old-param",
    "-no-kvm-pit-reinjection",
    "-mem-prealloc",
    "-singlestep",
    "-one-insn-per-tb",
    "-async-teardown",
    "-nodefconfig",
    "-audio-help",
    "-xen-attach",
    "-xen-domid-restrict",
    "-enable-sync-profile",
    "-perfmap",
    "-jitdump",
};

bool IsFlag(const std::string& opt) {
  return std::find_if(std::begin(kFlags), std::end(kFlags),
                      [&](const char* f) { return opt == f; }) != std::end(kFlags);
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// QEMU option values are comma-separated; a comma inside a value is
// written twice.
std::string EscapeCommas(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// The file= property of a -drive value, undoing QEMU's doubled commas.
bool DriveFile(const std::string& value, std::string* file) {
  size_t i = 0;
  while (i <= value.size()) {
    std::string prop;
    while (i < value.size()) {
      if (value[i] == ',') {
        if (i + 1 < value.size() && value[i + 1] == ',') {
          prop += ',';
          i += 2;
          continue;
        }
        break;
      }
      prop += value[i++];
    }
    ++i;  // past the separating comma
    if (prop.compare(0, 5, "file=") == 0 && prop.size() > 5) {
      *file = prop.substr(5);
      return true;
    }
  }
  return false;
}

}  // namespace

const QemuArch* FindQemuArch(const std::string& arch) {
  for (const auto& a : kArches)
    if (arch == a.arch) return &a;
  return nullptr;
}

std::string KnownQemuArches() {
  std::string list;
  for (const auto& a : kArches) list += (list.empty() ? "" : ", ") + std::string(a.arch);
  return list;
}

bool IsModelName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string MacForHostname(const std::string& hostname) {
  // FNV-1a over the lower-cased name: hostnames are case-insensitive, and
  // the hash is defined on bytes, so every host computes the same address.
  uint32_t h = 2166136261u;
  for (char c : Lower(hostname)) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  uint32_t low = (h >> 24) ^ (h & 0xffffffu);
  char mac[18];
  snprintf(mac, sizeof mac, "52:54:00:%02x:%02x:%02x", (low >> 16) & 0xff, (low >> 8) & 0xff,
           low & 0xff);
  return mac;
}

bool ValidMac(const std::string& mac) {
  if (mac.size() != 17) return false;
  for (size_t i = 0; i < mac.size(); ++i) {
    char c = mac[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  // The low bit of the first octet marks a multicast address, which no
  // card may have.
  unsigned first = static_cast<unsigned>(std::stoul(mac.substr(0, 2), nullptr, 16));
  return (first & 1u) == 0;
}

// --- reading an argument vector ------------------------------------------------

std::string QemuOptionName(const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return "";
  if (word[1] == '-') return word.substr(1);
  return word;
}

bool HasQemuOption(const std::vector<std::string>& args, const std::vector<std::string>& names) {
  for (const std::string& word : args) {
    std::string opt = QemuOptionName(word);
    if (!opt.empty() && std::find(names.begin(), names.end(), opt) != names.end()) return true;
  }
  return false;
}

bool CheckQemuArgs(const std::vector<std::string>& args, std::string* why) {
  if (HasQemuOption(args, {"-daemonize"})) {
    *why =
        "-daemonize would give QEMU another pid than the one runqemuos "
        "records";
    return false;
  }
  return true;
}

bool FindImageArg(const std::vector<std::string>& args, std::string* image) {
  std::string hda, bare;
  bool have_hda = false, have_bare = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = QemuOptionName(args[i]);
    if (opt.empty()) {
      if (!have_bare && !args[i].empty()) {
        bare = args[i];
        have_bare = true;
      }
      continue;
    }
    if (IsFlag(opt) || i + 1 >= args.size()) continue;
    const std::string& value = args[++i];
    if (opt == "-drive") {
      std::string file;
      if (DriveFile(value, &file)) {
        *image = file;
        return true;
      }
    } else if (opt == "-hda" && !have_hda) {
      hda = value;
      have_hda = true;
    }
  }
  if (have_hda)
    *image = hda;
  else if (have_bare)
    *image = bare;
  return have_hda || have_bare;
}

void SplitProgram(const std::vector<std::string>& words,
                  const std::function<bool(const std::string&)>& is_program, std::string* program,
                  std::vector<std::string>* args) {
  if (!words.empty() && !words[0].empty() && words[0][0] != '-' && is_program(words[0])) {
    *program = words[0];
    args->assign(words.begin() + 1, words.end());
  } else {
    *program = kDefaultQemu;
    *args = words;
  }
}

std::vector<std::string> MonitorArgs(const std::string& path) {
  return {"-qmp", "unix:" + EscapeCommas(path) + ",server=on,wait=off"};
}

bool ArgsHaveQmpMonitor(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string opt = QemuOptionName(args[i]);
    if (opt == "-qmp" || opt == "-qmp-pretty") return true;
    if (opt == "-mon" && i + 1 < args.size() &&
        args[i + 1].find("mode=control") != std::string::npos)
      return true;
  }
  return false;
}

bool ArgsDirectSerial(const std::vector<std::string>& args) {
  return HasQemuOption(args, {"-serial", "-nographic"});
}

// --- building one ---------------------------------------------------------------

std::vector<Share> GuestShares(const GuestRecord& record, const Settings& settings) {
  if (record.share != "9p") return {};
  return {{"common_ro", settings.common_ro_host, true},
          {"rw", settings.rw_host_base + "/" + record.hostname, false},
          {"common_rw", settings.common_rw_host, false}};
}

std::vector<std::string> SharedDirectories(const GuestRecord& record, const Settings& settings) {
  std::vector<std::string> dirs;
  for (const Share& s : GuestShares(record, settings)) dirs.push_back(s.path);
  return dirs;
}

std::vector<std::string> NetworkCardArgs(const NetworkCard& card) {
  std::string netdev = card.backend + ",id=" + kNetdevId;
  if (!card.backend_options.empty()) netdev += "," + card.backend_options;
  return {"-netdev", netdev, "-device", card.model + ",netdev=" + kNetdevId + ",mac=" + card.mac};
}

const char kNetdevId[] = "runall0";

std::vector<std::string> UserNetworkArgs(const std::string& nic, const std::string& mac,
                                         const std::string& hostname, unsigned port) {
  NetworkCard card;
  card.model = nic;
  card.mac = mac;
  card.backend = "user";
  // Only 127.0.0.1: the guest's sshd is for this host's users, not for
  // the network the host is on. The name is what the guest's DHCP client
  // takes as its hostname, so that ~/hostname answers it.
  card.backend_options = "hostname=" + EscapeCommas(hostname) +
                         ",hostfwd=tcp:127.0.0.1:" + std::to_string(port) + "-:22";
  return NetworkCardArgs(card);
}

std::vector<std::string> NetworkArgs(const std::string& nic, const std::string& mac, int tap_fd) {
  NetworkCard card;
  card.model = nic;
  card.mac = mac;
  card.backend = "tap";
  card.backend_options = "fd=" + std::to_string(tap_fd);
  return NetworkCardArgs(card);
}

namespace {

using Args = std::vector<std::string>;

// -machine and -cpu, unless the record's own option lines give them.
void AddMachine(const GuestRecord& r, const Args& own, Args* a) {
  if (!r.machine.empty() && !HasQemuOption(own, {"-M", "-machine"}))
    a->insert(a->end(), {"-machine", r.machine});
  if (!r.cpu.empty() && !HasQemuOption(own, {"-cpu"})) a->insert(a->end(), {"-cpu", r.cpu});
}

// The accelerator, and the CPU model that goes with it when nothing else
// names one.
void AddAccel(const GuestRecord& r, const Args& own, const HostChoices& host, Args* a) {
  if (r.cpu.empty() && !host.default_cpu.empty() && !HasQemuOption(own, {"-cpu"}))
    a->insert(a->end(), {"-cpu", host.default_cpu});
  a->insert(a->end(), host.accel.begin(), host.accel.end());
}

void AddMemory(const GuestRecord& r, Args* a) {
  if (r.memory_mib != 0) a->insert(a->end(), {"-m", std::to_string(r.memory_mib)});
}

// The article's L flag: the guest clock runs local time.
void AddClock(const GuestRecord& r, Args* a) {
  if (r.local_time) a->insert(a->end(), {"-rtc", "base=localtime"});
}

void AddDisk(const GuestRecord& r, const HostChoices& host, Args* a) {
  const bool overlay = !host.disk_overlay.empty();
  std::string drive = "file=" + EscapeCommas(overlay ? host.disk_overlay : r.image) +
                      ",format=" + (overlay ? std::string("qcow2") : r.image_format) +
                      ",if=" + r.drive_if;
  // With if=none the disk is attached by an option line's -device, which
  // needs an id to name it.
  if (r.drive_if == "none") drive += ",id=disk0";
  a->insert(a->end(), {"-drive", drive});
}

// A saved state to resume instead of booting.
void AddLoadvm(const HostChoices& host, Args* a) {
  if (!host.loadvm.empty()) a->insert(a->end(), {"-loadvm", host.loadvm});
}

void AddShares(const std::vector<Share>& shares, const std::string& bus, Args* a) {
  for (const Share& s : shares) {
    // security_model=none: the guest sees the host's owners and modes, and
    // files it creates belong to the user running QEMU - the same user as
    // the guest's test user, per the article's contract.
    std::string id = "runall_" + s.tag;
    a->insert(a->end(),
              {"-fsdev", "local,id=" + id + ",path=" + EscapeCommas(s.path) +
                             ",security_model=none" + (s.readonly ? ",readonly=on" : "")});
    a->insert(a->end(), {"-device", "virtio-9p-" + bus + ",fsdev=" + id + ",mount_tag=" + s.tag});
  }
}

// Without an RNG device the guest's first ssh stalls about a second.
void AddRng(const GuestRecord& r, Args* a) {
  if (r.rng != "none") a->insert(a->end(), {"-device", r.rng});
}

void AddDisplay(const GuestRecord& r, Args* a) {
  if (r.display == "nographic")
    a->push_back("-nographic");
  else if (!r.display.empty())
    a->insert(a->end(), {"-display", r.display});
}

// The card runqemuos adds once it has claimed a tap (cmd->nic and
// cmd->mac), unless the option lines bring their own network; nic = none
// switches off QEMU's default user-mode network instead.
void PlanNetwork(const GuestRecord& r, const Args& own, QemuCommand* cmd) {
  bool own_network = HasQemuOption(own, {"-net", "-netdev", "-nic"});
  if (own_network) return;
  if (r.nic == "none") {
    cmd->argv.insert(cmd->argv.end(), {"-nic", "none"});
  } else {
    cmd->nic = r.nic;
    cmd->mac = r.mac;
    cmd->user_net = r.network == NetworkMode::kUser;
    cmd->ssh_port = r.ssh_port;
  }
}

}  // namespace

QemuCommand BuildQemuArgv(const GuestRecord& r, const Settings& settings) {
  return BuildQemuArgv(r, settings, HostChoices());
}

QemuCommand BuildQemuArgv(const GuestRecord& r, const Settings& settings, const HostChoices& host) {
  QemuCommand cmd;
  Args& a = cmd.argv;
  const QemuArch* arch = FindQemuArch(r.arch);
  const std::string bus = arch ? arch->bus : "pci";
  Args own;
  for (const Args& line : r.option_lines) own.insert(own.end(), line.begin(), line.end());
  // One step per thing the guest gets, in the order QEMU reads them. A new
  // one is one more step here, before the record's own option
  // lines, which come last. The QMP monitor and the serial console are
  // runqemuos's to add (qemu_launch), which makes the places they go to.
  a.push_back(r.qemu);
  AddMachine(r, own, &a);
  AddAccel(r, own, host, &a);
  AddMemory(r, &a);
  AddClock(r, &a);
  AddDisk(r, host, &a);
  AddShares(GuestShares(r, settings), bus, &a);
  AddRng(r, &a);
  AddDisplay(r, &a);
  AddLoadvm(host, &a);
  a.insert(a.end(), own.begin(), own.end());
  PlanNetwork(r, own, &cmd);
  cmd.image = r.image;
  return cmd;
}

}  // namespace runall
