#include "fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include <gtest/gtest.h>

using namespace runall;

namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

int OpenNull() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

TEST(Fd, ClosesWhenItGoesOutOfScope) {
  int raw = OpenNull();
  ASSERT_GE(raw, 0);
  {
    Fd fd(raw);
    EXPECT_TRUE(fd.ok());
    EXPECT_EQ(raw, fd.get());
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(Fd, ResetClosesTheOldOne) {
  int a = OpenNull(), b = OpenNull();
  Fd fd(a);
  fd.Reset(b);
  EXPECT_FALSE(IsOpen(a));
  EXPECT_TRUE(IsOpen(b));
  fd.Reset();
  EXPECT_FALSE(IsOpen(b));
  EXPECT_FALSE(fd.ok());
  EXPECT_EQ(-1, fd.get());
}

TEST(Fd, ReleaseGivesItUpOpen) {
  int raw = OpenNull();
  {
    Fd fd(raw);
    EXPECT_EQ(raw, fd.Release());
    EXPECT_FALSE(fd.ok());
  }
  EXPECT_TRUE(IsOpen(raw));
  close(raw);
}

TEST(Fd, MovesOwnership) {
  int raw = OpenNull();
  Fd a(raw);
  Fd b(std::move(a));
  EXPECT_FALSE(a.ok());  // NOLINT(bugprone-use-after-move): what a move leaves
  EXPECT_EQ(raw, b.get());
  Fd c;
  c = std::move(b);
  EXPECT_EQ(raw, c.get());
  EXPECT_TRUE(IsOpen(raw));
  EXPECT_EQ(0, c.Close());
  EXPECT_FALSE(IsOpen(raw));
  EXPECT_EQ(0, c.Close());  // nothing held any more
}
