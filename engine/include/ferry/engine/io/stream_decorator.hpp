// ferry::engine::stream_decorator — a stream over another stream, for wrappers that change a few
// operations and pass the rest through (pacing, accounting, logging, fault injection).
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "ferry/engine/io/stream.hpp"

namespace ferry::engine {

/// Owns an inner stream and, by default, forwards every operation to it. Each operation is the
/// decorator's own (the caller's `end_X` goes to the decorator): a forwarded one starts on the
/// inner stream and completes as the decorator's, on a loop thread, with the inner outcome. A
/// subclass overrides what it changes; inside an override, `start_operation` and
/// `post_completion` (from `stream`) make and finish the decorator's own operations, and
/// `inner()` is the stream underneath. `cancel`, `close` and `is_open` reach the inner stream.
///
///     class counting_stream final : public stream_decorator {
///      public:
///       using stream_decorator::stream_decorator;
///       using stream_decorator::begin_send;
///       async_result begin_send(std::span<const const_buffer> b, async_callback cb,
///                               state_ref s = {}, timeout t = no_timeout) override {
///         for (const auto& piece : b) { sent += piece.size; }
///         return stream_decorator::begin_send(b, std::move(cb), s, t);
///       }
///       std::size_t sent = 0;
///     };
class stream_decorator : public stream {
 public:
  /// `inner` must not be null; the decorator runs on its loop.
  explicit stream_decorator(std::unique_ptr<stream> inner);
  ~stream_decorator() override;

  using stream::begin_send;
  async_result begin_send(std::span<const const_buffer> buffers, async_callback callback,
                          state_ref state = {}, timeout limit = no_timeout) override;
  async_result begin_receive(mutable_buffer buffer, async_callback callback, state_ref state = {},
                             timeout limit = no_timeout) override;
  async_result begin_shutdown(async_callback callback, state_ref state = {},
                              timeout limit = no_timeout) override;
  void cancel() noexcept override;
  void close() noexcept override;
  [[nodiscard]] bool is_open() const noexcept override;

 protected:
  [[nodiscard]] stream& inner() noexcept { return *inner_; }
  [[nodiscard]] const stream& inner() const noexcept { return *inner_; }

  /// The forwarding itself, for an override that decided to pass an operation on: starts it on
  /// the inner stream and completes `own` (the decorator's operation) with its outcome.
  void forward_send(async_result own, std::span<const const_buffer> buffers, timeout limit);
  void forward_receive(async_result own, mutable_buffer buffer, timeout limit);
  void forward_shutdown(async_result own, timeout limit);

 private:
  std::unique_ptr<stream> inner_;
};

}  // namespace ferry::engine
