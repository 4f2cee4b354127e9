// tcp_probe: is anything listening on a guest's ssh port? A non-blocking
// connect with a deadline, which answers in a millisecond for a guest that
// is up, and without spawning ssh (or waiting out ssh's one-second
// ConnectTimeout granularity) for one that is not. The connection is
// closed at once; nothing is sent.
#pragma once

#include <string>

namespace runall {

enum class TcpProbe {
  kOpen,         ///< a connection was accepted
  kRefused,      ///< the host answered that nothing listens there
  kUnreachable,  ///< no route, host unreachable, network down
  kNoAddress,    ///< the name does not resolve (yet)
  kTimedOut,     ///< no answer within the timeout
  kInterrupted,  ///< SIGINT/SIGTERM/SIGHUP arrived (interrupt.hpp)
};

/// Tries each address `host` resolves to (hosts file, DNS: the resolver
/// ssh uses too) on `port`, sharing one deadline of `timeout_ms`. *why gets
/// a short explanation for the log.
TcpProbe ProbeTcp(const std::string& host, const std::string& port, int timeout_ms,
                  std::string* why);

/// ProbeTcp, and then the first bytes the server sends must be an ssh
/// identification ("SSH-"), within the same deadline. For a port QEMU's
/// user-mode network forwards: QEMU accepts the connection whether or not
/// the guest's sshd listens, and closes it when the guest refuses, so only
/// the banner tells that sshd is there. kOpen with the banner; kRefused
/// when the connection ends before it or brings something else.
TcpProbe ProbeSshBanner(const std::string& host, const std::string& port, int timeout_ms,
                        std::string* why);

/// "open", "refused", ... for log lines.
const char* TcpProbeName(TcpProbe result);

}  // namespace runall
