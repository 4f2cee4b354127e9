#include "shard.hpp"

#include <gtest/gtest.h>

using namespace runall;

TEST(Shard, ParsesKOfN) {
  unsigned k = 0, n = 0;
  std::string err;
  ASSERT_TRUE(ParseShard("2/3", &k, &n, &err)) << err;
  EXPECT_EQ(k, 2u);
  EXPECT_EQ(n, 3u);
  ASSERT_TRUE(ParseShard("1/1", &k, &n, &err));
  for (const char* bad :
       {"", "3", "0/2", "3/2", "1/0", "-1/2", "1/ 2", "a/b", "1/2/3", "1/1001", "+1/2"}) {
    EXPECT_FALSE(ParseShard(bad, &k, &n, &err)) << bad;
    EXPECT_NE(err.find("expected K/N"), std::string::npos) << err;
  }
}

TEST(Shard, EveryGuestRunsExactlyOnceAcrossTheShards) {
  for (size_t count = 0; count < 20; ++count) {
    for (unsigned n = 1; n <= 7; ++n) {
      std::vector<int> runs(count, 0);
      size_t smallest = count, largest = 0;
      for (unsigned k = 1; k <= n; ++k) {
        std::vector<size_t> picked = ShardIndices(count, k, n);
        smallest = std::min(smallest, picked.size());
        largest = std::max(largest, picked.size());
        for (size_t i = 0; i + 1 < picked.size(); ++i)
          EXPECT_LT(picked[i], picked[i + 1]);  // config order kept
        for (size_t i : picked) ++runs.at(i);
      }
      for (size_t i = 0; i < count; ++i) EXPECT_EQ(runs[i], 1) << count << " " << n;
      EXPECT_LE(largest - std::min(smallest, largest), 1u);
    }
  }
  EXPECT_EQ(ShardIndices(5, 2, 2), (std::vector<size_t>{1, 3}));
  EXPECT_TRUE(ShardIndices(5, 3, 2).empty());
}
