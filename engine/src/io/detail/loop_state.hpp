// detail::loop_state — what operations and streams need of a loop, without Asio.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
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

  /// Queues `work` for the loop's file-work threads (started at the first call; see
  /// `set_file_threads`): blocking file work (a sync, a digest, a rename) that no loop thread
  /// may wait for. `op` then completes on a loop thread with the error `work` set, or with
  /// operation_aborted when the loop shuts down before the work started. Queued work counts as
  /// the loop's work, so `run` does not return while it is pending.
  void queue_file_work(operation* op, std::function<void(std::error_code&)> work) noexcept;
  /// How many file-work threads the first queued work starts (at least one).
  void set_file_threads(unsigned count) noexcept;
  /// Queued work completes with operation_aborted; running work is waited for; the threads
  /// are joined. Must not be called on a file-work thread.
  void stop_file_work() noexcept;
  /// For the loop underneath: outstanding work that is not an I/O object of its own.
  virtual void work_started() noexcept = 0;
  virtual void work_finished() noexcept = 0;

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

  struct file_job {
    operation* op;
    std::function<void(std::error_code&)> work;
  };
  void run_file_work() noexcept;  // one file-work thread's life
  std::mutex file_mutex_;
  std::condition_variable file_wake_;
  std::deque<file_job> file_jobs_;
  std::vector<std::thread> file_threads_;
  unsigned file_thread_count_ = 1;
  bool file_work_stopped_ = false;
};

}  // namespace ferry::engine::detail
