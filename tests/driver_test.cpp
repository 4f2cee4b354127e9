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
