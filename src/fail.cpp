#include "fail.hpp"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace runall {

namespace {
const char* g_program = "runall";
}

void SetProgramName(const char* argv0) {
  if (argv0 == nullptr || *argv0 == '\0') return;
  const char* slash = strrchr(argv0, '/');
  g_program = slash ? slash + 1 : argv0;
}

const char* ProgramName() { return g_program; }

void Warn(const std::string& message) {
  // One write so that messages from concurrent helpers never interleave
  // mid-line on a shared terminal.
  std::string line = std::string(g_program) + ": " + message + "\n";
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void Fatal(int code, const std::string& message) {
  Warn(message);
  exit(code);
}

bool Fail(std::string* why, const std::string& text) {
  if (why) *why = text;
  return false;
}

std::string ErrnoMessage(const std::string& what) { return ErrnoMessage(what, errno); }

std::string ErrnoMessage(const std::string& what, int errnum) {
  return what + ": " + strerror(errnum);
}

}  // namespace runall
