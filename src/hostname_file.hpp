// hostname_file: the article's way of telling start-tun-interface which
// guest a tap is for. The process that starts QEMU writes the guest's
// hostname into HOSTNAMEDIR/<its pid> (or HOSTNAMEDIR/<its pid>.<suffix>, a
// name no other user can predict and so pre-create); start-tun-interface
// walks up its own ancestors (through sudo and its monitor process, QEMU,
// that process) and takes the file of the nearest one. Files older than an
// hour are deleted, files under ten minutes old are used (and deleted once
// used). The directory is opened without following a symbolic link, and
// under sudo only one that nobody but root or the invoking user controls.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <functional>
#include <string>
#include <vector>

namespace runall {

/// The facts about a hostname file that decide what to do with it.
struct HostnameFileFacts {
  bool regular = false;  ///< a regular file (not a fifo, device, directory)
  uid_t owner = 0;
  time_t mtime = 0;
};

enum class HostnameFileAction { kSkip, kDelete, kUse };

/// The article's rule. Only a regular file owned by `uid` is acted on (any
/// other is skipped and left alone). Its age is now - mtime, a file dated in
/// the future counting as new: older than `delete_age` -> delete; younger
/// than `max_age` -> use; in between -> skip (the article's DELAGE and
/// TOOOLD, 3600 and 600 by default, both bounds exclusive).
HostnameFileAction DecideHostnameFile(const HostnameFileFacts& facts, uid_t uid, time_t now,
                                      unsigned delete_age, unsigned max_age);

/// The pid a hostname file's name stands for: "<pid>" or "<pid>.<suffix>",
/// the pid in decimal without leading zeros, the suffix one or more of
/// [A-Za-z0-9]. False for any other name.
bool HostnameFilePid(const std::string& name, pid_t* pid);

/// The facts about the hostname directory that decide whether a run
/// through sudo may use it.
struct HostnameDirFacts {
  bool directory = false;
  uid_t owner = 0;
  mode_t mode = 0;  ///< permission bits, with S_ISVTX
};

/// Under sudo, the files in the directory are trusted by their owner only
/// if nobody else can remove or replace them: the directory must be root's
/// and, if group or others may write it, sticky (root:runall 1770 as
/// documented), or the invoking user's and writable by nobody else. False
/// with *why otherwise.
bool HostnameDirAcceptable(const HostnameDirFacts& facts, uid_t uid, std::string* why);

/// What OpenHostnameDir found.
enum class HostnameDirStatus {
  kOpen,     ///< *fd is the directory, opened O_DIRECTORY
  kMissing,  ///< it does not exist: the guest gets no name
  kRefused,  ///< a symbolic link, not a directory, or (under sudo) not
             ///< acceptable; *why says which
};

/// Opens `dir` without following a symbolic link: its last component
/// always, and under sudo (`strict`) none of its components either; with
/// `strict` the directory must also be HostnameDirAcceptable for `uid`.
HostnameDirStatus OpenHostnameDir(const std::string& dir, bool strict, uid_t uid, int* fd,
                                  std::string* why);

/// Gives the parent of `pid`; false if it cannot be known.
using ParentOf = std::function<bool(pid_t pid, pid_t* parent)>;

/// Calls `visit` on `start`, its parent, its parent's parent... until
/// `visit` returns true (that pid is returned), or after pid 1, at an
/// unknown parent, at a pid seen before, or after `max_steps` visits
/// (0 is returned).
pid_t WalkAncestors(pid_t start, const ParentOf& parent_of,
                    const std::function<bool(pid_t pid)>& visit, int max_steps = 100);

/// The first line of a hostname file, without the line end or trailing
/// blanks (the shell's `read HN`).
std::string FirstLine(const std::string& text);

/// What FindGuestHostname found.
struct HostnameSearch {
  std::string hostname;            ///< empty: none found
  pid_t pid = 0;                   ///< the ancestor whose file it was
  std::vector<std::string> notes;  ///< files ignored or deleted, and why
};

/// Walks from `start` up through `parent_of`, looking at the files of each
/// ancestor in the directory open at `dirfd` (named `dir` in notes): each
/// opened without following symlinks or blocking, acted on per
/// DecideHostnameFile with the file's owner matched against `uid`; a used
/// file's first line must be a valid hostname. The nearest ancestor with a
/// usable file wins, and among several usable files of one pid the newest.
/// Deletes the file it uses and the stale ones, as the article does.
HostnameSearch FindGuestHostnameIn(int dirfd, const std::string& dir, uid_t uid, time_t now,
                                   unsigned delete_age, unsigned max_age, pid_t start,
                                   const ParentOf& parent_of);

/// FindGuestHostnameIn on `dir`, opened by OpenHostnameDir (not strict); a
/// directory that cannot be opened is a note.
HostnameSearch FindGuestHostname(const std::string& dir, uid_t uid, time_t now, unsigned delete_age,
                                 unsigned max_age, pid_t start, const ParentOf& parent_of);

}  // namespace runall
