// file_copy: a whole file's bytes into another open file - shared with it
// (a reflink, nothing copied) where the file system can, copied where it
// cannot. For the per-run copies of a saved state (resume = throwaway),
// which may be hundreds of MiB: on btrfs or XFS a clone costs nothing.
#pragma once

#include <string>

namespace runall {

/// Makes the file open at `to` (empty, opened for writing) hold what the
/// file open at `from` holds. *cloned says whether the file system shared
/// the blocks instead of copying them. False with *err (naming neither
/// file: the caller does) on a read or write error; `to` is then partly
/// written.
bool CopyFileContents(int from, int to, bool* cloned, std::string* err);

}  // namespace runall
