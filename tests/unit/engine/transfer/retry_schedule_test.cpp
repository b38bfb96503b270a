#include "ferry/engine/transfer/retry_schedule.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace ferry::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

retry_policy policy(unsigned attempts) {
  retry_policy p;
  p.attempts = attempts;
  p.initial_delay = milliseconds{100};
  p.max_delay = milliseconds{1000};
  return p;
}

TEST(RetrySchedule, GivesUpAfterAttemptsFailuresInARowWithoutProgress) {
  retry_schedule s{policy(3), 7};
  EXPECT_TRUE(s.on_failure(0, std::nullopt));
  EXPECT_TRUE(s.on_failure(0, std::nullopt));
  EXPECT_TRUE(s.on_failure(0, std::nullopt));
  EXPECT_FALSE(s.on_failure(0, std::nullopt));
}

TEST(RetrySchedule, ProgressBetweenFailuresStartsANewRun) {
  retry_schedule s{policy(2), 7};
  std::uint64_t moved = 0;
  for (int i = 0; i < 20; ++i) {  // a transfer that keeps moving keeps going
    moved += 10;
    ASSERT_TRUE(s.on_failure(moved, std::nullopt)) << i;
  }
  EXPECT_TRUE(s.on_failure(moved, std::nullopt));       // second in a row without progress
  EXPECT_FALSE(s.on_failure(moved, std::nullopt));      // third: spent
  EXPECT_FALSE(s.on_failure(moved - 5, std::nullopt));  // less than before is no progress
}

TEST(RetrySchedule, TheLadderDoublesUpToTheCapWithJitterInHalfToOneAndAHalf) {
  retry_schedule s{policy(20), 42};
  const double bases[] = {100, 200, 400, 800, 1000, 1000, 1000};
  std::set<clock_source::duration::rep> seen;
  for (double base : bases) {
    const auto delay = s.on_failure(0, std::nullopt);
    ASSERT_TRUE(delay);
    const double ms = std::chrono::duration<double, std::milli>(*delay).count();
    EXPECT_GE(ms, base * 0.5);
    EXPECT_LT(ms, base * 1.5);
    seen.insert(delay->count());
  }
  EXPECT_GT(seen.size(), 3U);  // jittered: not the same wait every time
}

TEST(RetrySchedule, SameSeedSameWaitsOtherSeedOtherWaits) {
  retry_schedule a{policy(5), 1};
  retry_schedule b{policy(5), 1};
  retry_schedule c{policy(5), 2};
  const auto da = a.on_failure(0, std::nullopt);
  EXPECT_EQ(da, b.on_failure(0, std::nullopt));
  EXPECT_NE(da, c.on_failure(0, std::nullopt));
}

TEST(RetrySchedule, RetryAfterReplacesTheWaitUpToItsCap) {
  retry_policy p = policy(5);
  p.max_retry_after = seconds{60};
  retry_schedule s{p, 7};
  EXPECT_EQ(s.on_failure(0, seconds{7}), clock_source::duration{seconds{7}});
  EXPECT_EQ(s.on_failure(0, seconds{3600}), clock_source::duration{seconds{60}});
}

TEST(RetrySchedule, MalformedRunsAreShortAndDoubling) {
  retry_policy p = policy(10);
  p.malformed_attempts = 2;
  p.malformed_delay = milliseconds{250};
  const retry_schedule s{p, 7};
  EXPECT_FALSE(s.on_malformed(0));
  EXPECT_EQ(s.on_malformed(1), clock_source::duration{milliseconds{250}});
  EXPECT_EQ(s.on_malformed(2), clock_source::duration{milliseconds{500}});
  EXPECT_FALSE(s.on_malformed(3));
  p.attempts = 1;  // never more than `attempts`
  EXPECT_FALSE((retry_schedule{p, 7}.on_malformed(2)));
  p.attempts = 0;
  EXPECT_FALSE((retry_schedule{p, 7}.on_malformed(1)));
}

TEST(RetrySchedule, ResetForgetsTheRun) {
  retry_schedule s{policy(1), 7};
  EXPECT_TRUE(s.on_failure(0, std::nullopt));
  s.reset();
  EXPECT_TRUE(s.on_failure(0, std::nullopt));
  EXPECT_FALSE(s.on_failure(0, std::nullopt));
}

TEST(RetrySchedule, NoAttemptsMeansNoRetry) {
  retry_schedule s{policy(0), 7};
  EXPECT_FALSE(s.on_failure(0, std::nullopt));
  EXPECT_FALSE(s.on_failure(100, seconds{1}));
}

}  // namespace
}  // namespace ferry::engine
