// ssh: the ssh command lines runall-os-test runs, and what their exit tells.
// Pure: builds argv vectors and reads results; the driver runs them.
//
// ssh never prompts (BatchMode) and never touches ~/.ssh/known_hosts: host
// keys go to runall's own file under the guest's hostname (HostKeyAlias),
// so a guest whose address changes between boots is still the same known
// host - the problem the article solved by editing known_hosts. A new guest
// is trusted on first use (accept-new); a changed key makes ssh fail, and
// runall reports it rather than trusting the new key.
#pragma once

#include <string>
#include <vector>

#include "log.hpp"  // ShellQuote

namespace runall {

struct SshConfig {
  std::string program = "ssh";
  std::string known_hosts;       ///< runall's known_hosts file (required)
  std::string identity;          ///< -i KEY; empty: ssh's own defaults
  std::string user;              ///< -l USER; empty: the same user as on the host
  unsigned connect_timeout = 5;  ///< seconds, per connection attempt
  unsigned alive_interval = 15;  ///< ServerAliveInterval, seconds
  unsigned alive_count = 4;      ///< ServerAliveCountMax
  /// The guest's control socket for connection sharing (ssh_mux.hpp);
  /// empty: none, ssh makes its own connection.
  std::string control_path;
  /// With control_path: true lets ssh become the master when none runs
  /// (ControlMaster=auto, the master then going into the background with
  /// ControlPersist); false makes it a session of the live master only
  /// (ControlMaster=no).
  bool control_master = true;
  /// Seconds an idle master outlives its last session. runall-os-test
  /// closes it when the guest's run ends; this only bounds the life of a
  /// master whose driver was killed before it could.
  unsigned control_persist = 30;
};

/// The known_hosts file runall uses when the settings name none.
std::string DefaultKnownHosts(const std::string& home);

/// Where ssh connects when runall knows better than ssh_config: a guest
/// on QEMU's user-mode network is a port of 127.0.0.1 that QEMU forwards.
struct SshRoute {
  std::string address;  ///< HostName
  std::string port;     ///< Port
};

/// The argv that runs `remote_command` (already quoted for the remote
/// shell) on `host`, stdin from /dev/null, no terminal. With `route`, ssh
/// connects there directly (no proxy of the user's ssh_config), still
/// knowing the guest as `host`: its host key stays filed under the guest's
/// name, whatever port it answers on this time.
std::vector<std::string> SshArgv(const SshConfig& config, const std::string& host,
                                 const std::string& remote_command,
                                 const SshRoute* route = nullptr);

/// The connection test: run in the login directory, prints the hostname.
extern const char kConnectionTestCommand[];

/// True if the connection test's output names `host` (trailing blanks and
/// line ends ignored, letter case too: hostnames are case-insensitive).
bool HostnameAnswers(const std::string& output, const std::string& host);

/// `cd RW_GUEST && COMMON_RO_GUEST/SCRIPT`, quoted for the remote shell.
std::string ScriptCommand(const std::string& rw_guest, const std::string& common_ro_guest,
                          const std::string& script_name);

/// The guest's shutdown command (a shell command line from the guest
/// config), detached on the guest so the ssh session ends at once: a
/// poweroff run in the foreground can leave ssh waiting for ever on a
/// connection that dies with the guest. It runs in a subshell of the
/// user's login shell (which keeps any function that shell defines, such as
/// the test guests' poweroff for ordinary users); the sleep lets ssh exit
/// first.
std::string ShutdownCommand(const std::string& guest_command);

/// What one ssh run came to.
enum class SshOutcome {
  kOk,              ///< exit 0
  kRemoteFailed,    ///< the remote command exited non-zero (*exit_code)
  kConnectFailed,   ///< ssh's own failure (exit 255 and ssh said why):
                    ///< unreachable, refused, authentication, connection lost
  kHostKeyChanged,  ///< exit 255 and ssh said the host key is not the known one
  kSignaled,        ///< ssh was killed by a signal
};

/// Classifies a wait() status of ssh with the tail of what it wrote to
/// stderr. *exit_code gets the exit status (or 128+signal). Exit 255 is
/// ssh's own failure only when the tail says so (MentionsSshFailure): a
/// remote command may exit 255 too.
SshOutcome ClassifySsh(int wait_status, const std::string& stderr_tail, int* exit_code);

/// True if ssh's stderr says the host key changed or failed verification.
bool MentionsHostKeyChange(const std::string& stderr_text);

/// True if ssh's stderr holds one of ssh's own failure messages (connect,
/// name resolution, key exchange, authentication, a lost connection).
bool MentionsSshFailure(const std::string& stderr_text);

/// The last line ssh's own failure left in `stderr_text` (for a report's
/// detail), or empty.
std::string SshFailureLine(const std::string& stderr_text);

/// Where ssh really connects for `host`, after the user's ssh_config.
struct SshEndpoint {
  std::string hostname;  ///< ssh_config's HostName, or the host itself
  std::string port = "22";
  bool proxied = false;  ///< a ProxyCommand or ProxyJump: no direct probe
};

/// The argv of `ssh -G` for `host` with the options of SshArgv: ssh prints
/// its resolved configuration and exits without connecting.
std::vector<std::string> SshDumpArgv(const SshConfig& config, const std::string& host);

/// Reads `ssh -G` output ("keyword value" lines, keywords in lower case).
/// False if it names no hostname.
bool ParseSshDump(const std::string& text, SshEndpoint* endpoint);

/// Milliseconds to wait before readiness probe number `attempt` (0, 1, ...):
/// 100 ms doubling to at most 2 s - quick for a guest that is nearly ready,
/// light on one that is not.
unsigned ProbeDelayMs(unsigned attempt);

}  // namespace runall
