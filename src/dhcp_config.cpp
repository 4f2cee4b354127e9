#include "dhcp_config.hpp"

#include <net/if.h>

#include "validate.hpp"

namespace runall {

bool ValidDhcpConfig(const DhcpConfig& cfg, std::string* err) {
  if (cfg.interface.empty() || cfg.interface.size() >= IFNAMSIZ ||
      cfg.interface.find('/') != std::string::npos) {
    *err = "interface name: empty or longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
    return false;
  }
  uint32_t m = cfg.netmask;
  if (m == 0 || (~m & (~m + 1)) != 0 || m == 0xffffffffu || m == 0xfffffffeu) {
    *err = "netmask " + FormatIPv4(m) + ": not a usable contiguous mask";
    return false;
  }
  if (cfg.server == 0 || cfg.client == 0 || cfg.server == cfg.client) {
    *err = "server " + FormatIPv4(cfg.server) + " and client " + FormatIPv4(cfg.client) +
           ": both needed, and different";
    return false;
  }
  if ((cfg.server & m) != (cfg.client & m)) {
    *err = "client " + FormatIPv4(cfg.client) + ": not in the subnet of server " +
           FormatIPv4(cfg.server) + "/" + FormatIPv4(m);
    return false;
  }
  for (uint32_t a : {cfg.server, cfg.client}) {
    if ((a & ~m) == 0 || (a & ~m) == ~m) {
      *err = FormatIPv4(a) + ": the network or broadcast address of its subnet";
      return false;
    }
  }
  if (cfg.lease_time < 10 || cfg.lease_time > 365u * 24 * 3600) {
    *err = "lease time " + std::to_string(cfg.lease_time) + " s: must be from 10 s to a year";
    return false;
  }
  std::string why;
  if (!cfg.hostname.empty() && !ValidHostname(cfg.hostname, &why)) {
    *err = "hostname: " + why;
    return false;
  }
  if (!cfg.domain.empty() && !ValidHostname(cfg.domain, &why)) {
    *err = "domain: " + why;
    return false;
  }
  return true;
}

}  // namespace runall
