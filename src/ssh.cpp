#include "ssh.hpp"

#include <ctype.h>
#include <strings.h>
#include <sys/wait.h>

namespace runall {

const char kConnectionTestCommand[] = "./hostname";

std::string DefaultKnownHosts(const std::string& home) { return home + "/.ssh/runall_known_hosts"; }

std::vector<std::string> SshArgv(const SshConfig& c, const std::string& host,
                                 const std::string& remote_command, const SshRoute* route) {
  std::vector<std::string> argv = {c.program};
  auto opt = [&argv](const std::string& o) {
    argv.push_back("-o");
    argv.push_back(o);
  };
  // Never ask for a password or a host key confirmation: there is nobody to
  // answer when -j runs several guests, or in CI.
  opt("BatchMode=yes");
  opt("ConnectTimeout=" + std::to_string(c.connect_timeout));
  // Keys are filed under the hostname, in runall's file only; the system's
  // file is ignored so an entry there cannot contradict ours.
  opt("HostKeyAlias=" + host);
  opt("UserKnownHostsFile=" + c.known_hosts);
  opt("GlobalKnownHostsFile=/dev/null");
  opt("StrictHostKeyChecking=accept-new");
  opt("CheckHostIP=no");
  opt("UpdateHostKeys=no");
  opt("ServerAliveInterval=" + std::to_string(c.alive_interval));
  opt("ServerAliveCountMax=" + std::to_string(c.alive_count));
  opt("LogLevel=ERROR");
  if (route != nullptr) {
    // Options given on the command line win over ssh_config's, so a Host
    // block for the guest's name keeps its User or IdentityFile but cannot
    // send ssh elsewhere.
    opt("HostName=" + route->address);
    opt("Port=" + route->port);
    opt("ProxyCommand=none");
    opt("ProxyJump=none");
  }
  if (!c.control_path.empty()) {
    // auto, not an explicit `ssh -M -N -f` first: the first ssh that
    // reaches the guest (the connection test) becomes the master with no
    // extra process and no extra round trip, and ssh itself makes a new
    // one when the socket is gone or dead. ControlPersist sends the master
    // into the background (in a session of its own, so a ^C on the
    // terminal never reaches it) once it has authenticated.
    opt(c.control_master ? "ControlMaster=auto" : "ControlMaster=no");
    opt("ControlPath=" + c.control_path);
    if (c.control_master) opt("ControlPersist=" + std::to_string(c.control_persist));
  }
  if (!c.identity.empty()) {
    argv.push_back("-i");
    argv.push_back(c.identity);
    opt("IdentitiesOnly=yes");
  }
  if (!c.user.empty()) {
    argv.push_back("-l");
    argv.push_back(c.user);
  }
  // No terminal, no escape character, stdin from /dev/null: the script's
  // output is a plain stream, and parallel runs never fight over stdin.
  argv.push_back("-T");
  argv.push_back("-n");
  argv.push_back("-e");
  argv.push_back("none");
  argv.push_back("--");
  argv.push_back(host);
  argv.push_back(remote_command);
  return argv;
}

bool HostnameAnswers(const std::string& output, const std::string& host) {
  std::string s = output;
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  if (s.empty() || host.empty() || s.size() != host.size()) return false;
  return strncasecmp(s.c_str(), host.c_str(), s.size()) == 0;
}

std::string ScriptCommand(const std::string& rw_guest, const std::string& common_ro_guest,
                          const std::string& script_name) {
  std::string dir = common_ro_guest;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "cd " + ShellQuote(rw_guest) + " && " + ShellQuote(dir + "/" + script_name);
}

std::string ShutdownCommand(const std::string& guest_command) {
  // Redirected, so the session has no descriptor left open once the shell
  // exits; not under nohup: a session without a terminal sends no SIGHUP.
  return "(sleep 1; " + guest_command + ") </dev/null >/dev/null 2>&1 &";
}

bool MentionsHostKeyChange(const std::string& text) {
  return text.find("REMOTE HOST IDENTIFICATION HAS CHANGED") != std::string::npos ||
         text.find("Host key verification failed") != std::string::npos;
}

namespace {

// What ssh (OpenSSH, at LogLevel=ERROR) prints when it fails on its own
// account, as opposed to the remote command's output.
const char* const kSshFailures[] = {
    "ssh: connect to host ",
    "ssh: Could not resolve hostname ",
    "kex_exchange_identification: ",
    "Connection closed by ",
    "Connection reset by ",
    "Connection timed out during banner exchange",
    ": Permission denied (",
    "Host key verification failed",
    "REMOTE HOST IDENTIFICATION HAS CHANGED",
    "Timeout, server ",
    "client_loop: send disconnect: ",
    " closed by remote host.",
    "Too many authentication failures",
    "Load key ",
};

}  // namespace

bool MentionsSshFailure(const std::string& text) {
  for (const char* m : kSshFailures)
    if (text.find(m) != std::string::npos) return true;
  return false;
}

std::string SshFailureLine(const std::string& text) {
  std::string found;
  size_t b = 0;
  while (b < text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string line = text.substr(b, e - b);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (MentionsSshFailure(line)) found = line;
    b = e + 1;
  }
  return found;
}

SshOutcome ClassifySsh(int status, const std::string& stderr_tail, int* exit_code) {
  if (WIFSIGNALED(status)) {
    *exit_code = 128 + WTERMSIG(status);
    return SshOutcome::kSignaled;
  }
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
  if (*exit_code == 0) return SshOutcome::kOk;
  if (*exit_code != 255) return SshOutcome::kRemoteFailed;
  if (MentionsHostKeyChange(stderr_tail)) return SshOutcome::kHostKeyChanged;
  return MentionsSshFailure(stderr_tail) ? SshOutcome::kConnectFailed : SshOutcome::kRemoteFailed;
}

std::vector<std::string> SshDumpArgv(const SshConfig& config, const std::string& host) {
  // The same options as a real run, so that the answer is the one a real
  // run would act on; the remote command is dropped.
  std::vector<std::string> argv = SshArgv(config, host, "true");
  argv.pop_back();
  argv.insert(argv.begin() + 1, "-G");
  return argv;
}

bool ParseSshDump(const std::string& text, SshEndpoint* endpoint) {
  SshEndpoint ep;
  bool have_host = false;
  size_t b = 0;
  while (b < text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string line = text.substr(b, e - b);
    b = e + 1;
    size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string key = line.substr(0, sp), value = line.substr(sp + 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (key == "hostname" && !value.empty()) {
      ep.hostname = value;
      have_host = true;
    } else if (key == "port" && !value.empty()) {
      ep.port = value;
    } else if ((key == "proxycommand" || key == "proxyjump") && !value.empty() && value != "none") {
      ep.proxied = true;
    }
  }
  if (!have_host) return false;
  *endpoint = ep;
  return true;
}

unsigned ProbeDelayMs(unsigned attempt) {
  unsigned ms = 100;
  for (unsigned i = 0; i < attempt && ms < 2000; ++i) ms *= 2;
  return ms < 2000 ? ms : 2000;
}

}  // namespace runall
