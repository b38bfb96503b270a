#include "ferry/engine/io/stream.hpp"

#include "detail/loop_state.hpp"
#include "detail/operation.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/io_loop.hpp"

namespace ferry::engine {

stream::stream(io_loop& loop) : loop_(loop.state()) {
}
stream::stream(std::shared_ptr<detail::loop_state> loop) noexcept : loop_(std::move(loop)) {
}
stream::~stream() = default;

async_result stream::begin_send(const_buffer buffer, async_callback callback, state_ref state,
                                timeout limit) {
  return begin_send(std::span<const const_buffer>{&buffer, 1}, std::move(callback), state, limit);
}

std::size_t stream::end_send(async_result& result, std::error_code& ec) {
  return end_operation(operation_kind::send, result, ec);
}
std::size_t stream::end_send(async_result& result) {
  std::error_code ec;
  const std::size_t n = end_send(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_send"};
  }
  return n;
}

std::size_t stream::end_receive(async_result& result, std::error_code& ec) {
  return end_operation(operation_kind::receive, result, ec);
}
std::size_t stream::end_receive(async_result& result) {
  std::error_code ec;
  const std::size_t n = end_receive(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_receive"};
  }
  return n;
}

void stream::end_shutdown(async_result& result, std::error_code& ec) {
  (void)end_operation(operation_kind::shutdown, result, ec);
}
void stream::end_shutdown(async_result& result) {
  std::error_code ec;
  end_shutdown(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_shutdown"};
  }
}

async_result stream::start_operation(operation_kind kind, async_callback&& callback,
                                     state_ref state) {
  return loop_->pool().acquire(kind, operation_owner(), std::move(callback), state);
}

void stream::post_completion(async_result&& operation, std::error_code ec,
                             std::size_t bytes) noexcept {
  // The handle's reference travels with the posted completion.
  detail::operation* op = operation.release();
  if (op != nullptr) {
    loop_->post(op, ec, bytes);
  }
}

std::size_t stream::end_operation(operation_kind kind, async_result& result, std::error_code& ec) {
  return detail::end_operation(kind, operation_owner(), result, ec);
}

endpoint stream::end_connect_operation(async_result& result, std::error_code& ec) {
  (void)end_operation(operation_kind::connect, result, ec);
  if (ec || result.operation()->endpoints.empty()) {
    return {};
  }
  return result.operation()->endpoints.front();
}

}  // namespace ferry::engine
