#include "ferry/engine/io/timer.hpp"

#include <gtest/gtest.h>

#include <future>

#include "ferry/engine/error.hpp"
#include "loop_fixture.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;

class TimerTest : public test::loop_fixture {};

TEST_F(TimerTest, ManualClockFiresOnlyWhenAdvancedPastTheDeadline) {
  manual_clock clock;
  timer t{loop, clock};
  async_result r = t.begin_wait(10s, {});
  clock.advance(9s);
  EXPECT_FALSE(r.wait_for(50ms));
  clock.advance(1s);
  EXPECT_TRUE(r.wait_for(test::test_deadline));
  t.end_wait(r);
  EXPECT_EQ(clock.now().time_since_epoch(), 10s);
}

TEST_F(TimerTest, ManualWaitAlreadyDueCompletesWithoutAdvancing) {
  manual_clock clock{manual_clock::time_point{5s}};
  timer t{loop, clock};
  async_result r = t.begin_wait_until(manual_clock::time_point{1s}, {});
  EXPECT_TRUE(r.wait_for(test::test_deadline));
  t.end_wait(r);
}

TEST_F(TimerTest, CancelAbortsAManualWait) {
  manual_clock clock;
  timer t{loop, clock};
  async_result r = t.begin_wait(1h, {});
  t.cancel();
  std::error_code ec;
  t.end_wait(r, ec);
  EXPECT_EQ(ec, error::operation_aborted);
  clock.advance(2h);  // the cancelled wait does not fire again
  EXPECT_EQ(r.error(), error::operation_aborted);
}

TEST_F(TimerTest, RealClockWaitsAtLeastTheDelay) {
  timer t{loop};
  const auto start = std::chrono::steady_clock::now();
  std::promise<std::error_code> fired;
  t.begin_wait(30ms, [&](async_result& r) { fired.set_value(r.error()); });
  auto f = fired.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_FALSE(f.get());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST_F(TimerTest, CancelAbortsARealWaitAndSecondWaitIsRefused) {
  timer t{loop};
  async_result first = t.begin_wait(1h, {});
  async_result second = t.begin_wait(1h, {});
  std::error_code ec;
  t.end_wait(second, ec);
  EXPECT_EQ(ec, error::operation_in_progress);
  t.cancel();
  t.end_wait(first, ec);
  EXPECT_EQ(ec, error::operation_aborted);
}

}  // namespace
}  // namespace ferry::engine
