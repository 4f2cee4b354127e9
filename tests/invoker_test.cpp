#include "invoker.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

using namespace runall;

namespace {

// Sets SUDO_UID for one test and puts back what was there.
class SudoUid : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* v = getenv("SUDO_UID");
    had_ = v != nullptr;
    if (had_) saved_ = v;
  }
  void TearDown() override {
    if (had_)
      setenv("SUDO_UID", saved_.c_str(), 1);
    else
      unsetenv("SUDO_UID");
  }
  bool had_ = false;
  std::string saved_;
};

}  // namespace

TEST_F(SudoUid, WithoutSudoUidItIsOurOwnUid) {
  unsetenv("SUDO_UID");
  EXPECT_FALSE(RunThroughSudo());
  bool ok = false;
  EXPECT_EQ(getuid(), InvokingUid(&ok));
  EXPECT_TRUE(ok);
}

// SUDO_UID counts only for root: anyone else can set it in their own
// environment, which must gain them nothing.
TEST_F(SudoUid, SudoUidCountsOnlyForRootAndMustBeANumber) {
  setenv("SUDO_UID", "61001", 1);
  bool ok = false;
  if (geteuid() == 0) {
    EXPECT_TRUE(RunThroughSudo());
    EXPECT_EQ(61001u, InvokingUid(&ok));
    EXPECT_TRUE(ok);
    setenv("SUDO_UID", "61001x", 1);
    InvokingUid(&ok);
    EXPECT_FALSE(ok);
  } else {
    EXPECT_FALSE(RunThroughSudo());
    EXPECT_EQ(getuid(), InvokingUid(&ok));
    EXPECT_TRUE(ok);
  }
}
