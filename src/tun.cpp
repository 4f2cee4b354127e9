#include "tun.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#ifdef __linux__
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

#include "fail.hpp"
#include "file_io.hpp"
#include "validate.hpp"

namespace runall {

namespace {

bool ReadSmallFile(const std::string& path, std::string* out) {
  FileCheck check;
  check.max_bytes = 64;
  std::string err;
  if (!ReadFileText(path, check, out, &err)) return false;
  while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  return true;
}

bool FillIfreq(const std::string& name, struct ifreq* ifr, std::string* err) {
  memset(ifr, 0, sizeof *ifr);
  if (name.empty() || name.size() >= IFNAMSIZ) {
    *err = name + ": bad interface name";
    return false;
  }
  memcpy(ifr->ifr_name, name.data(), name.size());
  return true;
}

uint32_t GetAddr(const struct sockaddr* sa) {
  struct sockaddr_in sin;
  memcpy(&sin, sa, sizeof sin);
  return ntohl(sin.sin_addr.s_addr);
}

#ifdef __linux__
// Opens /dev/net/tun bound to `name`. Returns the fd or -1 with errno set.
int OpenTunDevice(const std::string& name, int flags, bool cloexec) {
  int fd = open("/dev/net/tun", O_RDWR | (cloexec ? O_CLOEXEC : 0));
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof ifr.ifr_name - 1));
  ifr.ifr_flags = static_cast<short>(flags);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}
#endif

// Sends one rtnetlink request about the IPv4 address `addr`/`prefix` of
// `name` (RTM_NEWADDR or RTM_DELADDR) and gives the kernel's answer in
// *code (0 or an errno). False with *err if it could not be asked.
bool AddressRequest(const std::string& name, unsigned short type, unsigned short flags,
                    uint32_t addr, unsigned prefix, int* code, std::string* err) {
#ifdef __linux__
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) {
    *err = ErrnoMessage(name);
    return false;
  }
  struct {
    struct nlmsghdr header;
    struct ifaddrmsg ifa;
    char attrs[3 * RTA_SPACE(sizeof(uint32_t))];
  } req;
  memset(&req, 0, sizeof req);
  req.header.nlmsg_type = type;
  req.header.nlmsg_flags = static_cast<unsigned short>(NLM_F_REQUEST | NLM_F_ACK | flags);
  req.header.nlmsg_seq = 1;
  req.ifa.ifa_family = AF_INET;
  req.ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
  req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  req.ifa.ifa_index = index;
  const uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  size_t len = NLMSG_LENGTH(sizeof req.ifa);
  auto put = [&](unsigned short attr, uint32_t value) {
    const uint32_t net_value = htonl(value);
    struct rtattr* rta =
        reinterpret_cast<struct rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(len));
    rta->rta_type = attr;
    rta->rta_len = RTA_LENGTH(sizeof net_value);
    memcpy(RTA_DATA(rta), &net_value, sizeof net_value);
    len = NLMSG_ALIGN(len) + RTA_SPACE(sizeof net_value);
  };
  put(IFA_LOCAL, addr);
  put(IFA_ADDRESS, addr);
  if (type == RTM_NEWADDR && prefix < 31) put(IFA_BROADCAST, addr | ~mask);
  req.header.nlmsg_len = static_cast<uint32_t>(len);
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) {
    *err = ErrnoMessage("netlink socket");
    return false;
  }
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  bool ok = false;
  const char* what = type == RTM_NEWADDR ? "RTM_NEWADDR" : "RTM_DELADDR";
  if (sendto(sock, &req, len, 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof kernel) !=
      static_cast<ssize_t>(len)) {
    *err = ErrnoMessage(name + ": " + what);
  } else {
    char reply[1024];
    ssize_t n;
    do {
      n = recv(sock, reply, sizeof reply, 0);
    } while (n < 0 && errno == EINTR);
    const struct nlmsghdr* h = reinterpret_cast<const struct nlmsghdr*>(reply);
    if (n < 0) {
      *err = ErrnoMessage(name + ": " + what + " reply");
    } else if (!NLMSG_OK(h, static_cast<unsigned>(n)) || h->nlmsg_type != NLMSG_ERROR ||
               h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
      *err = name + ": " + what + ": unexpected reply";
    } else {
      *code = -static_cast<const struct nlmsgerr*>(NLMSG_DATA(h))->error;
      ok = true;
    }
  }
  close(sock);
  return ok;
#else
  (void)type;
  (void)flags;
  (void)addr;
  (void)prefix;
  (void)code;
  *err = name + ": changing addresses is only supported on Linux";
  return false;
#endif
}

}  // namespace

bool ReadTapInfo(const std::string& name, TapInfo* info) {
#ifdef __linux__
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') return false;
  const std::string dir = "/sys/class/net/" + name + "/";
  std::string flags_text, owner_text, group_text, index_text;
  if (!ReadSmallFile(dir + "tun_flags", &flags_text)) return false;
  // /sys shows the network namespace it was mounted in, which need not be
  // ours (`unshare -n` without a new mount of /sys): the device it
  // describes must be the one our namespace knows by that name.
  if (!ReadSmallFile(dir + "ifindex", &index_text) ||
      strtoul(index_text.c_str(), nullptr, 10) != if_nametoindex(name.c_str()))
    return false;
  unsigned long flags = strtoul(flags_text.c_str(), nullptr, 16);
  info->name = name;
  info->tap = (flags & IFF_TAP) != 0;
  info->persistent = (flags & IFF_PERSIST) != 0;
  info->owner =
      ReadSmallFile(dir + "owner", &owner_text) ? strtol(owner_text.c_str(), nullptr, 10) : -1;
  info->group =
      ReadSmallFile(dir + "group", &group_text) ? strtol(group_text.c_str(), nullptr, 10) : -1;
  return true;
#else
  (void)name;
  (void)info;
  return false;
#endif
}

std::vector<TapInfo> ListTaps() {
  std::vector<TapInfo> taps;
  DIR* dir = opendir("/sys/class/net");
  if (dir == nullptr) return taps;
  while (struct dirent* entry = readdir(dir)) {
    TapInfo info;
    if (entry->d_name[0] != '.' && ReadTapInfo(entry->d_name, &info)) taps.push_back(info);
  }
  closedir(dir);
  std::sort(taps.begin(), taps.end(),
            [](const TapInfo& a, const TapInfo& b) { return a.name < b.name; });
  return taps;
}

bool MayAttach(const TapInfo& info, uid_t uid, const std::vector<gid_t>& groups) {
  // The kernel refuses an unprivileged attach when an owner is set and is not
  // us, or when a group is set and is not one of ours.
  if (info.owner != -1 && static_cast<uid_t>(info.owner) != uid) return false;
  if (info.group != -1 &&
      std::find(groups.begin(), groups.end(), static_cast<gid_t>(info.group)) == groups.end())
    return false;
  return true;
}

bool CreatePersistentTap(const std::string& name, uid_t owner, std::string* err) {
#ifdef __linux__
  if (InterfaceExists(name)) {
    *err = name + ": interface already exists";
    errno = EEXIST;
    return false;
  }
  // IFF_TUN_EXCL makes the create fail rather than attach if another
  // process created the same name between our check and this call.
  int fd = OpenTunDevice(name, IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL, true);
  if (fd < 0) {
    *err = ErrnoMessage(name + ": cannot create tap");
    return false;
  }
  if (ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(owner)) != 0 ||
      ioctl(fd, TUNSETPERSIST, 1UL) != 0) {
    *err = ErrnoMessage(name + ": cannot make tap persistent");
    close(fd);
    return false;
  }
  close(fd);
  return true;
#else
  (void)name;
  (void)owner;
  *err = "persistent taps are only supported on Linux";
  return false;
#endif
}

bool DeletePersistentTap(const std::string& name, std::string* err) {
#ifdef __linux__
  int fd = OpenTunDevice(name, IFF_TAP | IFF_NO_PI, true);
  if (fd < 0) {
    *err = ErrnoMessage(name + ": cannot attach to remove it");
    return false;
  }
  if (ioctl(fd, TUNSETPERSIST, 0UL) != 0) {
    *err = ErrnoMessage(name + ": cannot clear persistence");
    close(fd);
    return false;
  }
  close(fd);
  return true;
#else
  (void)name;
  *err = "persistent taps are only supported on Linux";
  return false;
#endif
}

int AttachTap(const std::string& name, bool must_exist, bool inheritable, std::string* err,
              int* errnum) {
#ifdef __linux__
  if (must_exist && !InterfaceExists(name)) {
    *err = name + ": no such interface";
    *errnum = ENODEV;
    return -1;
  }
  int fd = OpenTunDevice(name, IFF_TAP | IFF_NO_PI, !inheritable);
  if (fd < 0) {
    *errnum = errno;
    // The tap's owner is not the only rule: an unprivileged user must be
    // able to open the clone device at all, and some systems make it 0600.
    if (*errnum == EACCES && access("/dev/net/tun", R_OK | W_OK) != 0)
      *err = name + ": cannot attach: /dev/net/tun: " + strerror(*errnum) +
             " (this user must be able to open it; it is mode 0666 on most "
             "systems)";
    else
      *err = ErrnoMessage(name + ": cannot attach", *errnum);
    return -1;
  }
  return fd;
#else
  (void)must_exist;
  (void)inheritable;
  *errnum = ENOSYS;
  *err = name + ": taps are only supported on Linux";
  return -1;
#endif
}

bool ConfigureInterface(const std::string& name, uint32_t addr, uint32_t netmask,
                        std::string* err) {
  struct ifreq ifr;
  if (!FillIfreq(name, &ifr, err)) return false;
  unsigned prefix = 0;
  while (prefix < 32 && (netmask & (0x80000000u >> prefix)) != 0) ++prefix;
  // As SIOCSIFADDR did, the interface's first address gives way to ours;
  // its others stay.
  uint32_t old_addr = 0, old_mask = 0;
  bool up = false, removed = false;
  std::string ignored;
  if (ReadInterface(name, &old_addr, &old_mask, &up, &ignored) &&
      (old_addr != addr || old_mask != netmask)) {
    unsigned old_prefix = 0;
    while (old_prefix < 32 && (old_mask & (0x80000000u >> old_prefix)) != 0) ++old_prefix;
    if (!RemoveInterfaceAddress(name, old_addr, old_prefix, &removed, err)) return false;
  }
  // Address and prefix in one request: SIOCSIFADDR followed by
  // SIOCSIFNETMASK gave the interface its class's mask (a /16 for 172.20)
  // in between, with a route to match, which took a neighbouring tap's
  // network for that moment and showed another run an overlap.
  int code = 0;
  if (!AddressRequest(name, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, addr, prefix, &code, err))
    return false;
  if (code != 0) {
    *err = ErrnoMessage(name + ": cannot set address", code);
    return false;
  }
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *err = ErrnoMessage("socket");
    return false;
  }
  bool ok = false;
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
    *err = ErrnoMessage(name + ": cannot read flags");
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)
      *err = ErrnoMessage(name + ": cannot bring up");
    else
      ok = true;
  }
  close(sock);
  return ok;
}

bool RemoveInterfaceAddress(const std::string& name, uint32_t addr, unsigned prefix, bool* removed,
                            std::string* err) {
  *removed = false;
  int code = 0;
  if (!AddressRequest(name, RTM_DELADDR, 0, addr, prefix, &code, err)) return false;
  if (code == 0) {
    *removed = true;
    return true;
  }
  if (code == EADDRNOTAVAIL) return true;  // it did not have that address
  *err = ErrnoMessage(name + ": cannot remove " + FormatIPv4(addr) + "/" + std::to_string(prefix),
                      code);
  return false;
}

bool ReadInterface(const std::string& name, uint32_t* addr, uint32_t* netmask, bool* up,
                   std::string* err) {
  struct ifreq ifr;
  if (!FillIfreq(name, &ifr, err)) return false;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *err = ErrnoMessage("socket");
    return false;
  }
  bool ok = false;
  if (ioctl(sock, SIOCGIFADDR, &ifr) != 0) {
    *err = ErrnoMessage(name + ": cannot read address");
  } else {
    *addr = GetAddr(&ifr.ifr_addr);
    if (ioctl(sock, SIOCGIFNETMASK, &ifr) != 0) {
      *err = ErrnoMessage(name + ": cannot read netmask");
    } else {
      *netmask = GetAddr(&ifr.ifr_netmask);
      if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
        *err = ErrnoMessage(name + ": cannot read flags");
      } else {
        *up = (ifr.ifr_flags & IFF_UP) != 0;
        ok = true;
      }
    }
  }
  close(sock);
  return ok;
}

bool InterfaceExists(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ && if_nametoindex(name.c_str()) != 0;
}

}  // namespace runall
