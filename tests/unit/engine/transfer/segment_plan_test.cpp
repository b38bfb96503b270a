#include "ferry/engine/transfer/segment_plan.hpp"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

byte_ranges of(std::initializer_list<byte_range> ranges) {
  byte_ranges set;
  for (const byte_range& r : ranges) {
    set.add(r.first, r.end);
  }
  return set;
}

std::vector<byte_range> ranges(std::initializer_list<byte_range> list) {
  return list;
}

TEST(SegmentPlan, AFreshDownloadIsSplitIntoEvenHalvesUpToTheSlots) {
  EXPECT_EQ(plan_segments({}, 1000, 4, 100),
            ranges({{0, 250}, {250, 500}, {500, 750}, {750, 1000}}));
  EXPECT_EQ(plan_segments({}, 1000, 1, 100), ranges({{0, 1000}}));
}

TEST(SegmentPlan, NoPieceIsSplitBelowTheMinimum) {
  // 1000 bytes in at most 8 pieces of at least 300: one split (500 + 500), no more.
  EXPECT_EQ(plan_segments({}, 1000, 8, 300), ranges({{0, 500}, {500, 1000}}));
  EXPECT_EQ(plan_segments({}, 599, 8, 300), ranges({{0, 599}}));
  // A minimum of zero still never makes an empty piece.
  const auto tiny = plan_segments({}, 3, 8, 0);
  EXPECT_EQ(tiny, ranges({{0, 1}, {1, 2}, {2, 3}}));
}

TEST(SegmentPlan, OnlyTheMissingBytesAreAskedForInOffsetOrder) {
  const byte_ranges have = of({{0, 100}, {400, 600}, {900, 1000}});
  EXPECT_EQ(plan_segments(have, 1000, 2, 10), ranges({{100, 400}, {600, 900}}));
  // With a third slot the largest gap is halved; the order stays by offset.
  EXPECT_EQ(plan_segments(have, 1000, 3, 10), ranges({{100, 250}, {250, 400}, {600, 900}}));
}

TEST(SegmentPlan, MoreGapsThanSlotsTakesTheFirstOnes) {
  const byte_ranges have = of({{10, 20}, {30, 40}, {50, 60}});
  EXPECT_EQ(plan_segments(have, 70, 2, 1), ranges({{0, 10}, {20, 30}}));
}

TEST(SegmentPlan, NothingMissingOrNoSlotPlansNothing) {
  EXPECT_TRUE(plan_segments(of({{0, 1000}}), 1000, 4, 1).empty());
  EXPECT_TRUE(plan_segments({}, 1000, 0, 1).empty());
  EXPECT_TRUE(plan_segments({}, 0, 4, 1).empty());
}

}  // namespace
}  // namespace ferry::engine
