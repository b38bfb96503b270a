// ferry::engine::throttled_stream — a stream whose sends and receives are paced by a throttle.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "ferry/engine/io/stream_decorator.hpp"
#include "ferry/engine/io/timer.hpp"

namespace ferry::engine {

class throttle;

/// Wraps another stream and paces it with a `throttle` (whose parents, if any, limit it too):
/// a receive asks for at most the bytes the bucket grants now, and waits on a timer while the
/// bucket is empty; a send waits until the bucket has paid for all of its bytes, then sends
/// them at once. Waiting does not count against an operation's deadline, which starts when
/// the bytes may move. `cancel` and `close` end waits too (`operation_aborted`).
///
/// Typical use: `client_options::wrap_stream` wraps every connection of a client, so that a
/// download (or every download of a client) keeps to a rate.
class throttled_stream final : public stream_decorator {
 public:
  /// `limit` must outlive the stream; `loop` runs the waits.
  throttled_stream(io_loop& loop, std::unique_ptr<stream> inner, throttle& limit);
  ~throttled_stream() override;

  using stream_decorator::begin_send;
  async_result begin_send(std::span<const const_buffer> buffers, async_callback callback,
                          state_ref state = {}, timeout limit = no_timeout) override;
  async_result begin_receive(mutable_buffer buffer, async_callback callback, state_ref state = {},
                             timeout limit = no_timeout) override;
  void cancel() noexcept override;
  void close() noexcept override;

 private:
  void receive_when_granted(async_result own, mutable_buffer into, timeout limit);
  void send_when_paid(async_result own, std::size_t owed, timeout limit);

  throttle* limit_;
  timer receive_wait_;
  timer send_wait_;
  std::array<const_buffer, 16> send_buffers_{};
  std::size_t send_count_ = 0;
};

}  // namespace ferry::engine
