#include "ferry/engine/io/file_work.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "loop_fixture.hpp"

namespace ferry::engine {
namespace {

TEST(FileWork, RunsOffTheLoopAndCompletesOnIt) {
  io_loop loop;
  loop.start(1, 1);
  std::promise<bool> work_on_loop_thread;
  std::promise<bool> callback_on_loop_thread;
  async_result r = begin_file_work(
      loop,
      [&](std::error_code& ec) {
        work_on_loop_thread.set_value(loop.running_in_this_thread());
        ec = error::no_space;
      },
      [&](async_result&) { callback_on_loop_thread.set_value(loop.running_in_this_thread()); });
  auto work = work_on_loop_thread.get_future();
  auto callback = callback_on_loop_thread.get_future();
  ASSERT_TRUE(test::await(work));
  ASSERT_TRUE(test::await(callback));
  EXPECT_FALSE(work.get());
  EXPECT_TRUE(callback.get());
  std::error_code ec;
  end_file_work(r, ec);
  EXPECT_EQ(ec, error::no_space);                     // the work's own error
  EXPECT_THROW(end_file_work(r), std::system_error);  // already ended
}

TEST(FileWork, AnExceptionIsReportedAndBecomesAnIoError) {
  io_loop loop;
  loop.start(1, 1);
  loop.set_exception_handler([](std::exception_ptr) {});
  async_result r =
      begin_file_work(loop, [](std::error_code&) { throw std::runtime_error{"disk on fire"}; }, {});
  std::error_code ec;
  ASSERT_TRUE(r.wait_for(test::test_deadline));
  end_file_work(r, ec);
  EXPECT_EQ(ec, error::file_io_error);
  EXPECT_EQ(loop.exceptions_caught(), 1U);
}

TEST(FileWork, ARunningLoopWaitsForItsFileWork) {
  // No loop threads: run() must not return while the work is pending.
  io_loop loop;
  std::atomic<bool> called{false};
  async_result r = begin_file_work(
      loop, [](std::error_code&) { std::this_thread::sleep_for(std::chrono::milliseconds{50}); },
      [&](async_result&) { called = true; });
  (void)loop.run();
  EXPECT_TRUE(called.load());
  std::error_code ec;
  end_file_work(r, ec);
  EXPECT_FALSE(ec);
}

TEST(FileWork, ShutdownAbortsWorkNotYetStartedAndWaitsForRunningWork) {
  io_loop loop;
  loop.start(1, 1);  // one file thread: the second job waits behind the first
  std::mutex mutex;
  std::condition_variable changed;
  bool first_running = false;
  bool release_first = false;
  std::atomic<bool> second_ran{false};
  async_result first = begin_file_work(loop,
                                       [&](std::error_code&) {
                                         std::unique_lock lock{mutex};
                                         first_running = true;
                                         changed.notify_all();
                                         changed.wait(lock, [&] { return release_first; });
                                       },
                                       {});
  async_result second = begin_file_work(loop, [&](std::error_code&) { second_ran = true; }, {});
  {
    std::unique_lock lock{mutex};
    ASSERT_TRUE(changed.wait_for(lock, test::test_deadline, [&] { return first_running; }));
  }
  std::thread releaser{[&] {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    std::lock_guard lock{mutex};
    release_first = true;
    changed.notify_all();
  }};
  loop.shutdown();  // returns once the first finished
  releaser.join();
  std::error_code ec;
  end_file_work(first, ec);
  EXPECT_FALSE(ec);  // it ran to its end
  end_file_work(second, ec);
  EXPECT_EQ(ec, error::operation_aborted);
  EXPECT_FALSE(second_ran.load());
}

}  // namespace
}  // namespace ferry::engine
