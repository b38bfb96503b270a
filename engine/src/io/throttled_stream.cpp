#include "ferry/engine/io/throttled_stream.hpp"

#include <algorithm>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/throttle.hpp"

namespace ferry::engine {
namespace {

// The most a receive asks the bucket for at once: small enough that one receive never eats a
// second's worth of a slow rate, large enough not to matter at a fast one.
constexpr std::size_t receive_grant = 64 * 1024;

}  // namespace

throttled_stream::throttled_stream(io_loop& loop, std::unique_ptr<stream> inner, throttle& limit)
    : stream_decorator(std::move(inner)),
      limit_(&limit),
      receive_wait_(loop, limit.time_source()),  // waits on the bucket's own clock
      send_wait_(loop, limit.time_source()) {
}

throttled_stream::~throttled_stream() = default;

async_result throttled_stream::begin_receive(mutable_buffer buffer, async_callback callback,
                                             state_ref state, timeout limit) {
  async_result own = start_operation(operation_kind::receive, std::move(callback), state);
  async_result user = own;
  receive_when_granted(std::move(own), buffer, limit);
  return user;
}

void throttled_stream::receive_when_granted(async_result own, mutable_buffer into, timeout limit) {
  const std::size_t want = std::min(into.size, receive_grant);
  const std::size_t granted = want == 0 ? 0 : limit_->acquire(want);
  if (granted == 0 && want != 0) {
    receive_wait_.begin_wait(limit_->delay_for(want),
                             [this, own = std::move(own), into, limit](async_result& r) mutable {
                               std::error_code ec;
                               receive_wait_.end_wait(r, ec);
                               if (ec) {
                                 return post_completion(std::move(own), ec, 0);
                               }
                               receive_when_granted(std::move(own), into, limit);
                             });
    return;
  }
  forward_receive(std::move(own), buffer(into.data, granted), limit);
}

async_result throttled_stream::begin_send(std::span<const const_buffer> buffers,
                                          async_callback callback, state_ref state, timeout limit) {
  async_result own = start_operation(operation_kind::send, std::move(callback), state);
  async_result user = own;
  if (buffers.size() > send_buffers_.size()) {
    post_completion(std::move(own), error::too_many_buffers, 0);
    return user;
  }
  std::size_t total = 0;
  send_count_ = buffers.size();
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    send_buffers_[i] = buffers[i];
    total += buffers[i].size;
  }
  send_when_paid(std::move(own), total, limit);
  return user;
}

void throttled_stream::send_when_paid(async_result own, std::size_t owed, timeout limit) {
  while (owed > 0) {
    const std::size_t granted = limit_->acquire(owed);
    if (granted == 0) {
      break;
    }
    owed -= granted;
  }
  if (owed > 0) {
    send_wait_.begin_wait(limit_->delay_for(owed),
                          [this, own = std::move(own), owed, limit](async_result& r) mutable {
                            std::error_code ec;
                            send_wait_.end_wait(r, ec);
                            if (ec) {
                              return post_completion(std::move(own), ec, 0);
                            }
                            send_when_paid(std::move(own), owed, limit);
                          });
    return;
  }
  forward_send(std::move(own), std::span<const const_buffer>{send_buffers_.data(), send_count_},
               limit);
}

void throttled_stream::cancel() noexcept {
  receive_wait_.cancel();
  send_wait_.cancel();
  stream_decorator::cancel();
}

void throttled_stream::close() noexcept {
  receive_wait_.cancel();
  send_wait_.cancel();
  stream_decorator::close();
}

}  // namespace ferry::engine
