// junit-sample: prints a JUnit report of every kind of guest result, with
// output holding markup, control characters and invalid UTF-8, for
// tests/lint/junit_schema.sh to validate against tests/junit/junit.xsd.
#include <stdio.h>

#include "junit.hpp"

using namespace runall;

int main() {
  std::vector<GuestResult> results;
  std::vector<std::string> outputs;
  const GuestStatus all[] = {
      GuestStatus::kPassed,      GuestStatus::kUp,          GuestStatus::kStopped,
      GuestStatus::kFailed,      GuestStatus::kBootTimeout, GuestStatus::kBootFailed,
      GuestStatus::kUnreachable, GuestStatus::kRefused,     GuestStatus::kHostKeyChanged,
      GuestStatus::kError,       GuestStatus::kNotFound,    GuestStatus::kInterrupted,
      GuestStatus::kNotRun};
  int n = 0;
  for (GuestStatus s : all) {
    GuestResult r;
    r.host = "guest-" + std::to_string(++n) + "<&>";
    r.status = s;
    r.exit_code = n;
    r.detail = "detail \"" + std::to_string(n) + "\" \x01 \xff";
    r.boot_seconds = n % 3 == 0 ? -1 : n * 1.5;
    r.script_seconds = n % 2 == 0 ? -1 : 0.125;
    results.push_back(r);
    static const char kOutput[] =
        "line <1> & ]]> \x1b[31mred\x1b[0m \x00 \xc0\x80 \xf0\x9f\x98\x80\n";
    outputs.push_back(std::string(kOutput, sizeof kOutput - 1));
  }
  JunitRun run;
  run.hostname = "host<1>";
  run.timestamp = "2026-11-30T04:18:24";
  run.seconds = 99.5;
  fputs(JunitReport(results, outputs, run).c_str(), stdout);
  return 0;
}
