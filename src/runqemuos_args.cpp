#include "runqemuos_args.hpp"

#include "fail.hpp"
#include "options.hpp"
#include "validate.hpp"

#ifndef RUNALL_SBINDIR
#define RUNALL_SBINDIR "/usr/local/sbin"
#endif

namespace runall {

const char kRunqemuosUsage[] =
    "usage: runqemuos [-b] [-o CONSOLE_LOG] [-C SETTINGS] [-i IMAGE]\n"
    "                 [-N NIC_MODEL [-M MAC] [-u [-p PORT]]] HOST HOSTNAMEDIR\n"
    "                 LAUNCHDIR [QEMU] QEMU-ARGS...\n"
    "Locks byte 0 of the disk image, writes HOST to HOSTNAMEDIR/<pid>.<random>\n"
    "and the pid to LAUNCHDIR/HOST, claims a tap (with -N) and runs\n"
    "start-tun-interface for it, then execs QEMU with that pid, lock and tap,\n"
    "a QMP monitor on LAUNCHDIR/.monitor-UID/HOST.qmp and, with -o, its serial\n"
    "console stamped into CONSOLE_LOG.\n"
    "  -b           background: QEMU in its own session, detached from the\n"
    "               terminal; prints its pid once it has started\n"
    "  -o LOG       append QEMU's serial console and output to LOG, each line\n"
    "               stamped with the seconds since QEMU started (with -b:\n"
    "               else /dev/null)\n"
    "  -C SETTINGS  settings file for start-tun-interface (root only)\n"
    "  -i IMAGE     the disk image to lock (default: found in QEMU-ARGS)\n"
    "  -N MODEL     claim a tap and add a MODEL network card on it; unless\n"
    "               root, only a tap owned by this user\n"
    "  -M MAC       that card's address (default: derived from HOST)\n"
    "  -u           user mode: the card on QEMU's own network instead of a\n"
    "               tap; port PORT (default: a free one) of 127.0.0.1\n"
    "               forwarded to the guest's port 22 and recorded, once QEMU\n"
    "               has it, in LAUNCHDIR/HOST:port (with -b); no tap, no\n"
    "               sudo, no privileged helper, no hostname file\n"
    "               (HOSTNAMEDIR is not used: give -)\n"
    "  -p PORT      with -u, forward this port instead of a free one\n"
    "QEMU is the program when the first word does not begin with '-',\n"
    "else qemu-system-x86_64. With -N and no -u, unless root, it runs\n"
    "  sudo -n " RUNALL_SBINDIR
    "/start-tun-interface TAP\n"
    "(see the sudoers drop-in in start-tun-interface(8)).\n"
    "Exit: 0 started (-b), 1 refused (no free tap, start-tun-interface\n"
    "failed, the -p port in use), 2 the disk image is in use, 100 bad usage\n"
    "or input, 111 system error.\n";

std::string MonitorDirectory(const std::string& launch_dir, uid_t uid) {
  return launch_dir + "/.monitor-" + std::to_string(uid);
}

std::string MonitorSocketPath(const std::string& launch_dir, const std::string& host, uid_t uid) {
  return MonitorDirectory(launch_dir, uid) + "/" + host + ".qmp";
}

bool ParseLaunchArgs(const std::vector<std::string>& args, LaunchRequest* req, std::string* err) {
  *req = LaunchRequest();
  // Options come before HOST; the first word that is not one is HOST, and
  // what follows it is QEMU's (a "-h" there is QEMU's too).
  OptionScanner opts(args);
  std::string port;
  while (opts.Next()) {
    if (opts.Flag("--help") || opts.Flag("-h")) {
      req->help = true;
      return true;
    }
    if (opts.Flag("-b"))
      req->background = true;
    else if (opts.Flag("-u"))
      req->user_net = true;
    else if (!opts.Value("-p", &port) && !opts.Value("-o", &req->console_log) &&
             !opts.Value("-C", &req->settings_path) && !opts.Value("-i", &req->image) &&
             !opts.Value("-N", &req->nic) && !opts.Value("-M", &req->mac))
      opts.Unknown();
  }
  if (!opts.ok()) return Fail(err, opts.error());
  const std::vector<std::string> operands = opts.Operands();
  if (operands.size() < 3) return Fail(err, "HOST, HOSTNAMEDIR and LAUNCHDIR are required");
  req->host = operands[0];
  req->hostname_dir = operands[1];
  req->launch_dir = operands[2];
  req->qemu_args.assign(operands.begin() + 3, operands.end());
  std::string why;
  if (!ValidHostname(req->host, &why)) {
    *err = "invalid hostname \"" + req->host + "\": " + why;
    return false;
  }
  if (!req->mac.empty() && req->nic.empty()) {
    *err = "-M needs -N (the MAC is the address of the card -N adds)";
    return false;
  }
  if (req->user_net && req->nic.empty())
    return Fail(err,
                "-u needs -N (the model of the card on the user-mode "
                "network)");
  if (!port.empty()) {
    unsigned long n = 0;
    if (!req->user_net)
      return Fail(err,
                  "-p needs -u (the port is forwarded by the user-mode "
                  "network)");
    if (!ParseUnsigned(port, 65535, &n) || n == 0)
      return Fail(err, "-p: bad port \"" + port + "\" (1 to 65535)");
    req->ssh_port = static_cast<unsigned>(n);
  }
  if (!req->nic.empty()) {
    if (!IsModelName(req->nic)) {
      *err = "-N: bad NIC model \"" + req->nic + "\"";
      return false;
    }
    if (req->mac.empty()) req->mac = MacForHostname(req->host);
    if (!ValidMac(req->mac)) {
      *err = "-M: bad MAC \"" + req->mac +
             "\" (six hex pairs joined by ':', "
             "unicast)";
      return false;
    }
  }
  return CheckQemuArgs(req->qemu_args, err);
}

std::vector<std::string> RunqemuosArgs(const GuestRecord& record, const QemuCommand& cmd,
                                       const Settings& settings) {
  std::vector<std::string> args = {"-i", cmd.image};
  if (!cmd.nic.empty()) args.insert(args.end(), {"-N", cmd.nic, "-M", cmd.mac});
  const bool user_net = !cmd.nic.empty() && cmd.user_net;
  if (user_net) {
    args.push_back("-u");
    if (cmd.ssh_port != 0) args.insert(args.end(), {"-p", std::to_string(cmd.ssh_port)});
  }
  // In user mode nobody looks for a hostname file: no directory for it.
  args.insert(args.end(), {record.hostname, user_net ? std::string("-") : settings.hostname_dir,
                           settings.launch_dir});
  args.insert(args.end(), cmd.argv.begin(), cmd.argv.end());
  return args;
}

}  // namespace runall
