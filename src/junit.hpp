// junit: a run's results as JUnit XML, the report GitLab CI, Jenkins and
// GitHub's test reporters read: one testsuite per run, one testcase per
// guest with its time and the script's output, and a failure element when
// the guest did not pass. Pure: formats a string. Whatever bytes a script
// printed, the result is well-formed XML 1.0 in UTF-8.
#pragma once

#include <string>
#include <vector>

#include "report.hpp"

namespace runall {

struct JunitRun {
  std::string name = "runall-os-test";  ///< the testsuite's name
  std::string hostname;                 ///< the machine the run was on
  std::string timestamp;                ///< its start, ISO 8601 local time
  double seconds = 0;                   ///< the whole run
};

/// `outputs[i]` is what the script printed on results[i]'s guest during this
/// run (empty, or missing, for none).
std::string JunitReport(const std::vector<GuestResult>& results,
                        const std::vector<std::string>& outputs, const JunitRun& run);

/// `s` as XML character data or attribute text: markup characters as
/// entities, invalid UTF-8 as U+FFFD, and the control characters XML 1.0
/// cannot hold written out as "\xNN".
std::string XmlEscape(const std::string& s);

}  // namespace runall
