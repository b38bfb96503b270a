// detail::asio_loop — the loop_state implementation on an Asio io_context. Asio TUs only.
#pragma once

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "loop_state.hpp"

namespace ferry::engine::detail {

namespace asio = boost::asio;

/// A completion waiting in the loop's queue. If the queue is destroyed without running it
/// (a borrowed io_context destroyed with work pending), the operation's reference is dropped.
class posted_completion {
 public:
  posted_completion(operation* op, std::error_code ec, std::size_t bytes) noexcept
      : op_(op), ec_(ec), bytes_(bytes) {}
  posted_completion(posted_completion&& other) noexcept
      : op_(std::exchange(other.op_, nullptr)), ec_(other.ec_), bytes_(other.bytes_) {}
  posted_completion(const posted_completion&) = delete;
  posted_completion& operator=(const posted_completion&) = delete;
  posted_completion& operator=(posted_completion&&) = delete;
  ~posted_completion() {
    if (op_ != nullptr) {
      op_->release();
    }
  }
  void operator()() noexcept { deliver(std::exchange(op_, nullptr), ec_, bytes_); }

 private:
  operation* op_;
  std::error_code ec_;
  std::size_t bytes_;
};

class asio_loop final : public loop_state {
 public:
  asio_loop() : owned_(std::in_place, 1), context_(&*owned_) {}
  explicit asio_loop(asio::io_context& borrowed) : context_(&borrowed) {}
  ~asio_loop() override { stop_file_work(); }
  asio_loop(const asio_loop&) = delete;
  asio_loop& operator=(const asio_loop&) = delete;

  [[nodiscard]] asio::io_context& context() noexcept { return *context_; }
  [[nodiscard]] bool owns_context() const noexcept { return owned_.has_value(); }

  [[nodiscard]] bool running_in_this_thread() const noexcept override {
    return context_->get_executor().running_in_this_thread();
  }

  void work_started() noexcept override { context_->get_executor().on_work_started(); }
  void work_finished() noexcept override { context_->get_executor().on_work_finished(); }

  void post(operation* op, std::error_code ec, std::size_t bytes) noexcept override {
    asio::post(*context_, asio::bind_allocator(arena_allocator<void>{op->arena},
                                               posted_completion{op, ec, bytes}));
  }

  std::optional<asio::io_context> owned_;
  asio::io_context* context_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::mutex lifecycle_;
};

/// The Asio loop behind a loop_state (every loop_state is an asio_loop).
[[nodiscard]] inline asio_loop& asio_of(loop_state& loop) noexcept {
  return static_cast<asio_loop&>(loop);
}

}  // namespace ferry::engine::detail
