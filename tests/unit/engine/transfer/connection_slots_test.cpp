#include "ferry/engine/transfer/connection_slots.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace ferry::engine {
namespace {

connection_slots::holder someone() {
  return std::make_shared<int>(0);
}

TEST(ConnectionSlots, ThePerOriginCapQueuesInArrivalOrder) {
  connection_slots slots{2, 10};
  const auto a = someone();
  const auto b = someone();
  const auto c = someone();
  const auto d = someone();
  EXPECT_TRUE(slots.take("http://a", a));
  EXPECT_TRUE(slots.take("http://a", b));
  EXPECT_FALSE(slots.take("http://a", c));  // in line
  EXPECT_FALSE(slots.take("http://a", d));
  EXPECT_TRUE(slots.take("http://b", someone()));  // another origin is not held up
  EXPECT_EQ(slots.held(), 3U);
  EXPECT_EQ(slots.waiting(), 2U);
  EXPECT_EQ(slots.release("http://a"), c);  // first come, first served
  EXPECT_TRUE(slots.take("http://a", c));   // it takes the slot when it starts again
  EXPECT_EQ(slots.release("http://a"), d);
}

TEST(ConnectionSlots, TheTotalCapHandsAFreedSlotToAnotherOrigin) {
  connection_slots slots{5, 2};
  const auto waiting = someone();
  EXPECT_TRUE(slots.take("http://a", someone()));
  EXPECT_TRUE(slots.take("http://a", someone()));
  EXPECT_FALSE(slots.take("http://b", waiting));  // the total is reached
  EXPECT_EQ(slots.release("http://a"), waiting);  // a's slot went, nobody waits at a
  EXPECT_TRUE(slots.take("http://b", waiting));
  EXPECT_EQ(slots.held(), 2U);
}

TEST(ConnectionSlots, LeavingTheLineAndReleasingWhatIsNotHeld) {
  connection_slots slots{1, 10};
  const auto first = someone();
  const auto second = someone();
  EXPECT_TRUE(slots.take("http://a", first));
  EXPECT_FALSE(slots.take("http://a", second));
  EXPECT_TRUE(slots.leave(second));  // cancelled while it waited
  EXPECT_FALSE(slots.leave(second));
  EXPECT_EQ(slots.release("http://a"), nullptr);  // nobody left in line
  EXPECT_EQ(slots.release("http://a"), nullptr);  // nothing held: no underflow
  EXPECT_EQ(slots.held(), 0U);
  EXPECT_TRUE(slots.take("http://a", first));
}

}  // namespace
}  // namespace ferry::engine
