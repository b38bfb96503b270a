#include "ferry/engine/io/async_callback.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <utility>

#include "ferry/engine/io/async_result.hpp"

namespace ferry::engine {
namespace {

// Counts the live copies of what a callback captured: a moved-from callback must not keep one.
struct tracked {
  explicit tracked(int* live) : live_(live) { ++*live_; }
  tracked(tracked&& other) noexcept : live_(std::exchange(other.live_, nullptr)) {}
  tracked(const tracked&) = delete;
  ~tracked() {
    if (live_ != nullptr) {
      --*live_;
    }
  }
  int* live_;
};

TEST(AsyncCallback, InvokesWhatItHoldsAndIsEmptyByDefault) {
  async_callback empty;
  EXPECT_FALSE(empty);
  int calls = 0;
  async_callback cb{[&calls](async_result&) { ++calls; }};
  ASSERT_TRUE(cb);
  async_result r;
  cb(r);
  cb(r);
  EXPECT_EQ(calls, 2);
}

TEST(AsyncCallback, InlineAndHeapCallablesMoveWithoutCopiesAndAreDestroyedOnce) {
  int live = 0;
  {
    // Inline: up to inline_size bytes (a pointer and a tracked object).
    async_callback small{[t = tracked{&live}](async_result&) {}};
    EXPECT_EQ(live, 1);
    async_callback moved{std::move(small)};
    EXPECT_FALSE(small);  // NOLINT: moved-from is empty, by contract
    EXPECT_EQ(live, 1);   // moved, not copied, and the source gave its capture up
    // On the heap: more than inline_size bytes of capture.
    std::array<char, async_callback::inline_size + 8> big{};
    big[0] = 'x';
    char seen = 0;
    async_callback large{[t = tracked{&live}, big, &seen](async_result&) { seen = big[0]; }};
    EXPECT_EQ(live, 2);
    async_callback other = std::move(large);
    EXPECT_FALSE(large);  // NOLINT
    EXPECT_EQ(live, 2);
    async_result r;
    other(r);
    EXPECT_EQ(seen, 'x');
    moved = std::move(other);  // assignment destroys what `moved` held first
    EXPECT_EQ(live, 1);
  }
  EXPECT_EQ(live, 0);  // everything captured was destroyed, inline or on the heap
}

TEST(AsyncCallback, ResetDestroysTheCaptureAtOnce) {
  int live = 0;
  async_callback cb{[t = tracked{&live}](async_result&) {}};
  EXPECT_EQ(live, 1);
  cb.reset();
  EXPECT_FALSE(cb);
  EXPECT_EQ(live, 0);
  cb.reset();  // idempotent
}

TEST(AsyncCallback, ACallableWhoseMoveMayThrowIsKeptAndRuns) {
  // Inline storage needs a nothrow move (moving a callback is noexcept); such a callable is
  // stored behind a pointer instead, and still runs.
  struct throwing_move {
    throwing_move() = default;
    throwing_move(throwing_move&& other) noexcept(false) : calls(other.calls) {}
    void operator()(async_result&) { ++*calls; }
    int* calls = nullptr;
  };
  int calls = 0;
  throwing_move f;
  f.calls = &calls;
  async_callback cb{std::move(f)};
  async_callback moved{std::move(cb)};
  async_result r;
  moved(r);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ferry::engine
