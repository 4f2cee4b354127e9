// settings_source: which settings and guest config runall-os-test reads.
// The system-wide files an administrator installed win when either exists
// (SYSCONFDIR/runall.conf, SYSCONFDIR/runall-guests), as they always did;
// where there are none, a user runs runall with no setup at all, from
// files of their own under the XDG base directories:
//
//   settings      $XDG_CONFIG_HOME/runall/runall.conf  (may be missing)
//   guests        $XDG_CONFIG_HOME/runall/runall-guests
//   images, launch files, shares
//                 $XDG_DATA_HOME/runall/...
//   logs          $XDG_STATE_HOME/runall/logs
//
// with ~/.config, ~/.local/share and ~/.local/state where a variable is
// unset or not absolute (the XDG rule), and the user-mode network as the
// default. -C names the settings file outright and skips the search.
// Pure: the caller looks at the files.
#pragma once

#include <string>

#include "settings.hpp"

namespace runall {

/// runall's directories under the XDG base directories of a user.
struct XdgDirs {
  std::string config;  ///< $XDG_CONFIG_HOME/runall, or HOME/.config/runall
  std::string data;    ///< $XDG_DATA_HOME/runall, or HOME/.local/share/runall
  std::string state;   ///< $XDG_STATE_HOME/runall, or HOME/.local/state/runall
};

/// The directories from the environment's values (null when unset) and
/// the home directory. A value that is not an absolute path is ignored, as
/// the XDG base directory specification says.
XdgDirs RunallXdgDirs(const char* config_home, const char* data_home, const char* state_home,
                      const std::string& home);

/// Which settings file to read, and over what.
struct SettingsChoice {
  std::string path;         ///< the settings file
  bool must_exist = false;  ///< named with -C: missing is an error
  bool per_user = false;    ///< the user's own files: no system-wide ones exist
  Settings defaults;        ///< what the file is read over
};

/// The choice for -C `explicit_path` (empty: none given), where
/// `system_files` says whether SYSCONFDIR/runall.conf or
/// SYSCONFDIR/runall-guests exists.
SettingsChoice ChooseSettings(const std::string& explicit_path, bool system_files,
                              const XdgDirs& xdg);

/// Why there is no guest config at `guests_path` (which does not exist),
/// saying where runall-os-test looked: with `choice.per_user`, neither the
/// system-wide file `system_guests` nor the user's exists.
std::string MissingGuestConfigMessage(const SettingsChoice& choice, const std::string& guests_path,
                                      const std::string& system_guests);

}  // namespace runall
