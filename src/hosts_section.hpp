// hosts_section: the rules of update-dynamic-hosts, as text in, text out.
//
// The dynamic section of a hosts file is the lines between the first line
// starting with ##STARTDYNAMIC and the next line starting with ##ENDDYNAMIC.
// Only that section is ever changed; every other byte of the file is kept.
// A name or address that appears outside the section is refused, so a guest
// can never take over a name or address the administrator wrote by hand.
// No system calls here: hosts_file does the locked write.
#pragma once

#include <stdint.h>

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

/// True if `name` may be mapped: an RFC 1123 hostname (ValidHostname) that
/// does not look like an address (all digits and dots).
bool CheckDynamicHostname(const std::string& name, std::string* why);

/// True if `ip` may be mapped: a strict dotted quad (ParseIPv4) that is not
/// 0.0.0.0/8, loopback 127.0.0.0/8, multicast or above 224.0.0.0.
bool CheckDynamicAddress(const std::string& ip, uint32_t* addr,
                         std::string* why);

/// True if `addr` is a guest address of the plan: net_base.N.2, N in 0-255.
bool GuestAddressInPlan(uint32_t net_base, uint32_t addr);

/// Maps `hostname` to `ip` in the dynamic section of hosts text `text`:
/// every line of the section whose address is `ip` or that names `hostname`
/// (case-insensitively) is removed, and "IP HOSTNAME" is inserted just
/// before ##ENDDYNAMIC. The section is created at the end if missing and
/// closed if unterminated. kRefused if the name or the address appears
/// outside the section (aliases and IPv6 lines included).
SectionEdit MapDynamicHost(const std::string& text, const std::string& hostname,
                           const std::string& ip, std::string* out,
                           std::string* why);

/// Removes every line of the dynamic section that names `hostname`.
/// kNotFound if it is nowhere; kRefused if it appears only outside the
/// section (which this tool never changes).
SectionEdit UnmapDynamicHost(const std::string& text,
                             const std::string& hostname, std::string* out,
                             std::string* why);

}  // namespace runall
