#include "report.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {

GuestResult Result(const std::string& host, GuestStatus status) {
  GuestResult r;
  r.host = host;
  r.status = status;
  return r;
}

std::vector<GuestResult> TwoGuests() {
  GuestResult net = Result("netqemu", GuestStatus::kPassed);
  net.launched = true;
  net.boot_seconds = 12.34;
  net.script_seconds = 4.5;
  net.log_path = "/home/u/.local/state/runall/netqemu.log";
  GuestResult sol = Result("solqemu", GuestStatus::kFailed);
  sol.exit_code = 3;
  sol.script_seconds = 0.8;
  return {net, sol};
}

}  // namespace

TEST(ReportTest, StatusText) {
  GuestResult r = Result("a", GuestStatus::kFailed);
  r.exit_code = 3;
  EXPECT_EQ(StatusText(r), "failed (exit 3)");
  EXPECT_EQ(StatusText(Result("a", GuestStatus::kPassed)), "passed");
  EXPECT_EQ(StatusText(Result("a", GuestStatus::kBootTimeout)), "boot timeout");
  EXPECT_EQ(StatusText(Result("a", GuestStatus::kHostKeyChanged)), "host key changed");
  EXPECT_EQ(StatusText(Result("a", GuestStatus::kUnreachable)), "unreachable");
  EXPECT_EQ(StatusText(Result("a", GuestStatus::kRefused)), "refused");
}

TEST(ReportTest, WhatCountsAsPassed) {
  EXPECT_TRUE(Passed(Result("a", GuestStatus::kPassed)));
  EXPECT_TRUE(Passed(Result("a", GuestStatus::kUp)));
  EXPECT_TRUE(Passed(Result("a", GuestStatus::kStopped)));
  for (GuestStatus s : {GuestStatus::kFailed, GuestStatus::kBootTimeout, GuestStatus::kBootFailed,
                        GuestStatus::kUnreachable, GuestStatus::kRefused,
                        GuestStatus::kHostKeyChanged, GuestStatus::kError, GuestStatus::kNotFound,
                        GuestStatus::kInterrupted, GuestStatus::kNotRun, GuestStatus::kKilled})
    EXPECT_FALSE(Passed(Result("a", s)));
}

TEST(ReportTest, Durations) {
  EXPECT_EQ(FormatSeconds(-1), "-");
  EXPECT_EQ(FormatSeconds(0), "0.0s");
  EXPECT_EQ(FormatSeconds(12.34), "12.3s");
  EXPECT_EQ(FormatSeconds(240), "240.0s");
}

TEST(ReportTest, SummaryTableIsAligned) {
  std::vector<GuestResult> results = TwoGuests();
  GuestResult gen = Result("gentqemu", GuestStatus::kRefused);
  gen.detail = "existing guest failed to advise boot completion";
  results.push_back(gen);
  EXPECT_EQ(SummaryTable(results),
            "GUEST     RESULT           BOOT   SCRIPT  DETAIL\n"
            "netqemu   passed           12.3s  4.5s\n"
            "solqemu   failed (exit 3)  -      0.8s\n"
            "gentqemu  refused          -      -       existing guest failed "
            "to advise boot completion\n"
            "1 of 3 guests passed\n");
}

TEST(ReportTest, Tap) {
  EXPECT_EQ(TapReport(TwoGuests()),
            "TAP version 13\n"
            "1..2\n"
            "ok 1 - netqemu\n"
            "  ---\n"
            "  status: \"passed\"\n"
            "  launched: true\n"
            "  boot_seconds: 12.340\n"
            "  script_seconds: 4.500\n"
            "  log: \"/home/u/.local/state/runall/netqemu.log\"\n"
            "  ...\n"
            "not ok 2 - solqemu # exit 3\n"
            "  ---\n"
            "  status: \"failed\"\n"
            "  exit_code: 3\n"
            "  launched: false\n"
            "  script_seconds: 0.800\n"
            "  ...\n");
}

TEST(ReportTest, TapQuotesDetailAndNamesTheReason) {
  GuestResult r = Result("openqemu", GuestStatus::kRefused);
  r.detail = "disk image \"x\" is open\nby #2";
  std::string tap = TapReport({r});
  EXPECT_NE(tap.find("not ok 1 - openqemu # refused\n"), std::string::npos);
  EXPECT_NE(tap.find("  detail: \"disk image \\\"x\\\" is open\\nby #2\"\n"), std::string::npos);
}

TEST(ReportTest, ExitStatus) {
  std::vector<GuestResult> all_passed = {Result("a", GuestStatus::kPassed),
                                         Result("b", GuestStatus::kUp)};
  EXPECT_EQ(RunExitStatus(all_passed, false), 0);
  EXPECT_EQ(RunExitStatus(TwoGuests(), false), 1);
  EXPECT_EQ(RunExitStatus({}, false), 1);  // testing nothing is no pass
  EXPECT_EQ(RunExitStatus(all_passed, true), 130);
  EXPECT_EQ(RunExitStatus({Result("a", GuestStatus::kNotFound)}, false), 1);
}

TEST(ReportTest, AKilledGuestIsNoPassAndSaysHowItStopped) {
  GuestResult off = Result("debian", GuestStatus::kStopped);
  off.stopped_by = "power button";
  off.detail = "powered off by the power button";
  GuestResult killed = Result("obsd", GuestStatus::kKilled);
  killed.stopped_by = "SIGTERM";
  killed.detail = "killed with SIGTERM after the stop timeout (60s)";
  EXPECT_EQ(SummaryTable({off, killed}),
            "GUEST   RESULT   BOOT  SCRIPT  DETAIL\n"
            "debian  stopped  -     -       powered off by the power button\n"
            "obsd    killed   -     -       killed with SIGTERM after the stop timeout (60s)\n"
            "1 of 2 guests passed\n");
  EXPECT_EQ(RunExitStatus({off, killed}, false), 1);
  EXPECT_EQ(RunExitStatus({off}, false), 0);
  std::string tap = TapReport({off, killed});
  EXPECT_NE(tap.find("ok 1 - debian\n"), std::string::npos) << tap;
  EXPECT_NE(tap.find("  stopped_by: \"power button\"\n"), std::string::npos) << tap;
  EXPECT_NE(tap.find("not ok 2 - obsd # killed\n"), std::string::npos) << tap;
  EXPECT_NE(tap.find("  stopped_by: \"SIGTERM\"\n"), std::string::npos) << tap;
}
