// runqemuos: record a guest's name and pid, lock its disk image, claim a
// tap, and exec QEMU so that QEMU keeps the pid, the lock and the tap. See
// runqemuos(1); the work is in qemu_launch.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fail.hpp"
#include "proc.hpp"
#include "process.hpp"
#include "qemu_launch.hpp"
#include "runqemuos_args.hpp"

using namespace runall;

namespace {

// The directory this program was run from: in the build tree every tool
// sits side by side, so root finds the start-tun-interface it was built
// with.
std::string OwnDirectory(const char* argv0) {
  std::string self, err;
  // The kernel's " (deleted)" after an upgrade ends the file name, not the
  // directory.
  if (!SelfExe(&self, &err) && argv0 && strchr(argv0, '/')) self = argv0;
  size_t slash = self.rfind('/');
  return slash == std::string::npos ? "" : self.substr(0, slash);
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  // QEMU and start-tun-interface get the signal state of a fresh process:
  // with SIGCHLD ignored by our caller, our wait for start-tun-interface
  // (and its own for update-dynamic-hosts, and QEMU's for its helpers)
  // would fail, and a SIGTERM the caller blocked would never stop QEMU.
  ResetInheritedSignals();
  LaunchRequest req;
  std::string err;
  if (!ParseLaunchArgs(std::vector<std::string>(argv + 1, argv + argc), &req, &err)) {
    Warn(err);
    fputs(kRunqemuosUsage, stderr);
    return kExitUsage;
  }
  if (req.help) {
    fputs(kRunqemuosUsage, stdout);
    return kExitOk;
  }
  LaunchPlan plan;
  int status = PlanLaunch(req, OwnDirectory(argv[0]), &plan, &err);
  for (const std::string& warning : plan.warnings) Warn(warning);
  if (status != kExitOk) Fatal(status, err);
  if (!req.background) {
    status = LaunchQemu(plan, &err);
    Fatal(status, err);
  }
  // Background: the child becomes QEMU in a session of its own, with no
  // terminal, so the driver's ^C never reaches QEMU (the article's
  // runqemuosbgnoint). This process stays only until the exec has
  // happened or failed, so the caller learns which.
  auto become_qemu = [&plan]() {
    std::string why;
    int code = LaunchQemu(plan, &why);
    Warn(why);
    return code;
  };
  pid_t pid = -1;
  Handoff how = Handoff::kExeced;
  ExitStatus ended;
  if (!ForkToExec(become_qemu, true, &pid, &how, &status, &ended, &err)) Fatal(kExitSystem, err);
  switch (how) {
    case Handoff::kFailed:  // it said why itself
      return status;
    case Handoff::kDied:
      if (req.user_net) {
        status = UserNetLaunchDied(plan, pid, ended, &err);
        Fatal(status, err);
      }
      Fatal(kExitSystem, CleanUpAfterLaunchDied(plan, pid, ended));
    case Handoff::kExeced: break;
  }
  // In user mode the guest's ssh is the port QEMU bound: learned from its
  // monitor and recorded before anyone is told QEMU runs.
  if (req.user_net) {
    unsigned port = 0;
    status = RecordUserNetPort(plan, pid, &port, &err);
    if (status != kExitOk) Fatal(status, err);
    if (!err.empty()) Warn(err);
  }
  // The child is QEMU now (it is not waited for; it outlives us).
  printf("%d\n", static_cast<int>(pid));
  return kExitOk;
}
