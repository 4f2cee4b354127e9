// restrict_hosts: the article's suggested extension to update-dynamic-hosts
// ("limit changes to those specific hostnames listed in the guest OS config
// file and to the possible range of IP addresses"), switched on by the
// restrict_hosts setting.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "settings.hpp"

namespace runall {

/// The rule: `hostname` must be one of `guests` (case-insensitively) and,
/// unless `ip` is empty, `ip` must be a guest address of the plan
/// (net_base.N.2). *why says which failed.
bool HostAllowed(const std::vector<std::string>& guests, uint32_t net_base,
                 const std::string& hostname, const std::string& ip, std::string* why);

/// HostAllowed over the guests of settings.guests_file, read with the guest
/// config parser; with `privileged` the file must be root's alone, as it
/// decides what a sudo user may write into the hosts file. On false,
/// *refused tells a refusal by the rule (true) from a guest file that could
/// not be read or parsed (false).
bool CheckRestrictedHost(const Settings& settings, const std::string& hostname,
                         const std::string& ip, bool privileged, bool* refused, std::string* err);

}  // namespace runall
