// sudo_hosts: what a member of the group may map through sudo when the
// sudo_hosts setting is "guests" (the default). Every program on the host
// resolves through the hosts file, so a member may name only a guest, in
// the form a guest's hostname takes, and only to the guest address of a
// tap that member owns - never a public name (www.example.com), a name
// programs look up on their own (wpad, isatap, localhost) or the host's
// own name. Pure: the one fact from the system, whether a tap is the
// caller's, comes in as a function (OwnsTap), so tests fake it.
#pragma once

#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

namespace runall {

/// True if tapN (N = `tap_number`) exists in the caller's network
/// namespace, is a TUN/TAP device in tap mode and belongs to the invoking
/// user; otherwise false with *why saying which (e.g. "tap5 belongs to uid
/// 61002"). `why` may be null.
using OwnsTap = std::function<bool(unsigned tap_number, std::string* why)>;

/// True if `name` (already a valid hostname, CheckDynamicHostname) is a
/// guest name: a single label that is not all digits, or such a label
/// followed by "." and `guest_domain` when that is not empty; and its first
/// label is none of localhost, localdomain, broadcasthost, wpad, isatap,
/// ip6-*, and neither the name nor its first label is one of `host_names`
/// (all compared without regard to case). *why says what is wrong.
bool CheckGuestName(const std::string& name, const std::string& guest_domain,
                    const std::vector<std::string>& host_names, std::string* why);

/// The host's own names that no guest may take, from what gethostname(2)
/// gives: that name and, if it has dots, its first label.
std::vector<std::string> OwnHostNames(const std::string& hostname);

/// True if the dotted quad `ip` is net_base.N.2 and owns_tap(N); *why
/// says what is wrong.
bool CheckGuestAddress(uint32_t net_base, const std::string& ip, const OwnsTap& owns_tap,
                       std::string* why);

/// The rule SectionRules::owns_guest_address needs: true for net_base.N.2
/// when owns_tap(N).
std::function<bool(uint32_t addr)> OwnsGuestAddress(uint32_t net_base, OwnsTap owns_tap);

}  // namespace runall
