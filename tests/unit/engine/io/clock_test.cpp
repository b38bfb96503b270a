#include "ferry/engine/io/clock.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;

TEST(Clock, SteadyClockFollowsRealTime) {
  clock_source& c = clock_source::steady();
  EXPECT_TRUE(c.is_real());
  const auto a = c.now();
  std::this_thread::sleep_for(20ms);
  EXPECT_GE(c.now() - a, 20ms);  // it moves with real time (a manual clock would not)
}

TEST(Clock, SteadyClockWallTimeIsTheSystemsTime) {
  const auto before = std::chrono::system_clock::now();
  const auto wall = clock_source::steady().wall_now();
  const auto after = std::chrono::system_clock::now();
  EXPECT_GE(wall, before);
  EXPECT_LE(wall, after);
}

TEST(ManualClock, AdvanceMovesWallTimeWithSteadyTimeAndSetWallMovesItAlone) {
  const clock_source::wall_time noon{std::chrono::sys_days{std::chrono::December / 2 / 2026} + 12h};
  manual_clock c{manual_clock::time_point{100s}, noon};
  EXPECT_EQ(c.wall_now(), noon);
  c.advance(90min);
  EXPECT_EQ(c.wall_now(), noon + 90min);
  EXPECT_EQ(c.now().time_since_epoch(), 100s + 90min);
  c.advance(-1h);  // ignored, as for steady time
  EXPECT_EQ(c.wall_now(), noon + 90min);
  c.set_wall(noon - 24h);  // the administrator set the clock back a day
  EXPECT_EQ(c.wall_now(), noon - 24h);
  EXPECT_EQ(c.now().time_since_epoch(), 100s + 90min);  // "how long" is unaffected
}

TEST(ManualClock, MovesOnlyWhenAdvancedAndNeverBackwards) {
  manual_clock c{manual_clock::time_point{100s}};
  EXPECT_FALSE(c.is_real());
  EXPECT_EQ(c.now().time_since_epoch(), 100s);
  c.advance(5s);
  EXPECT_EQ(c.now().time_since_epoch(), 105s);
  c.advance(-10s);
  EXPECT_EQ(c.now().time_since_epoch(), 105s);
}

TEST(ManualClock, CallsFireInDeadlineOrderAndCanBeCancelled) {
  manual_clock c;
  std::vector<int> fired;
  c.call_at(manual_clock::time_point{3s}, [&] { fired.push_back(3); });
  const auto cancelled = c.call_at(manual_clock::time_point{2s}, [&] { fired.push_back(2); });
  c.call_at(manual_clock::time_point{1s}, [&] { fired.push_back(1); });
  EXPECT_TRUE(c.cancel_at(cancelled));
  EXPECT_FALSE(c.cancel_at(cancelled));
  c.advance(10s);
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

}  // namespace
}  // namespace ferry::engine
