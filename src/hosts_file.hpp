// hosts_file: the safe rewrite of a hosts file, one writer at a time.
//
// Writers serialise on a lock file beside the hosts file (NAME.lock, an
// flock held for the whole read-edit-write, released by the kernel if the
// writer dies). The new content goes to a temporary file .NAME.XXXXXX in
// the same directory, fsync'd, given the original's owner and mode, and is
// renamed over the hosts file after the previous version has been kept as
// NAME.old; then the directory is fsync'd. A reader therefore sees either
// the old file or the new one, never a mix. Where rename fails with EBUSY
// (the hosts file is a bind mount, as under `ip netns exec` or in a
// container) the file is rewritten in place, in an order that never leaves
// it empty or cut short (see RewriteInPlace in the .cpp). The hosts file
// itself is never reached through a symbolic link.
#pragma once

#include <stdint.h>

#include <functional>
#include <string>

#include "hosts_section.hpp"

namespace runall {

struct HostsFileOptions {
  /// How long to wait for another writer's lock before giving up.
  unsigned lock_timeout_ms = 10000;
  /// Rewrite in place even where rename would work: the path a bind mount
  /// forces, reachable by tests that cannot make one.
  bool in_place = false;
  /// The lock wait's clock (monotonic nanoseconds) and its sleep; a test
  /// gives its own, so that waiting takes no real time. Unset: the real
  /// ones.
  std::function<uint64_t()> clock_ns;
  std::function<void(uint64_t ns)> sleep_ns;
};

/// How the new content reached the file.
enum class HostsWrite { kNone, kRenamed, kInPlace };

struct HostsFileResult {
  SectionEdit outcome = SectionEdit::kUnchanged;
  HostsWrite write = HostsWrite::kNone;
  std::string why;  ///< the editor's reason or note
};

/// Computes the new text from the old one (MapDynamicHost and friends).
using HostsEditor = std::function<SectionEdit(const std::string& old_text, std::string* new_text,
                                              std::string* why)>;

/// Locks the hosts file at `path`, reads it, runs `editor` and writes the
/// result if it is kChanged. Returns false only on a system error or an
/// unusable hosts file (missing, a symlink, a directory, unreadable, too
/// big), with *err saying what; the file is then unchanged. Refusals are
/// not errors: they come back in *result.
bool EditHostsFile(const std::string& path, const HostsEditor& editor,
                   const HostsFileOptions& options, HostsFileResult* result, std::string* err);

/// The lock file of the hosts file at `path`: the same path plus ".lock".
std::string HostsLockPath(const std::string& path);

/// One change to the dynamic section.
struct DynamicHostEdit {
  std::string hostname;
  std::string ip;       ///< the address to map it to; unused with `remove`
  bool remove = false;  ///< take `hostname` out of the section instead
};

/// update-dynamic-hosts' edit of the hosts file at `path`: checks the
/// hostname and the address first (a bad one comes back as kInvalid with
/// its reason, and nothing is opened or locked), then makes the change
/// under `rules` (MapDynamicHost, UnmapDynamicHost) through EditHostsFile,
/// whose return value and *err it gives.
bool EditDynamicHosts(const std::string& path, const DynamicHostEdit& edit,
                      const SectionRules& rules, const HostsFileOptions& options,
                      HostsFileResult* result, std::string* err);

}  // namespace runall
