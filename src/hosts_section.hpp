// hosts_section: the rules of update-dynamic-hosts, as text in, text out.
//
// The dynamic section of a hosts file is the lines between the first line
// starting with ##STARTDYNAMIC and the next line starting with ##ENDDYNAMIC.
// Only that section is ever changed; every other byte of the file is kept.
// A name or address that appears outside the section is refused, so a guest
// can never take over a name or address the administrator wrote by hand.
//
// Each line a mapping adds records who made it, as a trailing comment that
// hosts(5) readers (glibc, the article's awk) skip:
//   IP NAME # uid=UID
// A line without that mark is root's. Through sudo a user may replace or
// remove only their own lines, and only so many of them (SectionRules).
// No system calls here: hosts_file does the locked write.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <functional>
#include <limits>
#include <string>

namespace runall {

/// What an edit of the hosts text came to.
enum class SectionEdit {
  kChanged,    ///< *out holds the new text
  kUnchanged,  ///< the mapping is already there exactly; nothing to write
  kNotFound,   ///< removal: the name is nowhere in the file; nothing to write
  kRefused,    ///< the name or address is outside the section; *why says where
  kInvalid,    ///< the hostname or address is not acceptable; *why says why
};

/// The section markers, recognised at the start of a line (as the article's
/// awk script does).
extern const char kDynamicStart[];  // "##STARTDYNAMIC"
extern const char kDynamicEnd[];    // "##ENDDYNAMIC"

/// Who asks for an edit, and what they may do to the lines of others.
struct SectionRules {
  /// Recorded as the owner of the line a mapping adds ("# uid=UID"); root,
  /// run directly, records 0.
  uid_t uid = 0;
  /// Through sudo: the lines the edit would replace or remove must all be
  /// `uid`'s own, and a mapping that adds a line must stay within the two
  /// limits below. Root run directly may change every line, without limit.
  bool through_sudo = false;
  /// Lines one user may own (hosts_max_per_user).
  unsigned max_per_user = std::numeric_limits<unsigned>::max();
  /// Lines the section may hold in all (hosts_max_entries).
  unsigned max_entries = std::numeric_limits<unsigned>::max();
  /// Through sudo, for a line without an owner (root's, or one written
  /// before lines had owners): true if its address is the guest address of
  /// a tap the user owns, which makes the line the user's to replace or
  /// remove. Unset: such lines are root's alone.
  std::function<bool(uint32_t addr)> owns_guest_address;
};

/// The owner recorded in a line of the section (without its '\n'): true
/// with *uid if the line ends in the comment "# uid=UID" (blanks around
/// it allowed, nothing else in the comment), false if it has no owner.
bool ParseLineOwner(const std::string& line, uid_t* uid);

/// `text` as a message shows it: in double quotes, with '\t', '\n', '\r',
/// '\\', '"' and every other byte outside printable ASCII escaped (\xNN),
/// cut after about 80 characters with "...", so a hostile hosts file or
/// argument can neither garble the terminal nor hide what it holds.
std::string QuoteForMessage(const std::string& text);

/// True if `name` may be mapped: an RFC 1123 hostname (ValidHostname) that
/// does not look like an address (all digits and dots).
bool CheckDynamicHostname(const std::string& name, std::string* why);

/// True if `ip` may be mapped: a strict dotted quad (ParseIPv4) that is not
/// 0.0.0.0/8, loopback 127.0.0.0/8, multicast or above 224.0.0.0.
bool CheckDynamicAddress(const std::string& ip, uint32_t* addr, std::string* why);

/// True if `addr` is a guest address of the plan: net_base.N.2, N in 0-255.
bool GuestAddressInPlan(uint32_t net_base, uint32_t addr);

/// Maps `hostname` to `ip` in the dynamic section of hosts text `text`:
/// every line of the section whose address is `ip` or that names `hostname`
/// (case-insensitively) is removed, and "IP HOSTNAME # uid=UID" is inserted
/// just before ##ENDDYNAMIC. The section is created at the end if missing
/// and closed if unterminated. kRefused if the name or the address appears
/// outside the section (aliases and IPv6 lines included) or, by `rules`,
/// if a line to be removed is another user's or the limits would be
/// passed; *why then names the line and its owner, or the limit.
SectionEdit MapDynamicHost(const std::string& text, const std::string& hostname,
                           const std::string& ip, const SectionRules& rules, std::string* out,
                           std::string* why);
/// The same for root run directly (SectionRules()).
SectionEdit MapDynamicHost(const std::string& text, const std::string& hostname,
                           const std::string& ip, std::string* out, std::string* why);

/// Removes every line of the dynamic section that names `hostname`.
/// kNotFound if it is nowhere; kRefused if it appears only outside the
/// section (which this tool never changes) or, by `rules`, if one of those
/// lines is another user's.
SectionEdit UnmapDynamicHost(const std::string& text, const std::string& hostname,
                             const SectionRules& rules, std::string* out, std::string* why);
/// The same for root run directly (SectionRules()).
SectionEdit UnmapDynamicHost(const std::string& text, const std::string& hostname, std::string* out,
                             std::string* why);

}  // namespace runall
