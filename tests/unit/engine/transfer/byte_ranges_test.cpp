#include "ferry/engine/transfer/byte_ranges.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ferry::engine {
namespace {

TEST(ByteRanges, AddingMergesOverlappingAndTouchingIntervals) {
  byte_ranges r;
  r.add(10, 20);
  r.add(30, 40);
  r.add(20, 25);  // touches the first
  EXPECT_EQ(r.intervals(), (std::vector<byte_range>{{10, 25}, {30, 40}}));
  r.add(5, 35);  // swallows both
  EXPECT_EQ(r.intervals(), (std::vector<byte_range>{{5, 40}}));
  r.add(7, 7);  // empty: nothing
  EXPECT_EQ(r.size(), 35U);
  EXPECT_EQ(r.end(), 40U);
  EXPECT_EQ(r.prefix(), 0U);
  r.add(0, 5);
  EXPECT_EQ(r.prefix(), 40U);
}

TEST(ByteRanges, MissingListsTheGapsUpToTheTotal) {
  byte_ranges r;
  r.add(0, 10);
  r.add(20, 30);
  EXPECT_EQ(r.missing(50), (std::vector<byte_range>{{10, 20}, {30, 50}}));
  EXPECT_EQ(r.missing(25), (std::vector<byte_range>{{10, 20}}));
  EXPECT_TRUE(r.contains(22, 30));
  EXPECT_FALSE(r.contains(5, 15));
}

// Against a plain bitmap, with random intervals from a fixed seed.
TEST(ByteRanges, AgreesWithABitmapOnRandomAdds) {
  std::mt19937 random{7};
  for (int round = 0; round < 200; ++round) {
    std::vector<bool> bits(300);
    byte_ranges r;
    for (int i = 0; i < 12; ++i) {
      const auto a = static_cast<unsigned>(random() % 300);
      const auto b = a + static_cast<unsigned>(random() % 40);
      r.add(a, std::min(b, 300U));
      for (unsigned k = a; k < std::min(b, 300U); ++k) {
        bits[k] = true;
      }
    }
    std::uint64_t count = 0;
    for (bool bit : bits) {
      count += bit ? 1 : 0;
    }
    ASSERT_EQ(r.size(), count);
    byte_ranges rebuilt;
    for (const byte_range& gap : r.missing(300)) {
      for (auto k = gap.first; k < gap.end; ++k) {
        ASSERT_FALSE(bits[k]);
      }
      rebuilt.add(gap.first, gap.end);
    }
    ASSERT_EQ(rebuilt.size() + count, 300U);
    for (std::size_t k = 1; k < r.intervals().size(); ++k) {
      ASSERT_LT(r.intervals()[k - 1].end, r.intervals()[k].first);  // disjoint, not adjacent
    }
  }
}

}  // namespace
}  // namespace ferry::engine
