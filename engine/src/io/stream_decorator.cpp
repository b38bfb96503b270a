#include "ferry/engine/io/stream_decorator.hpp"

#include <utility>

namespace ferry::engine {

stream_decorator::stream_decorator(std::unique_ptr<stream> inner)
    : stream(inner->loop_state()), inner_(std::move(inner)) {
}

stream_decorator::~stream_decorator() = default;

async_result stream_decorator::begin_send(std::span<const const_buffer> buffers,
                                          async_callback callback, state_ref state, timeout limit) {
  async_result own = start_operation(operation_kind::send, std::move(callback), state);
  async_result user = own;
  forward_send(std::move(own), buffers, limit);
  return user;
}

async_result stream_decorator::begin_receive(mutable_buffer buffer, async_callback callback,
                                             state_ref state, timeout limit) {
  async_result own = start_operation(operation_kind::receive, std::move(callback), state);
  async_result user = own;
  forward_receive(std::move(own), buffer, limit);
  return user;
}

async_result stream_decorator::begin_shutdown(async_callback callback, state_ref state,
                                              timeout limit) {
  async_result own = start_operation(operation_kind::shutdown, std::move(callback), state);
  async_result user = own;
  forward_shutdown(std::move(own), limit);
  return user;
}

void stream_decorator::forward_send(async_result own, std::span<const const_buffer> buffers,
                                    timeout limit) {
  inner_->begin_send(
      buffers,
      [this, own = std::move(own)](async_result& r) mutable {
        std::error_code ec;
        const std::size_t n = inner_->end_send(r, ec);
        post_completion(std::move(own), ec, n);
      },
      {}, limit);
}

void stream_decorator::forward_receive(async_result own, mutable_buffer buffer, timeout limit) {
  inner_->begin_receive(
      buffer,
      [this, own = std::move(own)](async_result& r) mutable {
        std::error_code ec;
        const std::size_t n = inner_->end_receive(r, ec);
        post_completion(std::move(own), ec, n);
      },
      {}, limit);
}

void stream_decorator::forward_shutdown(async_result own, timeout limit) {
  inner_->begin_shutdown(
      [this, own = std::move(own)](async_result& r) mutable {
        std::error_code ec;
        inner_->end_shutdown(r, ec);
        post_completion(std::move(own), ec, 0);
      },
      {}, limit);
}

void stream_decorator::cancel() noexcept {
  inner_->cancel();
}

void stream_decorator::close() noexcept {
  inner_->close();
}

bool stream_decorator::is_open() const noexcept {
  return inner_->is_open();
}

}  // namespace ferry::engine
