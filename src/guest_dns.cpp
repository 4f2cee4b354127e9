#include "guest_dns.hpp"

#include <algorithm>

#include "file_io.hpp"
#include "validate.hpp"

namespace runall {

namespace {

bool Loopback(uint32_t a) { return (a >> 24) == 127 || (a >> 24) == 0; }

std::string List(const std::vector<uint32_t>& addrs) {
  std::string s;
  for (uint32_t a : addrs) s += (s.empty() ? "" : " ") + FormatIPv4(a);
  return s;
}

}  // namespace

GuestDns ChooseGuestDns(const GuestDnsFacts& f) {
  GuestDns out;
  std::vector<uint32_t> loopback, unreachable;
  const std::vector<uint32_t>& candidates = f.setting_given ? f.configured : f.resolv_conf;
  for (uint32_t a : candidates) {
    if (Loopback(a)) {
      loopback.push_back(a);
      continue;
    }
    const bool own =
        std::find(f.host_addresses.begin(), f.host_addresses.end(), a) != f.host_addresses.end();
    if (!f.setting_given && !f.host_forwards && !own) {
      unreachable.push_back(a);
      continue;
    }
    if (std::find(out.servers.begin(), out.servers.end(), a) == out.servers.end())
      out.servers.push_back(a);
  }
  const std::string source = f.setting_given ? "the dns setting" : "/etc/resolv.conf";
  if (!loopback.empty())
    out.note = "left out " + List(loopback) + " of " + source +
               ": a loopback address is the guest itself there";
  if (!unreachable.empty())
    out.note += std::string(out.note.empty() ? "" : "; ") + "left out " + List(unreachable) +
                " of " + source +
                ": the host does not forward the guest's packets "
                "(net.ipv4.ip_forward = 0), so they are out of its reach";
  // resolv.conf's loopback servers never reach this list (the parser drops
  // them), so a host with only systemd's stub shows here as none at all.
  if (!f.setting_given && f.resolv_conf.empty())
    out.note =
        "/etc/resolv.conf names no resolver but loopback ones (such "
        "as systemd-resolved's 127.0.0.53), which are the guest "
        "itself there";
  if (!out.note.empty() && out.servers.empty())
    out.note +=
        "; the guest is offered no DNS server (set dns in "
        "runall.conf to offer one it can reach)";
  return out;
}

bool HostForwardsIpv4() {
#ifdef __linux__
  FileCheck check;
  check.follow = true;
  check.max_bytes = 16;
  std::string text, err;
  if (!ReadFileText("/proc/sys/net/ipv4/ip_forward", check, &text, &err)) return false;
  return !text.empty() && text[0] == '1';
#else
  return false;
#endif
}

}  // namespace runall
