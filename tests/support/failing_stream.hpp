// ferry::test::failing_stream — a stream that fails its Nth operation (Beast's fail_count).
#pragma once

#include <atomic>
#include <memory>
#include <system_error>

#include "ferry/engine/io/stream_decorator.hpp"

namespace ferry::test {

/// Wraps another stream and forwards every operation to it, except the `fail_at`-th (counting
/// sends, receives and shutdowns from 0), which completes with `failure` without touching the
/// inner stream. Tests loop `fail_at` upward from 0 until the code under test succeeds: then
/// every error path of that code has run.
class failing_stream final : public engine::stream_decorator {
 public:
  /// `injected`, when given, is incremented when this stream injects its failure (for tests
  /// whose streams are destroyed by the code under test before they can be asked).
  failing_stream(std::unique_ptr<engine::stream> inner, std::size_t fail_at,
                 std::error_code failure, std::atomic<int>* injected = nullptr);

  using stream::begin_send;
  engine::async_result begin_send(std::span<const engine::const_buffer> buffers,
                                  engine::async_callback callback, engine::state_ref state = {},
                                  engine::timeout limit = engine::no_timeout) override;
  engine::async_result begin_receive(engine::mutable_buffer buffer, engine::async_callback callback,
                                     engine::state_ref state = {},
                                     engine::timeout limit = engine::no_timeout) override;
  engine::async_result begin_shutdown(engine::async_callback callback, engine::state_ref state = {},
                                      engine::timeout limit = engine::no_timeout) override;

  /// Operations begun so far, failed or not.
  [[nodiscard]] std::size_t operations() const noexcept { return count_; }
  [[nodiscard]] bool failed() const noexcept { return count_ > fail_at_; }

 private:
  bool fail_now(engine::async_result& own);

  std::size_t fail_at_;
  std::error_code failure_;
  std::atomic<int>* injected_;
  std::size_t count_ = 0;
};

}  // namespace ferry::test
