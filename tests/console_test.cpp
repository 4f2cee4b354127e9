#include "console.hpp"

#include <gtest/gtest.h>

using namespace runall;

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
