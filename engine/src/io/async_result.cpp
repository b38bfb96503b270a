#include "ferry/engine/io/async_result.hpp"

#include "detail/loop_state.hpp"
#include "detail/operation.hpp"
#include "ferry/engine/error.hpp"

namespace ferry::engine {

async_result::async_result(const async_result& other) noexcept : op_(other.op_) {
  if (op_ != nullptr) {
    op_->add_ref();
  }
}

async_result::async_result(async_result&& other) noexcept : op_(other.op_) {
  other.op_ = nullptr;
}

async_result& async_result::operator=(const async_result& other) noexcept {
  async_result copy{other};
  std::swap(op_, copy.op_);
  return *this;
}

async_result& async_result::operator=(async_result&& other) noexcept {
  async_result moved{std::move(other)};
  std::swap(op_, moved.op_);
  return *this;
}

async_result::~async_result() {
  if (op_ != nullptr) {
    op_->release();
  }
}

async_result async_result::adopt(detail::operation* op) noexcept {
  async_result result;
  result.op_ = op;
  return result;
}

bool async_result::is_completed() const noexcept {
  return op_ != nullptr && op_->is_completed();
}

void async_result::wait(std::error_code& ec) const {
  (void)wait_for(std::chrono::steady_clock::duration::max(), ec);
}

void async_result::wait() const {
  std::error_code ec;
  wait(ec);
  if (ec) {
    throw std::system_error{ec, "async_result::wait"};
  }
}

bool async_result::wait_for(std::chrono::nanoseconds limit, std::error_code& ec) const {
  ec = {};
  if (op_ == nullptr) {
    ec = error::invalid_result;
    return false;
  }
  if (op_->is_completed()) {
    return true;
  }
  if (op_->loop().running_in_this_thread()) {
    ec = error::would_deadlock;
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto room = std::chrono::steady_clock::time_point::max() - now;
  const auto deadline =
      limit >= room ? std::chrono::steady_clock::time_point::max()
                    : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit);
  return op_->wait_until(deadline);
}

bool async_result::wait_for(std::chrono::nanoseconds limit) const {
  std::error_code ec;
  const bool completed = wait_for(limit, ec);
  if (ec) {
    throw std::system_error{ec, "async_result::wait_for"};
  }
  return completed;
}

std::error_code async_result::error() const noexcept {
  return is_completed() ? op_->error : std::error_code{};
}

std::size_t async_result::bytes_transferred() const noexcept {
  return is_completed() ? op_->bytes : 0;
}

operation_kind async_result::kind() const noexcept {
  return op_ != nullptr ? op_->kind : operation_kind::none;
}

state_ref async_result::state_object() const noexcept {
  return op_ != nullptr ? op_->state : state_ref{};
}

}  // namespace ferry::engine
