#include "ferry/engine/io/io_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ferry::engine {
namespace {

TEST(IoLoop, RunExecutesPostedWorkOnTheCallingThread) {
  io_loop loop;
  std::thread::id ran_on;
  bool inside = false;
  loop.post([&] {
    ran_on = std::this_thread::get_id();
    inside = loop.running_in_this_thread();
  });
  EXPECT_FALSE(loop.running_in_this_thread());
  EXPECT_EQ(loop.run(), 1U);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(inside);
}

TEST(IoLoop, PostNeverRunsInline) {
  io_loop loop;
  int value = 0;
  loop.post([&] { value = 1; });
  EXPECT_EQ(value, 0);
  loop.poll();
  EXPECT_EQ(value, 1);
}

TEST(IoLoop, WorkerThreadsRunWorkUntilShutdown) {
  io_loop loop;
  loop.start(2);
  std::atomic<int> count{0};
  for (int i = 0; i < 1000; ++i) {
    loop.post([&] { ++count; });
  }
  loop.shutdown();
  EXPECT_EQ(count.load(), 1000);
}

TEST(IoLoop, ExceptionsFromPostedWorkAreCaughtAtTheEdge) {
  io_loop loop;
  loop.set_exception_handler([](std::exception_ptr) {});
  loop.post([] { throw std::logic_error{"boom"}; });
  loop.post([] { throw 42; });
  EXPECT_NO_THROW(loop.run());
  EXPECT_EQ(loop.exceptions_caught(), 2U);
}

TEST(IoLoop, StopMakesRunReturnAndRunCanResume) {
  io_loop loop;
  int ran = 0;
  loop.post([&] {
    ++ran;
    loop.stop();
  });
  loop.post([&] { ++ran; });
  loop.run();
  EXPECT_EQ(ran, 1);
  loop.run();
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace ferry::engine
