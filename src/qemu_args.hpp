// qemu_args: QEMU's command line, and the one module that knows QEMU's
// options. It builds a guest's argument vector from its record
// (BuildQemuArgv), reads an argument vector back (the disk image to lock,
// the -daemonize runall cannot allow), and makes the network card that
// runqemuos wires to the tap it claimed (NetworkArgs). Pure: no system
// calls.
//
// BuildQemuArgv is a list of steps, one per thing a guest gets (machine,
// memory, clock, disk, shares, devices, display, the record's own option
// lines, the network), each an Add* function that appends its options.
// Something new for every guest - -loadvm, say - is one more Add* step at
// its place in that list, fed by a field of GuestRecord (a "name = value"
// line of the config file), of Settings, or of HostChoices (what the host
// decides, such as the accelerator); a different network is another
// NetworkCard backend, as the user-mode one is (UserNetworkArgs, which
// runqemuos -u adds in place of a tap's card). The QMP monitor socket and
// the serial console's pipe are added by runqemuos (qemu_launch), which
// makes them: MonitorArgs and ArgsDirectSerial here say how. An option
// QEMU takes without a value also goes into
// kFlags in the .cpp, or FindImageArg would take the word after it for
// the option's value.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "settings.hpp"

namespace runall {

struct GuestRecord;

/// The QEMU runqemuos runs when its arguments name none.
extern const char kDefaultQemu[];

/// What an architecture needs by default.
struct QemuArch {
  const char* arch;     ///< as the config file names it: x86_64, s390x, ...
  const char* qemu;     ///< the QEMU program
  const char* machine;  ///< "" for QEMU's default machine
  const char* cpu;      ///< "" for QEMU's default CPU
  /// Where virtio devices sit: "pci" everywhere except s390x, which has
  /// no PCI by default but channel I/O ("ccw").
  const char* bus;
};

/// The architecture called `arch`, or null.
const QemuArch* FindQemuArch(const std::string& arch);

/// The known architectures, for a message: "x86_64, i386, ...".
std::string KnownQemuArches();

/// True for a QEMU device or model name (letters, digits, '-', '_', '.'),
/// as a NIC or RNG model must be before it goes into an argv.
bool IsModelName(const std::string& s);

/// The NIC address of a guest: 52:54:00 followed by the 24-bit xor-fold of
/// the 32-bit FNV-1a hash of the lower-cased hostname. Locally administered,
/// unicast, and the same on every run and every host.
std::string MacForHostname(const std::string& hostname);

/// True if `mac` is six colon-separated hex pairs naming a unicast address.
bool ValidMac(const std::string& mac);

/// The option name of a QEMU argument, with QEMU's optional second dash
/// removed ("--netdev" is "-netdev"); empty if it is not an option.
std::string QemuOptionName(const std::string& word);

/// True if any word of `args` is one of the options `names` ("-cpu").
bool HasQemuOption(const std::vector<std::string>& args, const std::vector<std::string>& names);

/// False, with *why, if `args` hold an option runall cannot allow:
/// -daemonize, which would give QEMU another pid than the one runqemuos
/// records.
bool CheckQemuArgs(const std::vector<std::string>& args, std::string* why);

/// The disk image among QEMU arguments: file= of the first -drive that has
/// one, else the value of -hda, else the first word that is neither an
/// option nor an option's value. False if there is none.
bool FindImageArg(const std::vector<std::string>& args, std::string* image);

/// Splits the QEMU words into the program and its arguments: the first word
/// is the program if it does not begin with '-' and `is_program` says so
/// (runqemuos: unless it names an existing file that is not executable);
/// otherwise kDefaultQemu runs and every word is an argument - so the
/// article's bare image as the only argument still works.
void SplitProgram(const std::vector<std::string>& words,
                  const std::function<bool(const std::string&)>& is_program, std::string* program,
                  std::vector<std::string>* args);

/// A 9p share a guest gets: its mount tag and the host directory.
struct Share {
  std::string tag;
  std::string path;
  bool readonly = false;
};

/// A record's 9p shares (none unless share is 9p): common_ro_host,
/// rw_host_base/<hostname>, common_rw_host.
std::vector<Share> GuestShares(const GuestRecord& record, const Settings& settings);

/// The host directories of GuestShares, which must exist before QEMU runs.
std::vector<std::string> SharedDirectories(const GuestRecord& record, const Settings& settings);

/// A network card and what its frames go to on the host: -netdev
/// BACKEND,id=runall0[,OPTIONS] -device MODEL,netdev=runall0,mac=MAC.
struct NetworkCard {
  std::string model;  ///< the QEMU NIC model, e.g. virtio-net-pci
  std::string mac;
  std::string backend = "tap";  ///< the -netdev type
  std::string backend_options;  ///< e.g. "fd=7" for a tap QEMU inherits
};

/// The arguments that give the guest `card`.
std::vector<std::string> NetworkCardArgs(const NetworkCard& card);

/// The arguments that attach the claimed tap `tap_fd` to a `nic` card with
/// address `mac`: -netdev tap,id=runall0,fd=N -device NIC,netdev=runall0,...
std::vector<std::string> NetworkArgs(const std::string& nic, const std::string& mac, int tap_fd);

/// The netdev id of runall's card, which the user-mode network's
/// forwarding is looked up under (info usernet).
extern const char kNetdevId[];

/// The arguments of runall's user-mode network (the "user" backend of
/// NetworkCard): a `nic` card with address `mac` on QEMU's own network,
/// whose DHCP server names the guest `hostname`, and which forwards
/// `port` of 127.0.0.1 on the host (0: a free port the kernel picks when
/// QEMU binds it) to the guest's port 22:
///   -netdev user,id=runall0,hostname=HOST,hostfwd=tcp:127.0.0.1:PORT-:22
///   -device NIC,netdev=runall0,mac=MAC
std::vector<std::string> UserNetworkArgs(const std::string& nic, const std::string& mac,
                                         const std::string& hostname, unsigned port);

/// The QEMU options of a monitor on the unix socket `path` speaking QMP,
/// listening, and never waiting for a client: -qmp
/// unix:PATH,server=on,wait=off (commas in the path doubled).
std::vector<std::string> MonitorArgs(const std::string& path);

/// True if the arguments set up a QMP monitor themselves (-qmp,
/// -qmp-pretty, or a -mon in mode=control): runqemuos then adds none.
bool ArgsHaveQmpMonitor(const std::vector<std::string>& args);

/// True if the arguments say where the first serial port goes (-serial,
/// or -nographic, which puts it on QEMU's standard output): runqemuos then
/// does not move it to its console logger.
bool ArgsDirectSerial(const std::vector<std::string>& args);

/// What the host decides for a launch beyond the record: the accelerator
/// options (accel.hpp's ChooseAccel) and the CPU model a guest gets when
/// neither its record nor its option lines name one (under KVM, one that
/// works under both KVM and TCG).
struct HostChoices {
  std::vector<std::string> accel;
  std::string default_cpu;
  /// A guest with a saved state (resume = yes) runs on runall's qcow2
  /// overlay of its image, which holds the state: the disk's file= then
  /// names the overlay, format qcow2. Empty: the image itself.
  std::string disk_overlay;
  /// The snapshot to resume (-loadvm TAG); empty: boot.
  std::string loadvm;
};

/// A record's QEMU command line, less the network card that runqemuos adds
/// once it has claimed a tap (or, for the user-mode network, without a
/// tap: UserNetworkArgs).
struct QemuCommand {
  std::vector<std::string> argv;  ///< the QEMU program, then its arguments
  std::string image;              ///< the image runqemuos locks
  std::string nic;                ///< for runqemuos -N; empty: none to add
  std::string mac;                ///< for runqemuos -M
  bool user_net = false;          ///< runqemuos -u: the card on QEMU's network
  unsigned ssh_port = 0;          ///< runqemuos -p; 0: a free port
};

/// Turns a record into today's QEMU command line: -machine/-cpu when set,
/// -m, -rtc base=localtime for L, the image as -drive file=,format=,if=,
/// the 9p shares, the RNG device, the display, then the record's option
/// lines. Networking is left to runqemuos (nic and mac, and user_net for
/// the user-mode network) unless the option lines bring their own (-net,
/// -netdev, -nic) or nic is "none".
QemuCommand BuildQemuArgv(const GuestRecord& record, const Settings& settings);

/// The same with the host's choices: the accelerator options come right
/// after -machine and -cpu (the CPU of `host` when the record names none).
QemuCommand BuildQemuArgv(const GuestRecord& record, const Settings& settings,
                          const HostChoices& host);

}  // namespace runall
