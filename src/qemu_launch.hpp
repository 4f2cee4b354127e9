// qemu_launch: the pieces of runqemuos - its command line, finding the disk
// image among QEMU's arguments, the hostname and launch files, and claiming
// a tap - apart from its main, so they are tested on their own.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "tun.hpp"

namespace runall {

/// The QEMU runqemuos runs when its arguments name none.
extern const char kDefaultQemu[];

/// What runqemuos was asked to do.
struct LaunchRequest {
  bool help = false;
  bool background = false;        ///< -b: own session, detached
  std::string console_log;        ///< -o: QEMU's stdout and stderr
  std::string settings_path;      ///< -C: passed on to start-tun-interface
  std::string image;              ///< -i, else found in the QEMU arguments
  std::string nic;                ///< -N: claim a tap, add this card
  std::string mac;                ///< -M: the card's address
  std::string host;
  std::string hostname_dir;
  std::string launch_dir;
  std::vector<std::string> qemu_args;  ///< as given, perhaps the program first
};

/// Parses runqemuos's arguments (without argv[0]). Checks their form only:
/// the hostname, the MAC and the NIC model; not the files.
bool ParseLaunchArgs(const std::vector<std::string>& args, LaunchRequest* req,
                     std::string* err);

/// Splits the QEMU words into the program and its arguments: the first word
/// is the program if it does not begin with '-' and `is_program` says so
/// (runqemuos: unless it names an existing file that is not executable);
/// otherwise kDefaultQemu runs and every word is an argument - so the
/// article's bare image as the only argument still works.
void SplitProgram(const std::vector<std::string>& words,
                  const std::function<bool(const std::string&)>& is_program,
                  std::string* program, std::vector<std::string>* args);

/// The disk image among QEMU arguments: file= of the first -drive that has
/// one, else the value of -hda, else the first word that is neither an
/// option nor an option's value. False if there is none.
bool FindImageArg(const std::vector<std::string>& args, std::string* image);

/// True if the arguments hold -daemonize, which would change QEMU's pid.
bool HasDaemonize(const std::vector<std::string>& args);

/// The taps runqemuos may claim: persistent taps named tapN with N in the
/// address plan that `uid` (with `groups`) may attach, in number order.
/// Not `root`: only those owned by `uid`, the only ones start-tun-interface
/// configures through sudo. `root`: those owned by `uid` first, then those
/// of a group, then those of nobody in particular.
std::vector<std::string> TapCandidates(const std::vector<TapInfo>& taps,
                                       uid_t uid,
                                       const std::vector<gid_t>& groups,
                                       bool root);

/// Claims a tap: attaches to the first free candidate (a tap another
/// process holds answers EBUSY, so two claims never get the same one); as
/// `root` with none free, creates a non-persistent tap at the first unused
/// tapN, which the kernel removes when its last fd closes. Returns an fd
/// that is NOT close-on-exec, or -1 with *err.
int ClaimTap(uid_t uid, const std::vector<gid_t>& groups, bool root,
             std::string* name, std::string* err);

/// Writes `content` to dir/name (mode 0644) through a temporary file in
/// `dir` and rename, so a reader sees the old file or the whole new one.
bool WriteFileAtomically(const std::string& dir, const std::string& name,
                         const std::string& content, std::string* err);

}  // namespace runall
