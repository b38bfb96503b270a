#include "failing_stream.hpp"

namespace ferry::test {

using namespace ferry::engine;

failing_stream::failing_stream(std::unique_ptr<stream> inner, std::size_t fail_at,
                               std::error_code failure, std::atomic<int>* injected)
    : stream_decorator(std::move(inner)),
      fail_at_(fail_at),
      failure_(failure),
      injected_(injected) {
}

bool failing_stream::fail_now(async_result& own) {
  if (count_++ != fail_at_) {
    return false;
  }
  if (injected_ != nullptr) {
    ++*injected_;
  }
  post_completion(std::move(own), failure_, 0);
  return true;
}

async_result failing_stream::begin_send(std::span<const const_buffer> buffers,
                                        async_callback callback, state_ref state, timeout limit) {
  async_result own = start_operation(operation_kind::send, std::move(callback), state);
  async_result user = own;
  if (!fail_now(own)) {
    forward_send(std::move(own), buffers, limit);
  }
  return user;
}

async_result failing_stream::begin_receive(mutable_buffer buffer, async_callback callback,
                                           state_ref state, timeout limit) {
  async_result own = start_operation(operation_kind::receive, std::move(callback), state);
  async_result user = own;
  if (!fail_now(own)) {
    forward_receive(std::move(own), buffer, limit);
  }
  return user;
}

async_result failing_stream::begin_shutdown(async_callback callback, state_ref state,
                                            timeout limit) {
  async_result own = start_operation(operation_kind::shutdown, std::move(callback), state);
  async_result user = own;
  if (!fail_now(own)) {
    forward_shutdown(std::move(own), limit);
  }
  return user;
}

}  // namespace ferry::test
