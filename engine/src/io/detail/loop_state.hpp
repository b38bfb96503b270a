// detail::loop_state — what operations and streams need of a loop, without Asio.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

#include "operation.hpp"

namespace ferry::engine::detail {

/// Something a loop must stop at shutdown (an open socket): abort() cancels its pending
/// operations, which then complete with operation_aborted.
class abortable {
 public:
  virtual ~abortable() = default;
  virtual void abort() noexcept = 0;
};

/// The shared state of one io_loop. Streams and operations keep it alive.
class loop_state {
 public:
  loop_state();
  virtual ~loop_state();
  loop_state(const loop_state&) = delete;
  loop_state& operator=(const loop_state&) = delete;

  /// True on a thread that is running this loop (and so must not block on its operations).
  [[nodiscard]] virtual bool running_in_this_thread() const noexcept = 0;
  /// Runs `fn` on a loop thread later (never inline). Used to complete operations that fail
  /// before any I/O starts.
  virtual void post(operation* op, std::error_code ec, std::size_t bytes) noexcept = 0;

  [[nodiscard]] operation_pool& pool() noexcept { return *pool_; }
  [[nodiscard]] bool shutting_down() const noexcept {
    return shutting_down_.load(std::memory_order_acquire);
  }

  /// Invokes a user callback; an exception is caught here and reported, never rethrown.
  void invoke(async_callback& callback, async_result& result) noexcept;
  void report(std::exception_ptr error) noexcept;
  void set_exception_handler(std::function<void(std::exception_ptr)> handler);
  [[nodiscard]] std::size_t exceptions_caught() const noexcept {
    return exceptions_.load(std::memory_order_relaxed);
  }

  void add(const std::shared_ptr<abortable>& object);
  /// Marks the loop as shutting down and aborts every registered object that is still alive.
  void abort_all() noexcept;

 protected:
  std::atomic<bool> shutting_down_{false};

 private:
  std::shared_ptr<operation_pool> pool_;
  std::atomic<std::size_t> exceptions_{0};
  std::mutex mutex_;
  std::function<void(std::exception_ptr)> exception_handler_;
  std::vector<std::weak_ptr<abortable>> objects_;
};

}  // namespace ferry::engine::detail
