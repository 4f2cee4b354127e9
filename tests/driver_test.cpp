#include "driver.hpp"

#include <gtest/gtest.h>

using namespace runall;

namespace {

std::vector<GuestRecord> Records(std::vector<std::string> names) {
  std::vector<GuestRecord> r;
  for (const std::string& n : names) {
    GuestRecord g;
    g.hostname = n;
    r.push_back(g);
  }
  return r;
}

}  // namespace

TEST(SelectGuests, AllInConfigOrderWhenNoneNamed) {
  std::vector<std::string> missing;
  auto picked = SelectGuests(Records({"netqemu", "solqemu", "openqemu"}), {}, &missing);
  EXPECT_EQ(picked, (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(missing.empty());
}

TEST(SelectGuests, NamedOnesInConfigOrderNotCommandLineOrder) {
  std::vector<std::string> missing;
  auto picked = SelectGuests(Records({"netqemu", "solqemu", "gentqemu", "openqemu"}),
                             {"openqemu", "nope", "NetQemu", "zz"}, &missing);
  EXPECT_EQ(picked, (std::vector<size_t>{0, 3}));
  EXPECT_EQ(missing, (std::vector<std::string>{"nope", "zz"}));
}

TEST(DefaultLogDir, FollowsXdg) {
  EXPECT_EQ(DefaultLogDir(nullptr, "/home/u"), "/home/u/.local/state/runall/logs");
  EXPECT_EQ(DefaultLogDir("/srv/state", "/home/u"), "/srv/state/runall/logs");
  EXPECT_EQ(DefaultLogDir("relative", "/home/u"), "/home/u/.local/state/runall/logs");
  EXPECT_EQ(DefaultLogDir("", "/home/u"), "/home/u/.local/state/runall/logs");
}

TEST(LinePrefixer, WholeLinesOnlyEachWithThePrefix) {
  LinePrefixer p("[g] ");
  EXPECT_EQ(p.Feed("hel", 3), "");
  EXPECT_EQ(p.Feed("lo\nwor", 6), "[g] hello\n");
  EXPECT_EQ(p.Feed("ld\n\nx", 5), "[g] world\n[g] \n");
  EXPECT_EQ(p.Flush(), "[g] x\n");
  EXPECT_EQ(p.Flush(), "");
}

TEST(ProgressLine, ListsEveryWaitAndNeverWraps) {
  std::vector<ProgressItem> items = {{"booting", "netqemu", 12, 240},
                                     {"stopping", "solqemu", 3, 0}};
  EXPECT_EQ(ProgressLine(items, 80), "booting netqemu 12s/240s, stopping solqemu 3s");
  std::string cut = ProgressLine(items, 20);
  EXPECT_EQ(cut.size(), 19u);
  EXPECT_EQ(cut.substr(16), "...");
  EXPECT_EQ(ProgressLine({}, 80), "");
}

TEST(MillisBetween, Timespecs) {
  struct timespec a = {100, 900000000}, b = {102, 100000000};
  EXPECT_EQ(MillisBetween(a, b), 1200);
  EXPECT_EQ(MillisBetween(b, a), -1200);
}
