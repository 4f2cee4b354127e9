#include "net_routes.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <sstream>

#include "fail.hpp"
#include "file_io.hpp"
#include "validate.hpp"

namespace runall {

namespace {

uint32_t MaskOf(unsigned prefix) { return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix); }

// A field of /proc/net/route: eight hex digits.
bool ParseHex32(const std::string& text, uint32_t* value) {
  if (text.empty() || text.size() > 8 ||
      text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return false;
  *value = static_cast<uint32_t>(strtoul(text.c_str(), nullptr, 16));
  return true;
}

}  // namespace

bool NetmaskPrefix(uint32_t netmask, unsigned* prefix) {
  unsigned n = 0;
  while (n < 32 && (netmask & (0x80000000u >> n)) != 0) ++n;
  if (netmask != MaskOf(n)) return false;
  *prefix = n;
  return true;
}

bool NetsOverlap(const Ipv4Net& a, const Ipv4Net& b) {
  // Two prefixes share an address exactly when they agree on the bits of
  // the shorter one: then the longer lies inside it.
  const uint32_t mask = MaskOf(a.prefix < b.prefix ? a.prefix : b.prefix);
  return (a.addr & mask) == (b.addr & mask);
}

std::string FormatNet(const Ipv4Net& net, bool as_address) {
  const uint32_t addr = as_address ? net.addr : net.addr & MaskOf(net.prefix);
  return FormatIPv4(addr) + "/" + std::to_string(net.prefix);
}

bool ParseProcNetRoute(const std::string& text, std::vector<NetUse>* routes, std::string* err) {
  routes->clear();
  std::istringstream in(text);
  std::string line;
  // The header names the columns; the kernel has printed the same eleven
  // since 2.2, so their places are fixed rather than looked up.
  if (!std::getline(in, line) || line.compare(0, 5, "Iface") != 0) {
    *err = "/proc/net/route: no header line";
    return false;
  }
  constexpr uint32_t kRtfUp = 0x0001;
  unsigned lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
    uint32_t dest_be = 0, mask_be = 0, flag_bits = 0;
    unsigned prefix = 0;
    if (!(fields >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask) ||
        !ParseHex32(dest, &dest_be) || !ParseHex32(mask, &mask_be) ||
        !ParseHex32(flags, &flag_bits) || !NetmaskPrefix(ntohl(mask_be), &prefix)) {
      *err = "/proc/net/route: line " + std::to_string(lineno) + " is malformed";
      return false;
    }
    if ((flag_bits & kRtfUp) == 0) continue;
    NetUse route;
    route.kind = NetUse::kRoute;
    // Unreachable and blackhole routes have no device; the kernel says "*".
    route.iface = iface == "*" ? "" : iface;
    // The kernel prints each address as the 32-bit number whose bytes, in
    // memory, are the address in network order.
    route.net.addr = ntohl(dest_be);
    route.net.prefix = prefix;
    routes->push_back(route);
  }
  return true;
}

const NetUse* FindOverlap(const Ipv4Net& wanted, const std::string& own_iface,
                          const std::vector<NetUse>& uses) {
  for (const NetUse& use : uses) {
    // What the interface itself has is what a new configuration replaces
    // (its address from an earlier run, the route the kernel made for it).
    if (!own_iface.empty() && use.iface == own_iface) continue;
    // The default route covers every address; a guest network taking part
    // of it is what every guest network does. A VPN that sends everything
    // its way installs the default route as two halves (0.0.0.0/1 and
    // 128.0.0.0/1, as OpenVPN's def1 and WireGuard's AllowedIPs do) so as
    // to win over the real one: those are a default route too, and no
    // net_base could move the plan out of them.
    if (use.kind == NetUse::kRoute && use.net.prefix <= 1) continue;
    if (NetsOverlap(wanted, use.net)) return &use;
  }
  return nullptr;
}

std::string DescribeNetUse(const NetUse& use) {
  if (use.kind == NetUse::kAddress)
    return "the address " + FormatNet(use.net, true) + " on " + use.iface;
  if (use.iface.empty()) return "the route to " + FormatNet(use.net) + " (without an interface)";
  return "the route to " + FormatNet(use.net) + " via " + use.iface;
}

bool ReadNetUses(std::vector<NetUse>* uses, std::string* err) {
  uses->clear();
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    *err = ErrnoMessage("getifaddrs");
    return false;
  }
  for (struct ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_INET ||
        ifa->ifa_netmask == nullptr)
      continue;
    NetUse use;
    use.kind = NetUse::kAddress;
    use.iface = ifa->ifa_name;
    use.net.addr =
        ntohl(reinterpret_cast<const struct sockaddr_in*>(ifa->ifa_addr)->sin_addr.s_addr);
    const uint32_t mask =
        ntohl(reinterpret_cast<const struct sockaddr_in*>(ifa->ifa_netmask)->sin_addr.s_addr);
    if (!NetmaskPrefix(mask, &use.net.prefix)) use.net.prefix = 32;
    uses->push_back(use);
  }
  freeifaddrs(list);
#ifdef __linux__
  // /proc/net is the reader's own network namespace's.
  FileCheck check;
  check.follow = true;  // /proc/net is a link to /proc/self/net
  check.regular = false;
  check.max_bytes = 4u << 20;
  std::string text;
  std::vector<NetUse> routes;
  if (!ReadFileText("/proc/net/route", check, &text, err) || !ParseProcNetRoute(text, &routes, err))
    return false;
  uses->insert(uses->end(), routes.begin(), routes.end());
#endif
  return true;
}

}  // namespace runall
