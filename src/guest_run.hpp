// guest_run: one guest's run - test the connection, look at its image and
// launch file, boot it with runqemuos if it is down, wait for it to say it
// is up, run the script over ssh with its output on the terminal and in
// the guest's own log, optionally shut it down. What to do at each step is
// startup_decision's answer; this module gathers the facts and carries the
// answers out.
#pragma once

#include <string>

#include "console.hpp"
#include "driver_args.hpp"
#include "guest_config.hpp"
#include "log.hpp"
#include "report.hpp"
#include "settings.hpp"
#include "ssh.hpp"

namespace runall {

// What every guest's run shares.
struct Shared {
  DriverArgs args;
  Settings settings;
  std::string settings_path;
  std::string runqemuos;
  std::string log_dir;
  std::string up_dir;
  SshConfig ssh;
  std::string script_name;  ///< under common_ro_guest; empty: no script
  bool root = false;
  Log* log = nullptr;
  Console* console = nullptr;
};

/// Brings `guest` up (booting it if it is down), runs the script on it,
/// and shuts it down with --shutdown.
GuestResult RunGuest(const Shared& shared, const GuestRecord& guest);

/// --stop: shuts `guest` down.
GuestResult StopGuest(const Shared& shared, const GuestRecord& guest);

}  // namespace runall
