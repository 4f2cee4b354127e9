#include "restrict_hosts.hpp"

#include <strings.h>

#include "guest_config.hpp"
#include "hosts_section.hpp"
#include "validate.hpp"

namespace runall {

bool HostAllowed(const std::vector<std::string>& guests, uint32_t net_base,
                 const std::string& hostname, const std::string& ip, std::string* why) {
  if (!ip.empty()) {
    uint32_t addr = 0;
    if (!ParseIPv4(ip, &addr, why)) return false;
    if (!GuestAddressInPlan(net_base, addr)) {
      *why = ip + " is not a guest address of the plan (" + std::to_string(net_base >> 24) + "." +
             std::to_string((net_base >> 16) & 255) + ".N.2); restrict_hosts is set";
      return false;
    }
  }
  for (const std::string& g : guests)
    if (strcasecmp(g.c_str(), hostname.c_str()) == 0) return true;
  *why = hostname +
         " is not a guest of the guest config file; "
         "restrict_hosts is set";
  return false;
}

bool CheckRestrictedHost(const Settings& settings, const std::string& hostname,
                         const std::string& ip, bool privileged, bool* refused, std::string* err) {
  *refused = false;
  std::vector<GuestRecord> records;
  if (!LoadGuestConfig(settings.guests_file, settings, privileged, &records, err)) return false;
  std::vector<std::string> guests;
  for (const GuestRecord& r : records) guests.push_back(r.hostname);
  if (HostAllowed(guests, settings.net_base, hostname, ip, err)) return true;
  *refused = true;
  return false;
}

}  // namespace runall
