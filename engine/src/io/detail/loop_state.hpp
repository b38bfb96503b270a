// detail::loop_state — what operations and streams need of a loop, without Asio.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "operation.hpp"

namespace ferry::engine::detail {

class loop_state;

/// Something a loop must stop at shutdown (an open socket): abort() cancels its pending
/// operations, which then complete with operation_aborted. Registered with loop_state::add; it
/// leaves the registry when it is destroyed, so a dead object's memory goes with it.
class abortable {
 public:
  abortable() = default;
  abortable(const abortable&) = delete;
  abortable& operator=(const abortable&) = delete;
  virtual ~abortable();
  virtual void abort() noexcept = 0;

 private:
  friend class loop_state;
  std::shared_ptr<loop_state> registry_;  // kept alive until this object has left it
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

  /// Registers `object` with `loop` until the object is destroyed.
  static void add(const std::shared_ptr<loop_state>& loop,
                  const std::shared_ptr<abortable>& object);
  /// Marks the loop as shutting down and aborts every registered object that is still alive.
  void abort_all() noexcept;

 protected:
  std::atomic<bool> shutting_down_{false};

 private:
  friend class abortable;
  std::shared_ptr<operation_pool> pool_;
  std::atomic<std::size_t> exceptions_{0};
  std::mutex mutex_;
  std::function<void(std::exception_ptr)> exception_handler_;
  struct registered {
    abortable* raw;                  // to find the entry when the object leaves
    std::weak_ptr<abortable> owner;  // to keep it alive while abort_all() aborts it
  };
  void remove(const abortable* object) noexcept;
  std::vector<registered> objects_;
};

}  // namespace ferry::engine::detail
