// proc: facts about other processes - parent, owner, executable, sockets.
// On Linux from /proc; elsewhere the parent and owner come from ps(1) and the
// rest is unavailable. The only module that reads /proc.
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <string>
#include <vector>

namespace runall {

/// Parses the text of /proc/PID/stat for the parent pid. The command name in
/// it may hold spaces and ')', so the fields are read after the LAST ')'.
bool ParseStatParent(const std::string& stat, pid_t* ppid);

/// Parses the text of /proc/PID/status for the real and effective uid.
bool ParseStatusUids(const std::string& status, uid_t* real, uid_t* effective);

/// The inodes of the sockets in the text of /proc/net/udp whose local port
/// is `port` (any address).
std::vector<unsigned long> ParseUdpSocketInodes(const std::string& table, uint16_t port);

/// The inodes of every socket in the text of /proc/net/packet.
std::vector<unsigned long> ParsePacketSocketInodes(const std::string& table);

/// Parses the text of /proc/PID/stat for the command name (between the
/// first '(' and the last ')') and the start time (field 22, in clock ticks
/// after boot).
bool ParseStatStart(const std::string& stat, std::string* comm, unsigned long long* start_ticks);

/// Parses the text of /proc/PID/stat for the state letter (field 3: R, S,
/// D, Z, ...).
bool ParseStatState(const std::string& stat, char* state);

/// The kernel's command name of `pid` and, on Linux, when it started
/// (CLOCK_REALTIME, to the clock tick; *start_known false elsewhere, where
/// ps(1) gives the name only). False (with *err) if the process is gone -
/// also when it has exited and only waits to be reaped (a zombie, which a
/// QEMU reparented to a slow init can stay for a while).
bool ProcessStart(pid_t pid, std::string* comm, struct timespec* start, bool* start_known,
                  std::string* err);

/// The parent of `pid`; false (with *err) if it is gone or unreadable.
bool ParentPid(pid_t pid, pid_t* ppid, std::string* err);

/// The real and effective uid of `pid`.
bool ProcessUids(pid_t pid, uid_t* real, uid_t* effective, std::string* err);

/// The path of the program `pid` runs, as the kernel resolved it (with the
/// kernel's " (deleted)" suffix if the file was replaced since). Linux only.
bool ProcessExe(pid_t pid, std::string* path, std::string* err);

/// True if `exe` (as ProcessExe gives it) is the program at `path`, also
/// when that file was replaced after the process started (an upgrade).
bool SameProgram(const std::string& exe, const std::string& path);

/// The path of this process's own program.
bool SelfExe(std::string* path, std::string* err);

/// The network namespace `pid` (0: this process) lives in, as a name safe
/// for a file: "net-" and the namespace's inode number (from
/// /proc/PID/ns/net). A namespace keeps its inode for as long as any process
/// or mount holds it, so two live namespaces never share a name; elsewhere
/// than Linux there is one namespace, "net-default".
bool NetNamespaceName(pid_t pid, std::string* name, std::string* err);

/// Parses the target of a /proc/PID/ns/net link ("net:[4026531840]") into
/// NetNamespaceName's form.
bool ParseNetNamespaceLink(const std::string& link, std::string* name);

/// The fds this process has open (from /proc/self/fd). Linux only.
bool OwnOpenFds(std::vector<int>* fds, std::string* err);

/// True (in *bound) if `pid` holds a UDP socket on local `port` or any
/// packet socket in this network namespace - what a DHCP server needs before
/// it can answer. Linux only.
bool ProcessHasDhcpSocket(pid_t pid, uint16_t port, bool* bound, std::string* err);

}  // namespace runall
