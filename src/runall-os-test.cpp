// runall-os-test: boot the guests that are not up, run a script on each over
// ssh, report. See runall-os-test(1); the work is in driver.cpp.
#include <stdio.h>

#include <string>
#include <vector>

#include "driver.hpp"
#include "driver_args.hpp"
#include "fail.hpp"
#include "process.hpp"

using namespace runall;

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  // The driver waits for runqemuos and ssh: a SIGCHLD its caller ignored
  // would make every waitpid fail, and a blocked SIGINT would make ^C do
  // nothing.
  ResetInheritedSignals();
  std::vector<std::string> args(argv + 1, argv + argc);
  DriverArgs parsed;
  std::string err;
  if (!ParseDriverArgs(args, &parsed, &err)) {
    Warn(err);
    fputs(DriverUsage(ProgramName()).c_str(), stderr);
    return kExitUsage;
  }
  if (parsed.help) {
    fputs(DriverUsage(ProgramName()).c_str(), stdout);
    return kExitOk;
  }
  return RunDriver(parsed);
}
