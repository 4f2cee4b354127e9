// guest_config: the guest config file (runall-guests(5)), parsed into one
// GuestRecord per guest. Pure: no system calls except LoadGuestConfig,
// which reads the file. The QEMU command line a record turns into is
// qemu_args'.
//
// The format is the article's: '#' comment lines; a record per guest, ended
// by a blank line (or the end of the file); its first line
//   hostname imgfile [starttimeout [stoptimeout [memsize [L]]]]
// and each following line one extra QEMU option line. runall adds
// "name = value" lines inside a record for what a modern guest needs.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "settings.hpp"

namespace runall {

/// How a guest tells the host that it has finished booting.
enum class BootSignal {
  kUpFile,  ///< writes up_dir/<hostname> (the article's way)
  kSsh,     ///< its sshd answers
};

/// One guest of the config file, with every default filled in.
struct GuestRecord {
  unsigned line = 0;  ///< line of the record's first line
  // The article's first line.
  std::string hostname;
  std::string image;           ///< absolute: image_dir/imgfile unless absolute
  unsigned start_timeout = 0;  ///< seconds; settings' default if not given
  unsigned stop_timeout = 0;
  unsigned memory_mib = 0;  ///< 0: not given, QEMU's default applies
  bool local_time = false;  ///< the L flag: the guest clock runs local time
  /// The extra QEMU option lines, each split into words, in file order.
  std::vector<std::vector<std::string>> option_lines;
  // runall's "name = value" lines, defaults resolved from `arch`.
  std::string arch = "x86_64";
  std::string qemu;                   ///< the QEMU program, e.g. qemu-system-x86_64
  std::string machine;                ///< empty: QEMU's default machine
  std::string cpu;                    ///< empty: QEMU's default CPU
  std::string nic;                    ///< NIC model; "none": no network card
  std::string mac;                    ///< the NIC's address (MacForHostname)
  std::string image_format;           ///< raw, qcow2, ... (from the image's extension)
  std::string drive_if;               ///< -drive if=: virtio, ide, scsi, ...
  std::string share;                  ///< "9p" or "none"
  std::string rng;                    ///< RNG device model, or "none"
  std::string display;                ///< empty: QEMU's default; "nographic"; -display
  std::string shutdown = "poweroff";  ///< run over ssh to stop the guest
  BootSignal boot_signal = BootSignal::kUpFile;
  std::string console_log;  ///< empty: the driver's default
  /// Its own tap, or QEMU's user-mode network (the settings' network
  /// unless the record says).
  NetworkMode network = NetworkMode::kTap;
  /// With the user-mode network: the port of 127.0.0.1 forwarded to the
  /// guest's port 22; 0 (the default) lets QEMU take a free one.
  unsigned ssh_port = 0;
  std::string accel;  ///< auto, kvm, tcg, ...; the settings' default
  /// Resumed from a saved state instead of booted, and how (the
  /// settings' default).
  ResumeMode resume = ResumeMode::kNo;
};

/// The longest name QEMU's user-mode DHCP server hands a guest in full
/// (libslirp keeps 32 characters and cuts the rest).
constexpr size_t kUserNetHostnameMax = 32;

/// Parses guest config text. `filename` names the text in errors, which read
/// "FILE:LINE: what". `settings` gives image_dir and the default timeouts.
bool ParseGuestConfig(const std::string& text, const std::string& filename,
                      const Settings& settings, std::vector<GuestRecord>* records,
                      std::string* err);

/// Reads and parses the file at `path` (a regular file, at most 1 MiB).
bool LoadGuestConfig(const std::string& path, const Settings& settings,
                     std::vector<GuestRecord>* records, std::string* err);

/// The same for a privileged reader: with `privileged` the file must be no
/// symbolic link, owned by root and writable by nobody else, since it then
/// decides what a sudo user may do (update-dynamic-hosts' restrict_hosts).
bool LoadGuestConfig(const std::string& path, const Settings& settings, bool privileged,
                     std::vector<GuestRecord>* records, std::string* err);

/// Splits one option line into words: blanks separate words; '...' and
/// "..." group (in "...", \" and \\ are escapes); a backslash outside
/// quotes takes the next character literally; an unquoted word starting
/// with '#' begins a comment. False on an unterminated quote.
bool SplitWords(const std::string& line, std::vector<std::string>* words, std::string* why);

}  // namespace runall
