// script_copy: putting the test script into the shared read-only directory
// (the article's `cp [-i|-f] SCRIPT COMMON_RO_HOST; chmod u+x`), so that a
// guest reading the directory at that moment sees the old script or the
// whole new one, never half of it.
#pragma once

#include <string>

namespace runall {

/// True (in *identical) if the regular files at `a` and `b` hold the same
/// bytes; compared as they are read, never held whole in memory. False with
/// *err if either cannot be read.
bool FilesIdentical(const std::string& a, const std::string& b, bool* identical, std::string* err);

/// Copies the regular file `source` to `target` through a temporary file
/// beside `target` and rename(2). The copy gets the source's permission
/// bits plus u+x (the article's chmod u+x).
bool CopyScript(const std::string& source, const std::string& target, std::string* err);

/// Adds u+x to `path` (a script already in place).
bool MakeUserExecutable(const std::string& path, std::string* err);

}  // namespace runall
