// start-tun-interface: give a guest's tap its host address, (re)start the
// tap's DHCP server and map the guest's hostname; also creates persistent
// taps for an unprivileged QEMU user and stops a tap's server. Run by root,
// normally through sudo from /etc/qemu-ifup. See start-tun-interface(8).
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fail.hpp"
#include "invoker.hpp"
#include "proc.hpp"
#include "process.hpp"
#include "settings.hpp"
#include "start_tun.hpp"

using namespace runall;

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  // QEMU runs its ifup script with the tap's fd (and whatever else it has)
  // open. We need none of it, and nothing we start may keep the tap
  // attached, so it goes before anything else happens.
  CloseFdsFrom(3);
  // We wait for update-dynamic-hosts and for the daemon's start, which an
  // ignored SIGCHLD (left by whoever ran us) would make fail.
  ResetInheritedSignals();
  // What we create (run directory, pid files, marks) must not depend on
  // the umask of whoever ran sudo.
  umask(022);

  StartTunArgs args;
  std::string err;
  if (!ParseStartTunArgs(std::vector<std::string>(argv + 1, argv + argc), &args, &err)) {
    Warn(err);
    Fatal(kExitUsage, "usage: see start-tun-interface --help");
  }
  if (args.mode == StartTunMode::kHelp) {
    fputs(StartTunUsage().c_str(), stdout);
    return kExitOk;
  }
  // Through sudo we act for another user: only the compiled-in settings
  // file, which only root can write, may steer us.
  if (!args.settings_path.empty() && RunThroughSudo())
    Fatal(kExitUsage, "-C: not accepted when run through sudo");
  if (geteuid() != 0)
    Fatal(kExitRefused,
          "must run as root (through sudo, see "
          "start-tun-interface(8))");
  bool uid_ok = true;
  StartTunContext ctx;
  ctx.invoking_uid = InvokingUid(&uid_ok);
  ctx.through_sudo = RunThroughSudo();
  if (!uid_ok) Fatal(kExitUsage, "SUDO_UID: not a uid");

  ctx.settings = DefaultSettings();
  ctx.settings_path = args.settings_path;
  const std::string settings_path =
      args.settings_path.empty() ? DefaultSettingsPath() : args.settings_path;
  if (!LoadSettings(settings_path, true, !args.settings_path.empty(), &ctx.settings, &err))
    Fatal(kExitSystem, err);
  if (!SelfExe(&ctx.self_exe, &err)) Fatal(kExitSystem, err);
  // Pid files, locks and marks are kept per network namespace: interface
  // names are the namespace's, and a run in one must never act on
  // another's.
  if (!NetNamespaceName(0, &ctx.ns_name, &err)) Fatal(kExitSystem, err);

  switch (args.mode) {
    case StartTunMode::kCreate: return CreateTaps(ctx, args);
    case StartTunMode::kStop: return StopTaps(ctx, args);
    default: return ConfigureTapInterface(ctx, args.interfaces[0], args.numbers[0]);
  }
}
