#include "console_stamp.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {
std::string Feed(ConsoleStamper* s, const std::string& bytes, int64_t now) {
  std::string out;
  s->Feed(bytes.data(), bytes.size(), now, &out);
  return out;
}
}  // namespace

TEST(ConsoleStamp, FormatsSecondsSinceStart) {
  EXPECT_EQ(ConsoleStamp(0), "[   0.000] ");
  EXPECT_EQ(ConsoleStamp(2345), "[   2.345] ");
  EXPECT_EQ(ConsoleStamp(123456789), "[123456.789] ");
  EXPECT_EQ(ConsoleStamp(-5), "[   0.000] ");
}

TEST(ConsoleStamp, QuotesALineWithoutItsStamp) {
  EXPECT_EQ(WithoutConsoleStamp("[   0.001] qemu: could not set up"), "qemu: could not set up");
  EXPECT_EQ(WithoutConsoleStamp(ConsoleStamp(123456789) + "x"), "x");
  for (const char* kept :
       {"", "[", "plain", "[0.01] short", "[ 1.000]no blank", "[x.000] y", "[  .000] y"})
    EXPECT_EQ(WithoutConsoleStamp(kept), kept) << kept;
}

TEST(ConsoleStamp, StampsEachLineWithItsFirstByte) {
  ConsoleStamper s(1000);
  EXPECT_EQ(Feed(&s, "Linux version 6.1", 1500), "");
  EXPECT_EQ(Feed(&s, ".0\r\nFreeing", 2750), "[   0.500] Linux version 6.1.0\n");
  EXPECT_EQ(Feed(&s, " memory\r\n\r\n", 4000), "[   1.750] Freeing memory\n[   3.000] \n");
  std::string out;
  s.Finish(&out);
  EXPECT_EQ(out, "");
}

TEST(ConsoleStamp, DropsEscapesAndControlCharacters) {
  ConsoleStamper s(0);
  std::string out = Feed(&s,
                         "\x1b[0;32m  OK  \x1b[0m] Started ssh\x07.\r\n"
                         "\x1b]0;title\x07"
                         "a\tb\x1b"
                         "c\x1b[?25l\x01\x7f"
                         "end\n",
                         10);
  EXPECT_EQ(out, "[   0.010]   OK  ] Started ssh.\n[   0.010] a\tbend\n");
}

TEST(ConsoleStamp, EscapesSplitAcrossReads) {
  ConsoleStamper s(0);
  std::string out = Feed(&s, "x\x1b", 1);
  out += Feed(&s, "[1", 2);
  out += Feed(&s, ";31my\n", 3);
  EXPECT_EQ(out, "[   0.001] xy\n");
}

TEST(ConsoleStamp, FinishEndsAnUnfinishedLineAndCutsLongOnes) {
  ConsoleStamper s(0);
  std::string out = Feed(&s, std::string(ConsoleStamper::kMaxLine + 10, 'a'), 5);
  EXPECT_EQ(out, "[   0.005] " + std::string(ConsoleStamper::kMaxLine, 'a') + "\n");
  out.clear();
  s.Finish(&out);
  EXPECT_EQ(out, "[   0.005] " + std::string(10, 'a') + "\n");
  out.clear();
  s.Finish(&out);
  EXPECT_EQ(out, "");
  // Invalid UTF-8 and other high bytes pass through untouched: the log
  // keeps what the guest sent.
  EXPECT_EQ(Feed(&s, "\xc3\xa9\xff\n", 7), "[   0.007] \xc3\xa9\xff\n");
}

TEST(ConsoleStamp, HeaderNamesTheLaunch) {
  // 2026-11-30 06:00:00 UTC, shown in local time: only the form is checked.
  std::string h = ConsoleHeader("debian", 4711, 1796018400);
  EXPECT_EQ(h.compare(0, 36, "--- QEMU for debian, pid 4711, start"), 0) << h;
  EXPECT_EQ(h.size(), std::string("--- QEMU for debian, pid 4711, started "
                                  "2026-11-30 06:00:00 ---")
                          .size());
  EXPECT_EQ(h.substr(h.size() - 4), " ---");
}

TEST(ConsoleStamp, LastLaunchLinesAreThoseAfterTheLastHeader) {
  const std::string log = ConsoleHeader("g", 1, 0) + "\n" +
                          "[   0.100] first boot\n"
                          "[   9.000] first boot ends\n" +
                          ConsoleHeader("g", 2, 0) + "\n" +
                          "[   0.050] qemu-system-x86_64: error: failed to set MSR\n"
                          "[   0.051] Aborted\n"
                          "\n";
  EXPECT_EQ(LastLaunchLines(log, 10),
            (std::vector<std::string>{"[   0.050] qemu-system-x86_64: error: failed to set MSR",
                                      "[   0.051] Aborted"}));
  EXPECT_EQ(LastLaunchLines(log, 1), (std::vector<std::string>{"[   0.051] Aborted"}));
  // A launch that wrote nothing yet: nothing of the one before.
  EXPECT_TRUE(LastLaunchLines(log + ConsoleHeader("g", 3, 0) + "\n", 10).empty());
  // A log without headers (written by QEMU itself): its last lines.
  EXPECT_EQ(LastLaunchLines("a\nb\nc", 2), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(LastLaunchLines("", 5).empty());
}

TEST(LaunchLastLine, WaitsForThisLaunchsHeaderAndWords) {
  const std::string old_launch = ConsoleHeader("g", 100, 0) + "\n[   0.002] old words\n";
  std::string last = "x";
  // Only an older launch: not this one's yet (its words must not be taken).
  EXPECT_FALSE(LaunchLastLine(old_launch, 200, &last));
  EXPECT_EQ(last, "");
  // This launch's header, nothing said yet.
  const std::string header = old_launch + ConsoleHeader("g", 200, 0) + "\n";
  EXPECT_TRUE(LaunchLastLine(header, 200, &last));
  EXPECT_EQ(last, "");
  // Its last non-blank line, without the stamp.
  EXPECT_TRUE(LaunchLastLine(header + "[   0.001] first\n[   0.002] qemu: cannot bind\n\n  \n", 200,
                             &last));
  EXPECT_EQ(last, "qemu: cannot bind");
  // pid 20 is not pid 200.
  EXPECT_FALSE(LaunchLastLine(header, 20, &last));
}
