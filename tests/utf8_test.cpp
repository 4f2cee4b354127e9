#include "utf8.hpp"

#include <gtest/gtest.h>

using namespace runall;

TEST(Utf8, MeasuresValidSequences) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xc3\xa9", 0), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(Utf8SequenceLength("x\xc3\xa9", 1), 2u);
}

TEST(Utf8, RefusesWhatIsNotUtf8) {
  for (const char* bad : {"\x80", "\xff", "\xc3", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xc3\x28"})
    EXPECT_EQ(Utf8SequenceLength(bad, 0), 0u) << bad;
  EXPECT_EQ(Utf8SequenceLength("", 0), 0u);
}
