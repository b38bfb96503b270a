// ferry::test::loop_fixture — a started io_loop per test, and helpers to await callbacks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "ferry/engine/io/io_loop.hpp"

namespace ferry::test {

/// Every wait in the tests is bounded by this.
inline constexpr auto test_deadline = std::chrono::seconds{60};

/// A loop with one worker thread (tests that need more start their own).
class loop_fixture : public ::testing::Test {
 protected:
  loop_fixture() { loop.start(1); }
  engine::io_loop loop;
};

/// Waits for a future with the test deadline; fails the test (and returns false) on expiry.
template <class T>
bool await(std::future<T>& f) {
  if (f.wait_for(test_deadline) != std::future_status::ready) {
    ADD_FAILURE() << "timed out waiting for a callback";
    return false;
  }
  return true;
}

}  // namespace ferry::test
