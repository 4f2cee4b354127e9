#include "tun.hpp"

#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "validate.hpp"

using namespace runall;

TEST(MayAttach, FollowsTheKernelRule) {
  TapInfo any;
  EXPECT_TRUE(MayAttach(any, 1000, {}));
  TapInfo owned;
  owned.owner = 1000;
  EXPECT_TRUE(MayAttach(owned, 1000, {}));
  EXPECT_FALSE(MayAttach(owned, 1001, {1000}));
  TapInfo grouped;
  grouped.group = 50;
  EXPECT_TRUE(MayAttach(grouped, 1001, {20, 50}));
  EXPECT_FALSE(MayAttach(grouped, 1001, {20}));
  TapInfo both;
  both.owner = 1000;
  both.group = 50;
  EXPECT_FALSE(MayAttach(both, 1000, {20}));
  EXPECT_TRUE(MayAttach(both, 1000, {50}));
}

// Runs `body` in a child process inside a fresh network namespace, so the
// taps it makes vanish with the child and the host's interfaces are never
// touched; /sys is remounted in a private mount namespace so /sys/class/net
// shows the new network namespace (as `ip netns exec` does). Skips when not
// root.
template <typename Body>
void InPrivateNetns(Body body) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make a network namespace";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) _exit(90);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        umount2("/sys", MNT_DETACH) != 0 || mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0)
      _exit(91);
    _exit(body());
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "step " << WEXITSTATUS(status) << " failed in the namespace";
}

TEST(TunInNamespace, PersistentTapLifecycle) {
  InPrivateNetns([] {
    std::string err;
    int errnum = 0;
    if (!CreatePersistentTap("tap7", 4321, &err)) return 1;
    TapInfo info;
    if (!ReadTapInfo("tap7", &info)) return 2;
    if (!info.tap || !info.persistent || info.owner != 4321) return 3;
    if (CreatePersistentTap("tap7", 4321, &err)) return 4;  // name taken
    int fd = AttachTap("tap7", true, false, &err, &errnum);
    if (fd < 0) return 5;
    // A second attach while the first holds it fails: claims are atomic.
    int fd2 = AttachTap("tap7", true, false, &err, &errnum);
    if (fd2 >= 0 || errnum != EBUSY) return 6;
    close(fd);
    fd2 = AttachTap("tap7", true, false, &err, &errnum);
    if (fd2 < 0) return 7;
    close(fd2);
    if (AttachTap("tap8", true, false, &err, &errnum) >= 0 || errnum != ENODEV) return 8;
    std::vector<TapInfo> taps = ListTaps();
    if (taps.size() != 1 || taps[0].name != "tap7") return 9;
    if (!DeletePersistentTap("tap7", &err)) return 10;
    if (InterfaceExists("tap7")) return 11;
    return 0;
  });
}

TEST(TunInNamespace, ConfigureAndReadBack) {
  InPrivateNetns([] {
    std::string err;
    if (!CreatePersistentTap("tap3", 0, &err)) return 1;
    uint32_t addr = 0, mask = 0;
    ParseIPv4("172.20.3.1", &addr, nullptr);
    ParseIPv4("255.255.255.0", &mask, nullptr);
    if (!ConfigureInterface("tap3", addr, mask, &err)) return 2;
    uint32_t got_addr = 0, got_mask = 0;
    bool up = false;
    if (!ReadInterface("tap3", &got_addr, &got_mask, &up, &err)) return 3;
    if (got_addr != addr || got_mask != mask || !up) return 4;
    if (ConfigureInterface("tap9", addr, mask, &err)) return 5;  // no device
    return 0;
  });
}

TEST(TunInNamespace, RemovesOnlyTheAddressNamed) {
  InPrivateNetns([] {
    std::string err;
    if (!CreatePersistentTap("tap4", 0, &err)) return 1;
    uint32_t plan = 0, other = 0, mask = 0;
    ParseIPv4("172.20.4.1", &plan, nullptr);
    ParseIPv4("10.8.0.6", &other, nullptr);
    ParseIPv4("255.255.255.0", &mask, nullptr);
    // Someone else's address first, so ours is not the interface's first.
    if (!ConfigureInterface("tap4", other, mask, &err)) return 2;
    if (system("ip addr add 172.20.4.1/24 dev tap4") != 0) return 3;
    bool removed = false;
    // Same address, another prefix: not ours, left.
    if (!RemoveInterfaceAddress("tap4", plan, 16, &removed, &err) || removed) return 4;
    if (!RemoveInterfaceAddress("tap4", plan, 24, &removed, &err) || !removed) return 5;
    if (!RemoveInterfaceAddress("tap4", plan, 24, &removed, &err) || removed)
      return 6;  // gone already: nothing to do, no error
    uint32_t got = 0, got_mask = 0;
    bool up = false;
    if (!ReadInterface("tap4", &got, &got_mask, &up, &err) || got != other) return 7;
    if (RemoveInterfaceAddress("tap9", plan, 24, &removed, &err)) return 8;
    return 0;
  });
}
