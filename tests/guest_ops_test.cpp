#include "guest_ops.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "console.hpp"
#include "guest_log.hpp"
#include "log.hpp"
#include "test_guests.hpp"

using namespace runall;
using namespace runall::test;

namespace {

// The real operations' launch against a runqemuos that is a shell script:
// what the driver makes of runqemuos's exit status and messages, without
// QEMU or root.
class GuestOpsLaunch : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/guest_ops_test.XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    dir_ = tmpl;
    setup_.settings = TestSettings();
    setup_.settings.launch_dir = dir_ + "/launch";
    setup_.settings.hostname_dir = dir_ + "/hostnames";
    setup_.log_dir = dir_;
    setup_.up_dir = dir_;
    setup_.runqemuos = dir_ + "/runqemuos";
    setup_.console = &console_;
    std::string err;
    ASSERT_TRUE(log_.OpenFile(dir_ + "/run.log", &err)) << err;
    guests_ = ParseGuests("g g.img 60 60 64\n");
    ASSERT_EQ(1u, guests_.size());
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
  }

  // Makes runqemuos a script with `body`, and launches through it.
  LaunchResult Launch(const std::string& body) {
    {
      std::ofstream script(setup_.runqemuos);
      script << "#!/bin/sh\n" << body << "\n";
    }
    chmod(setup_.runqemuos.c_str(), 0755);
    GuestLog guest_log(&log_, "g");
    std::unique_ptr<GuestOps> ops = NewRealGuestOps(setup_, guests_[0], &guest_log);
    return ops->Launch();
  }

  std::string dir_;
  GuestOpsSetup setup_;
  Console console_{false, false};
  Log log_;
  std::vector<GuestRecord> guests_;
};

}  // namespace

TEST_F(GuestOpsLaunch, StartedWhenRunqemuosSaysAPid) {
  LaunchResult r = Launch("echo 4242");
  EXPECT_EQ(LaunchOutcome::kStarted, r.outcome) << r.detail;
}

// runqemuos(1): exit 2 is the image in use - another launch took it
// first, and the driver waits for that guest instead of failing. The
// status decides, whatever the message says.
TEST_F(GuestOpsLaunch, ExitTwoIsALostRaceWhateverTheMessage) {
  LaunchResult r = Launch("echo 'runqemuos: /data/qemu/g.img: busy' >&2; exit 2");
  EXPECT_EQ(LaunchOutcome::kLostRace, r.outcome) << r.detail;
}

// A refusal for another reason (no free tap) is a failure to report, even
// when its message says "in use".
TEST_F(GuestOpsLaunch, OtherRefusalsAreFailuresEvenWhenTheySayInUse) {
  LaunchResult r =
      Launch("echo 'runqemuos: no free tap: tap3: in use by another guest' >&2; exit 1");
  EXPECT_EQ(LaunchOutcome::kNotStarted, r.outcome);
  EXPECT_EQ(
      "runqemuos failed (exit 1): runqemuos: no free tap: tap3: in use by "
      "another guest",
      r.detail);
}

TEST_F(GuestOpsLaunch, FailureDetailIsTheLastLineOfTheMessage) {
  LaunchResult r = Launch("echo one >&2; echo 'runqemuos: two' >&2; exit 111");
  EXPECT_EQ(LaunchOutcome::kNotStarted, r.outcome);
  EXPECT_EQ("runqemuos failed (exit 111): runqemuos: two", r.detail);
}
