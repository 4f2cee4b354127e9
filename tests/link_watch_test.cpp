#include "link_watch.hpp"

#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

#include "tun.hpp"

using namespace runall;

#ifdef __linux__

namespace {

// Appends a link message of `type` about `ifindex` to *buf, as the kernel
// lays it out; `len` overrides the header's length when non-zero.
void AddLinkMessage(std::vector<char>* buf, uint16_t type, int ifindex, uint32_t len = 0) {
  struct {
    struct nlmsghdr h;
    struct ifinfomsg info;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.h.nlmsg_len = len ? len : NLMSG_LENGTH(sizeof msg.info);
  msg.h.nlmsg_type = type;
  msg.info.ifi_index = ifindex;
  const char* p = reinterpret_cast<const char*>(&msg);
  buf->insert(buf->end(), p, p + NLMSG_ALIGN(sizeof msg));
}

}  // namespace

TEST(LinkDeletedIn, FindsTheDeletionOfThatInterfaceOnly) {
  std::vector<char> buf;
  AddLinkMessage(&buf, RTM_NEWLINK, 5);
  AddLinkMessage(&buf, RTM_DELLINK, 7);
  EXPECT_TRUE(LinkDeletedIn(buf.data(), buf.size(), 7));
  EXPECT_FALSE(LinkDeletedIn(buf.data(), buf.size(), 5));  // only changed
  EXPECT_FALSE(LinkDeletedIn(buf.data(), buf.size(), 6));
  EXPECT_FALSE(LinkDeletedIn(buf.data(), 0, 7));
}

TEST(LinkDeletedIn, SkipsMessagesShorterThanTheyClaimOrThanALinkMessage) {
  std::vector<char> buf;
  AddLinkMessage(&buf, RTM_DELLINK, 7);
  // Cut short: the header claims more than the buffer holds.
  EXPECT_FALSE(LinkDeletedIn(buf.data(), buf.size() - 4, 7));
  // A header too short to hold the interface it would name.
  std::vector<char> tiny;
  AddLinkMessage(&tiny, RTM_DELLINK, 7, NLMSG_LENGTH(2));
  EXPECT_FALSE(LinkDeletedIn(tiny.data(), tiny.size(), 7));
}

// The kernel's own events, in a network namespace of a child's own (a user
// namespace too, so that no root is needed where the kernel allows it): a
// tap that goes with its last fd is heard deleted.
TEST(LinkWatch, HearsATapGoAwayInANamespaceOfItsOwn) {
  int report[2];
  ASSERT_EQ(0, pipe(report));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(report[0]);
    auto say = [&](char c) {
      ssize_t ignored = write(report[1], &c, 1);
      (void)ignored;
      _exit(0);
    };
    if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
      say('s');  // no namespaces to be had here
    LinkWatch watch;
    std::string err;
    if (!watch.Open(&err)) say('o');
    int errnum = 0;
    int tap = AttachTap("tap9", false, false, &err, &errnum);
    if (tap < 0) say('s');  // no /dev/net/tun here
    unsigned index = if_nametoindex("tap9");
    if (index == 0) say('i');
    if (watch.Drain(index)) say('e');  // made, not deleted
    close(tap);                        // not persistent: the kernel deletes it now
    for (int i = 0; i < 200; ++i) {
      if (watch.Drain(index)) say('y');
      usleep(10000);
    }
    say('n');
  }
  close(report[1]);
  char c = 0;
  ASSERT_EQ(1, read(report[0], &c, 1));
  close(report[0]);
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  if (c == 's') GTEST_SKIP() << "no network namespace or tun device for this user";
  EXPECT_EQ('y', c) << "o: cannot open, i: no ifindex, e: deletion heard too early, "
                       "n: deletion not heard";
}

#endif  // __linux__

TEST(LinkWatch, IsClosedUntilOpened) {
  LinkWatch watch;
  EXPECT_EQ(-1, watch.fd());
  EXPECT_FALSE(watch.Drain(1));
}
