// An in-memory HTTP peer for the whole-transfer fuzzer: a `stream` whose every request is
// answered by a function, with the answer cut, reset or trickled as the answer says. Every
// completion is posted to the loop, never run inline, as a socket's would be.
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/stream.hpp"

namespace ferry::fuzz {

/// What the peer sends for one request.
struct peer_answer {
  std::string bytes;              ///< the response, as bytes on the wire
  std::size_t cut = SIZE_MAX;     ///< send only this many bytes, then close
  bool reset = false;             ///< close with a reset instead of a clean EOF
  std::size_t piece = 1U << 16U;  ///< the most one receive gets
  bool keep_alive = true;         ///< may another request follow on this connection
};

class memory_peer final : public engine::stream {
 public:
  /// `answer` gets each request's head (and any body) and says what to send back.
  memory_peer(engine::io_loop& loop, std::function<peer_answer(const std::string&)> answer)
      : stream(loop), answer_(std::move(answer)) {}

  using stream::begin_send;
  engine::async_result begin_send(std::span<const engine::const_buffer> buffers,
                                  engine::async_callback callback, engine::state_ref state = {},
                                  engine::timeout = engine::no_timeout) override {
    engine::async_result own =
        start_operation(engine::operation_kind::send, std::move(callback), state);
    engine::async_result user = own;
    if (!open_) {
      post_completion(std::move(own), engine::error::operation_aborted, 0);
      return user;
    }
    std::size_t total = 0;
    for (const auto& b : buffers) {
      request_.append(static_cast<const char*>(b.data), b.size);
      total += b.size;
    }
    if (!answered_ && request_.find("\r\n\r\n") != std::string::npos) {
      current_ = answer_(request_);
      request_.clear();
      answered_ = true;
      sent_ = 0;
    }
    post_completion(std::move(own), {}, total);
    return user;
  }

  engine::async_result begin_receive(engine::mutable_buffer into, engine::async_callback callback,
                                     engine::state_ref state = {},
                                     engine::timeout = engine::no_timeout) override {
    engine::async_result own =
        start_operation(engine::operation_kind::receive, std::move(callback), state);
    engine::async_result user = own;
    if (!open_) {
      post_completion(std::move(own), engine::error::operation_aborted, 0);
      return user;
    }
    if (!answered_) {
      post_completion(std::move(own), {}, 0);  // nothing asked: the peer closes
      return user;
    }
    const std::size_t end = std::min(current_.cut, current_.bytes.size());
    if (sent_ >= end) {
      if (sent_ < current_.bytes.size() && current_.reset) {
        post_completion(std::move(own), engine::error::connection_reset, 0);
      } else if (sent_ < current_.bytes.size() || !current_.keep_alive) {
        post_completion(std::move(own), {}, 0);
      } else {
        answered_ = false;  // between requests; a receive now means the peer closed
        post_completion(std::move(own), {}, 0);
      }
      return user;
    }
    const std::size_t n = std::min({into.size, current_.piece, end - sent_});
    std::memcpy(into.data, current_.bytes.data() + sent_, n);
    sent_ += n;
    if (sent_ == current_.bytes.size() && current_.keep_alive) {
      answered_ = false;  // ready for the next request on this connection
    }
    post_completion(std::move(own), {}, n);
    return user;
  }

  engine::async_result begin_shutdown(engine::async_callback callback, engine::state_ref state = {},
                                      engine::timeout = engine::no_timeout) override {
    engine::async_result own =
        start_operation(engine::operation_kind::shutdown, std::move(callback), state);
    engine::async_result user = own;
    post_completion(std::move(own), {}, 0);
    return user;
  }

  void cancel() noexcept override {}
  void close() noexcept override { open_ = false; }
  [[nodiscard]] bool is_open() const noexcept override { return open_; }

 private:
  std::function<peer_answer(const std::string&)> answer_;
  std::string request_;
  peer_answer current_;
  std::size_t sent_ = 0;
  bool answered_ = false;
  bool open_ = true;
};

}  // namespace ferry::fuzz
