#include "dhcpd_args.hpp"

#include "fail.hpp"
#include "options.hpp"
#include "validate.hpp"

namespace runall {

std::string DhcpdUsage() {
  return "usage: runall-dhcpd -i IFACE -s SERVER -c CLIENT [-m NETMASK]\n"
         "                    [-n HOSTNAME] [-d DOMAIN] [-l LEASE_SECONDS]\n"
         "                    [-D DNS]... [-r RESOLV_CONF]... [-q]\n"
         "Serves the one address CLIENT to the one guest on IFACE, in the\n"
         "foreground, until SIGTERM, SIGINT or SIGHUP or until IFACE goes "
         "away.\n"
         "Logs to syslog (runall-dhcpd, facility daemon) and, unless -q, to\n"
         "stderr. start-tun-interface runs it for each guest tap; see\n"
         "runall-dhcpd(8).\n";
}

namespace {

bool Address(char opt, const std::string& text, uint32_t* out, std::string* err) {
  std::string why;
  if (ParseIPv4(text, out, &why)) return true;
  *err = std::string("-") + opt + " " + text + ": " + why;
  return false;
}

}  // namespace

bool ParseDhcpdArgs(const std::vector<std::string>& args, DhcpdArgs* out, std::string* err) {
  *out = DhcpdArgs();
  DhcpConfig& cfg = out->cfg;
  cfg.netmask = 0xffffff00u;
  cfg.log_to_stderr = true;
  if (AsksForHelp(args)) {
    out->help = true;
    return true;
  }
  // Every option but -D and -r may be given once: a second -s is a
  // mistake, not an override, in a command line another program builds.
  OptionScanner opts(args, {"-D", "-r"});
  std::string seen;
  while (opts.Next()) {
    std::string value;
    if (opts.Flag("-q")) {
      cfg.log_to_stderr = false;
      continue;
    }
    char opt = 0;
    for (char c : std::string("iscmndlDr"))
      if (opts.Value(std::string("-") + c, &value)) {
        opt = c;
        break;
      }
    if (opt == 0) {
      opts.Unknown();
      continue;
    }
    if (!opts.ok()) break;
    seen += opt;
    switch (opt) {
      case 'i': cfg.interface = value; break;
      case 's':
        if (!Address(opt, value, &cfg.server, err)) return false;
        break;
      case 'c':
        if (!Address(opt, value, &cfg.client, err)) return false;
        break;
      case 'm':
        if (!Address(opt, value, &cfg.netmask, err)) return false;
        break;
      case 'n': cfg.hostname = value; break;
      case 'd': cfg.domain = value; break;
      case 'l': {
        unsigned long v = 0;
        if (!ParseUnsigned(value, 0xffffffffu, &v)) {
          *err = "-l " + value + ": not a number of seconds";
          return false;
        }
        cfg.lease_time = static_cast<unsigned>(v);
        break;
      }
      case 'D': {
        uint32_t dns = 0;
        if (!Address(opt, value, &dns, err)) return false;
        cfg.dns.push_back(dns);
        break;
      }
      case 'r': out->resolv_files.push_back(value); break;
    }
  }
  if (!opts.ok()) return Fail(err, opts.error());
  const std::vector<std::string> operands = opts.Operands();
  if (!operands.empty()) return Fail(err, "unexpected argument: " + operands[0]);
  for (char need : {'i', 's', 'c'}) {
    if (seen.find(need) == std::string::npos) {
      *err = std::string("-") + need + " is required";
      return false;
    }
  }
  return true;
}

std::vector<std::string> DhcpdArgv(const DhcpConfig& cfg) {
  std::vector<std::string> argv = {
      "-q",
      "-i",
      cfg.interface,
      "-s",
      FormatIPv4(cfg.server),
      "-c",
      FormatIPv4(cfg.client),
      "-m",
      FormatIPv4(cfg.netmask),
      "-l",
      std::to_string(cfg.lease_time),
  };
  for (uint32_t dns : cfg.dns) {
    argv.push_back("-D");
    argv.push_back(FormatIPv4(dns));
  }
  if (!cfg.domain.empty()) {
    argv.push_back("-d");
    argv.push_back(cfg.domain);
  }
  if (!cfg.hostname.empty()) {
    argv.push_back("-n");
    argv.push_back(cfg.hostname);
  }
  return argv;
}

}  // namespace runall
