// settings: the host-wide settings file, SYSCONFDIR/runall.conf - the
// article's "configurable variables" (directories, hosts path, address plan,
// timeouts), with defaults compiled in.
//
// Format: one "key = value" per line; '#' starts a comment line; blank lines
// are ignored; an unknown key or a bad value is an error naming file and line.
#pragma once

#include <stdint.h>

#include <string>

namespace runall {

/// How a guest is networked (the network setting, here the default for
/// every guest; runall-guests(5) may set it per guest).
/// Whether a guest that is down is resumed from a saved state instead of
/// booted (runall-guests(5), resume): never; from the state, which the
/// guest's disk returns to at each resume; or every run from the state on a
/// copy of its own, the guest stopped and the copy discarded when the run
/// ends (throw-away runs).
enum class ResumeMode { kNo, kYes, kThrowaway };

/// "no", "yes", "throwaway": the words of the setting.
const char* ResumeModeName(ResumeMode mode);
/// False for any other word.
bool ParseResumeMode(const std::string& text, ResumeMode* mode);

enum class NetworkMode {
  kTap,   ///< its own tap and subnet, reachable by name (needs host setup)
  kUser,  ///< QEMU's user-mode network: ssh through a port of 127.0.0.1
};

/// What update-dynamic-hosts lets a sudo user map (the sudo_hosts setting).
enum class SudoHosts {
  kGuests,  ///< guest names only, to a guest address of the user's own tap
  kAny,     ///< any valid name and address (the article's behaviour)
};

struct Settings {
  // Files and directories on the host.
  std::string hosts_file;      ///< the hosts file update-dynamic-hosts edits
  std::string hostname_dir;    ///< HOSTNAMEDIR: <pid> files naming a guest
  std::string launch_dir;      ///< LAUNCHDIR: <host> files holding qemu's pid
  std::string image_dir;       ///< relative image names in the guest config
  std::string run_dir;         ///< pid files of the DHCP daemons
  std::string guests_file;     ///< the guest config file (runall-guests(5))
  std::string log_file;        ///< empty: log to stderr
  std::string common_ro_host;  ///< shared read-only directory (scripts)
  std::string common_rw_host;  ///< shared read-write directory
  std::string rw_host_base;    ///< per-guest read-write directories live here
  std::string up_dir;          ///< where guests signal boot; default common_rw_host
  std::string known_hosts;     ///< runall's own ssh known_hosts; empty: per user
  /// One ssh connection per guest per run (OpenSSH's ControlMaster),
  /// shared by the connection test, the script and the shutdown command.
  bool ssh_multiplex = true;
  // The same directories as the guests mount them.
  std::string common_ro_guest;
  std::string common_rw_guest;
  std::string rw_guest;

  // Address plan: tapN gets <net_base>.N.1/24, its guest <net_base>.N.2.
  uint32_t net_base = 0;        ///< host byte order, the two leading octets
  unsigned lease_time = 120;    ///< seconds; the article's udhcpd used 120
  std::string domain;           ///< DHCP option 15
  std::string dns;              ///< space-separated; empty: from resolv.conf
  bool restrict_hosts = false;  ///< update-dynamic-hosts accepts only guests
                                ///< of guests_file and addresses of the plan

  // What a member of the group may do through sudo (root, run directly, is
  // never limited by these).
  SudoHosts sudo_hosts = SudoHosts::kGuests;  ///< names and addresses mapped
  std::string guest_domain;                   ///< NAME.guest_domain counts as a guest
                                              ///< name too; empty: single labels only
  unsigned max_taps_per_user = 16;            ///< taps one user may own (per namespace)
  unsigned hosts_max_per_user = 32;           ///< dynamic lines one user may own
  unsigned hosts_max_entries = 1024;          ///< dynamic lines in all

  // Hostname files (the article's DELAGE and TOOOLD).
  unsigned hostname_delete_age = 3600;
  unsigned hostname_max_age = 600;

  /// The guests' network when their record does not say. Tap here, and in
  /// the settings of an administrator (the host is set up for it); user in
  /// a user's own settings (PerUserSettings), where nothing is.
  NetworkMode network = NetworkMode::kTap;
  /// The accelerator of a guest whose record says none: auto (KVM for a
  /// guest of the host's own architecture when it is usable, else TCG),
  /// kvm, tcg, or another accelerator QEMU knows (accel.hpp).
  std::string accel = "auto";
  /// Whether a guest whose record does not say is resumed from a saved
  /// state instead of booted (runall.conf(5), resume).
  ResumeMode resume = ResumeMode::kNo;

  // Timeouts, in seconds.
  unsigned start_timeout = 600;  ///< default when a record gives none
  unsigned stop_timeout = 600;
  unsigned qemu_init_period = 20;  ///< for qemu to open its disk image
};

/// The settings with every default applied (paths from the build's
/// SYSCONFDIR, LOCALSTATEDIR and RUNSTATEDIR).
Settings DefaultSettings();

/// The compiled-in path of the settings file.
std::string DefaultSettingsPath();

/// The settings of a user without system-wide ones (runall-os-test's zero
/// setup): DefaultSettings with the guest config in `config_dir` (the
/// user's ~/.config/runall), every directory of images, launch files,
/// hostname files and shares under `data_dir` (~/.local/share/runall), and
/// the user-mode network.
Settings PerUserSettings(const std::string& config_dir, const std::string& data_dir);

/// "tap" or "user".
const char* NetworkModeName(NetworkMode mode);

/// Reads "tap" or "user"; false for anything else.
bool ParseNetworkMode(const std::string& text, NetworkMode* mode);

/// Reads `path` over *settings. A missing file leaves the defaults and
/// succeeds unless `must_exist`. With `privileged`, the file must be a
/// regular file (not a symlink) owned by root and not writable by group or
/// others: a helper run through sudo must not take orders from a file the
/// invoking user could have written.
bool LoadSettings(const std::string& path, bool privileged, bool must_exist, Settings* settings,
                  std::string* err);

/// Parses settings text (the part of LoadSettings that touches no file);
/// `name` is used in error messages.
bool ParseSettings(const std::string& text, const std::string& name, Settings* settings,
                   std::string* err);

/// The address plan.
uint32_t TapHostAddress(const Settings& s, unsigned tap_number);
uint32_t TapGuestAddress(const Settings& s, unsigned tap_number);
/// True if tap_number has a place in the plan (0-255).
bool TapInPlan(unsigned tap_number);

}  // namespace runall
