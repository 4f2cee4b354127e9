// runall-dhcpd: the embedded DHCP server for one guest interface, as a
// program of its own. start-tun-interface forks a detached child, locks the
// interface's pid file in it and execs this program there, so what stays
// resident for as long as the guest runs is a small static image rather
// than a copy of start-tun-interface with every page it touched (2.0 MB
// VmRSS forked, under 1 MiB exec'd; bench/dhcp prints it). Run by hand it
// serves in the foreground. See runall-dhcpd(8).
#include <stdio.h>

#include <string>
#include <vector>

#include "dhcp_daemon.hpp"
#include "dhcpd_args.hpp"
#include "fail.hpp"

using namespace runall;

int main(int argc, char** argv) {
  SetProgramName(argv[0]);
  DhcpdArgs args;
  std::string err;
  if (!ParseDhcpdArgs(std::vector<std::string>(argv + 1, argv + argc), &args, &err)) {
    Warn(err);
    Fatal(kExitUsage, "usage: see runall-dhcpd --help");
  }
  if (args.help) {
    fputs(DhcpdUsage().c_str(), stdout);
    return kExitOk;
  }
  for (const std::string& path : args.resolv_files)
    if (!ReadNameservers(path, &args.cfg.dns, &err)) Fatal(kExitUsage, err);
  // Said here, on stderr, before the server's own check sends it to syslog.
  if (!ValidDhcpConfig(args.cfg, &err))
    Fatal(kExitUsage, args.cfg.interface + ": invalid configuration: " + err);
  return RunDhcpDaemon(args.cfg);
}
