// dhcpd_harness: runs the embedded DHCP server in the foreground, with its
// configuration from the command line, for the root tests and benchmarks
// (start-tun-interface is what runs it for real, detached).
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "dhcp_daemon.hpp"
#include "dhcp_server.hpp"
#include "fail.hpp"
#include "validate.hpp"

using namespace runall;

namespace {

const char kUsage[] =
    "usage: dhcpd_harness -i IFACE -s SERVER -c CLIENT [-m NETMASK]\n"
    "                     [-n HOSTNAME] [-d DOMAIN] [-l LEASE_SECONDS]\n"
    "                     [-D DNS]... [-r RESOLV_CONF] [-q]\n"
    "Serves one DHCP client on IFACE until SIGTERM or until IFACE goes away.\n"
    "Logs go to syslog and, unless -q, to stderr.\n";

uint32_t Address(const char* what, const char* text) {
  uint32_t a = 0;
  std::string why;
  if (!ParseIPv4(text, &a, &why)) Fatal(kExitUsage, std::string(what) + ": " + why);
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  DhcpConfig cfg;
  cfg.netmask = 0xffffff00u;
  cfg.log_to_stderr = true;
  int opt;
  while ((opt = getopt(argc, argv, "i:s:c:m:n:d:l:D:r:qh")) != -1) {
    switch (opt) {
      case 'i': cfg.interface = optarg; break;
      case 's': cfg.server = Address("server", optarg); break;
      case 'c': cfg.client = Address("client", optarg); break;
      case 'm': cfg.netmask = Address("netmask", optarg); break;
      case 'n': cfg.hostname = optarg; break;
      case 'd': cfg.domain = optarg; break;
      case 'l': {
        unsigned long v = 0;
        if (!ParseUnsigned(optarg, 0xffffffffu, &v))
          Fatal(kExitUsage, std::string("lease: not a number: ") + optarg);
        cfg.lease_time = static_cast<unsigned>(v);
        break;
      }
      case 'D': cfg.dns.push_back(Address("dns", optarg)); break;
      case 'r': {
        std::ifstream in(optarg);
        if (!in) Fatal(kExitUsage, std::string(optarg) + ": cannot read");
        std::stringstream text;
        text << in.rdbuf();
        for (uint32_t a : NameserversFromResolvConf(text.str())) cfg.dns.push_back(a);
        break;
      }
      case 'q': cfg.log_to_stderr = false; break;
      case 'h': fputs(kUsage, stdout); return 0;
      default: fputs(kUsage, stderr); return kExitUsage;
    }
  }
  if (optind != argc || cfg.interface.empty()) {
    fputs(kUsage, stderr);
    return kExitUsage;
  }
  return RunDhcpDaemon(cfg);
}
