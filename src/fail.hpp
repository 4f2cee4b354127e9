// fail: exit codes, the one way out for errors nobody can recover from,
// and the one way to return an error a caller can act on.
#pragma once

#include <string>

namespace runall {

/// Exit codes every runall tool keeps, so scripts can rely on them (the s6
/// convention): 0 done, 1 refused or failed as documented per tool, 100 bad
/// usage or invalid input (nothing was changed), 111 a system call failed.
enum ExitCode {
  kExitOk = 0,
  kExitRefused = 1,
  kExitUsage = 100,
  kExitSystem = 111,
};

/// Sets the name printed before every message ("prog: what: why").
void SetProgramName(const char* argv0);
const char* ProgramName();

/// Prints "prog: message" to stderr.
void Warn(const std::string& message);

/// Prints "prog: message" to stderr and exits with `code`. For a tool's
/// main only: library code returns its errors (the err-string idiom).
[[noreturn]] void Fatal(int code, const std::string& message);

/// The err-string idiom's one-line way out: sets *why (when non-null) to
/// `text` and returns false, as in `return Fail(err, "bad name");`.
bool Fail(std::string* why, const std::string& text);

/// "what: strerror(errno)", for messages about a failed system call.
std::string ErrnoMessage(const std::string& what);
std::string ErrnoMessage(const std::string& what, int errnum);

}  // namespace runall
