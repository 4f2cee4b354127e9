// tun: TUN/TAP devices and interface addresses, through ioctls and one
// rtnetlink request (no `ip` or `ifconfig` subprocess). Linux-specific; the
// only module that knows /dev/net/tun, /sys/class/net and rtnetlink.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace runall {

/// A tap or tun device as the kernel describes it in /sys/class/net.
struct TapInfo {
  std::string name;
  bool tap = false;         ///< IFF_TAP (else IFF_TUN)
  bool persistent = false;  ///< IFF_PERSIST: outlives its last fd
  long owner = -1;          ///< uid allowed to attach, -1 for any
  long group = -1;          ///< gid allowed to attach, -1 for any
};

/// Every tun/tap device in this network namespace, sorted by name.
std::vector<TapInfo> ListTaps();

/// Reads one device's TapInfo; false if `name` is not a tun/tap device of
/// this network namespace (also when /sys, mounted for another namespace,
/// describes a device of another index under that name).
bool ReadTapInfo(const std::string& name, TapInfo* info);

/// True if `uid` (with `groups`) may attach to the device without privilege,
/// by the kernel's rule: the owner matches, or the group is one of ours,
/// or neither is set.
bool MayAttach(const TapInfo& info, uid_t uid, const std::vector<gid_t>& groups);

/// Creates the persistent tap `name` that `owner` may attach (TUNSETIFF,
/// TUNSETOWNER, TUNSETPERSIST). Fails with EEXIST if the name is taken.
bool CreatePersistentTap(const std::string& name, uid_t owner, std::string* err);

/// Clears TUNSETPERSIST on `name`, so the device goes away once nobody has it
/// open.
bool DeletePersistentTap(const std::string& name, std::string* err);

/// Attaches to tap `name` and returns the open fd, or -1 with *err and
/// *errnum set. With `must_exist` a missing device is an error (ENODEV)
/// rather than created. A persistent tap already attached by another process
/// gives EBUSY, which is what makes claiming a tap atomic. The fd is
/// close-on-exec unless `inheritable`.
int AttachTap(const std::string& name, bool must_exist, bool inheritable, std::string* err,
              int* errnum);

/// Gives `name` the address `addr` with `netmask` in one request (never
/// for a moment with another mask), in place of its first address if that
/// is another, then brings it up.
bool ConfigureInterface(const std::string& name, uint32_t addr, uint32_t netmask, std::string* err);

/// Removes exactly the address `addr`/`prefix` from `name`, leaving its
/// other addresses alone. *removed is false when it had no such address.
bool RemoveInterfaceAddress(const std::string& name, uint32_t addr, unsigned prefix, bool* removed,
                            std::string* err);

/// Reads back what ConfigureInterface set (addresses in host byte order).
bool ReadInterface(const std::string& name, uint32_t* addr, uint32_t* netmask, bool* up,
                   std::string* err);

/// True if an interface of that name exists in this network namespace.
bool InterfaceExists(const std::string& name);

}  // namespace runall
