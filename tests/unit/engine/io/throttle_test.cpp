#include "ferry/engine/io/throttle.hpp"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;

TEST(Throttle, UnlimitedGrantsEverything) {
  manual_clock c;
  throttle t{0, 0, nullptr, c};
  EXPECT_EQ(t.acquire(1U << 30), 1U << 30);
  EXPECT_EQ(t.delay_for(1U << 30), clock_source::duration::zero());
}

TEST(Throttle, GrantsTheBurstThenTheRateOverTime) {
  manual_clock c;
  throttle t{1000, 100, nullptr, c};
  EXPECT_EQ(t.acquire(500), 100U);  // a full bucket: the burst
  EXPECT_EQ(t.acquire(1), 0U);
  EXPECT_EQ(t.delay_for(50), 50ms);
  c.advance(50ms);
  EXPECT_EQ(t.acquire(500), 50U);
  c.advance(10s);  // idle: the bucket fills only to the burst
  EXPECT_EQ(t.acquire(5000), 100U);
}

TEST(Throttle, LongRunRateMatchesTheLimit) {
  manual_clock c;
  throttle t{1'000'000, 16'384, nullptr, c};
  std::uint64_t sent = 0;
  for (int step = 0; step < 10'000; ++step) {  // 10 s in 1 ms steps
    sent += t.acquire(64 * 1024);
    c.advance(1ms);
  }
  EXPECT_NEAR(static_cast<double>(sent), 10'000'000.0 + 16'384.0, 2'000.0);
}

TEST(Throttle, ParentLimitsEveryChildTogether) {
  manual_clock c;
  throttle global{1000, 100, nullptr, c};
  throttle a{1'000'000, 1000, &global, c};
  throttle b{1'000'000, 1000, &global, c};
  EXPECT_EQ(a.acquire(80), 80U);
  EXPECT_EQ(b.acquire(80), 20U);  // the global bucket had 100
  EXPECT_EQ(a.acquire(10), 0U);
  EXPECT_EQ(a.delay_for(50), 50ms);  // the parent's wait, not the child's
}

TEST(Throttle, RateCanChange) {
  manual_clock c;
  throttle t{1000, 100, nullptr, c};
  (void)t.acquire(100);
  t.set_rate(0);
  EXPECT_EQ(t.rate(), 0U);
  EXPECT_EQ(t.acquire(12345), 12345U);
}

}  // namespace
}  // namespace ferry::engine
