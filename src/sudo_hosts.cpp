#include "sudo_hosts.hpp"

#include <string.h>
#include <strings.h>

#include <utility>

#include "fail.hpp"
#include "hosts_section.hpp"
#include "validate.hpp"

namespace runall {

namespace {

bool SameText(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strcasecmp(a.c_str(), b.c_str()) == 0;
}

bool StartsWithNoCase(const std::string& s, const char* prefix) {
  size_t n = strlen(prefix);
  return s.size() >= n && strncasecmp(s.c_str(), prefix, n) == 0;
}

// Labels the host or its programs resolve for themselves: the loopback
// names, the browsers' proxy discovery (wpad) and IPv6 transition (isatap)
// lookups, which a mapped name would redirect for every user of the host,
// and Debian's ip6-* names of /etc/hosts.
bool ReservedLabel(const std::string& label) {
  static const char* const kReserved[] = {"localhost", "localdomain", "broadcasthost", "wpad",
                                          "isatap"};
  for (const char* r : kReserved)
    if (SameText(label, r)) return true;
  return StartsWithNoCase(label, "ip6-");
}

}  // namespace

bool CheckGuestName(const std::string& name, const std::string& guest_domain,
                    const std::vector<std::string>& host_names, std::string* why) {
  const std::string shown = QuoteForMessage(name);
  std::string form =
      "a guest name is a single label (letters, digits and "
      "'-', not all digits)";
  if (!guest_domain.empty())
    form += " or such a label followed by ." + guest_domain + " (guest_domain)";
  std::string reason;
  if (!ValidHostname(name, &reason)) return Fail(why, shown + " is not a hostname: " + reason);
  std::string label = name.substr(0, name.find('.'));
  if (label.size() != name.size()) {
    std::string domain = name.substr(label.size() + 1);
    if (guest_domain.empty() || !SameText(domain, guest_domain))
      return Fail(why, shown + " is not a guest name: " + form);
  }
  if (label.find_first_not_of("0123456789") == std::string::npos)
    return Fail(why, shown + " is not a guest name: its label is all digits");
  if (ReservedLabel(label))
    return Fail(why, shown +
                         " is a name the host resolves for itself "
                         "(localhost, localdomain, broadcasthost, wpad, "
                         "isatap, ip6-*), not a guest name");
  // The short name under guest_domain may well be the host's full name
  // too (when the host lives in that domain), so the label counts alone.
  for (const std::string& own : host_names)
    if (SameText(name, own) || SameText(label, own))
      return Fail(why, shown + " is this host's own name, not a guest name");
  return true;
}

std::vector<std::string> OwnHostNames(const std::string& hostname) {
  std::vector<std::string> names;
  if (hostname.empty()) return names;
  names.push_back(hostname);
  size_t dot = hostname.find('.');
  if (dot != std::string::npos && dot > 0) names.push_back(hostname.substr(0, dot));
  return names;
}

bool CheckGuestAddress(uint32_t net_base, const std::string& ip, const OwnsTap& owns_tap,
                       std::string* why) {
  uint32_t addr = 0;
  std::string reason;
  if (!ParseIPv4(ip, &addr, &reason))
    return Fail(why, QuoteForMessage(ip) + " is not an address: " + reason);
  if (!GuestAddressInPlan(net_base, addr))
    return Fail(why, ip + " is not a guest address of the address plan (" +
                         std::to_string(net_base >> 24) + "." +
                         std::to_string((net_base >> 16) & 255) + ".N.2, net_base)");
  unsigned n = (addr >> 8) & 255;
  if (!owns_tap || !owns_tap(n, &reason))
    return Fail(why, ip + " is the guest address of tap" + std::to_string(n) +
                         ", which is not yours: " + reason);
  return true;
}

std::function<bool(uint32_t addr)> OwnsGuestAddress(uint32_t net_base, OwnsTap owns_tap) {
  return [net_base, owns_tap = std::move(owns_tap)](uint32_t addr) {
    return GuestAddressInPlan(net_base, addr) && owns_tap && owns_tap((addr >> 8) & 255, nullptr);
  };
}

}  // namespace runall
