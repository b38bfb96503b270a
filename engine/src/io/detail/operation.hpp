// detail::operation — the recycled slot behind every async_result.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <system_error>
#include <vector>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/buffer.hpp"
#include "ferry/engine/io/endpoint.hpp"

namespace ferry::engine::detail {

class loop_state;
class operation_pool;

/// A lock for critical sections of a few instructions (a pointer pushed or popped), where a
/// pthread mutex costs more than the work it guards.
class spin_lock {
 public:
  void lock() noexcept {
    while (flag_.test_and_set(std::memory_order_acquire)) {
      while (flag_.test(std::memory_order_relaxed)) {
      }
    }
  }
  void unlock() noexcept { flag_.clear(std::memory_order_release); }

 private:
  std::atomic_flag flag_;
};

/// Memory for the I/O framework's handlers, so that starting an operation does not touch the
/// heap. `Blocks` blocks of `Size` bytes; a request that finds none free (or is too large) falls
/// back to the heap. Asio frees a handler's memory before invoking it, so chained steps of one
/// operation reuse a block; a second block covers a cancelled timer wait still in the queue.
template <std::size_t Blocks, std::size_t Size>
class basic_handler_arena {
 public:
  void* allocate(std::size_t size) {
    if (size <= Size) {
      for (std::size_t i = 0; i < Blocks; ++i) {
        if (!in_use_[i]) {
          in_use_[i] = true;
          return blocks_[i].bytes;
        }
      }
    }
    return ::operator new(size);
  }
  void deallocate(void* p) noexcept {
    for (std::size_t i = 0; i < Blocks; ++i) {
      if (p == blocks_[i].bytes) {
        in_use_[i] = false;
        return;
      }
    }
    ::operator delete(p);
  }

 private:
  struct block {
    alignas(std::max_align_t) std::byte bytes[Size];
  };
  block blocks_[Blocks];
  bool in_use_[Blocks] = {};
};

/// The arena of one operation: its framework operation (up to TLS over TCP, with a composed
/// write inside) fits in one block; the second holds the strand's invoker when the operation is
/// begun from a thread outside the loop (the queued function and the invoker live together).
using handler_arena = basic_handler_arena<2, 1024>;

/// The arena of one direction's deadline timer: its wait, and the wait's completion queued on a
/// busy strand (192 bytes with Boost 1.81: the handler, the strand and an outstanding-work
/// guard), while a superseded wait may still hold the other block.
using timer_handler_arena = basic_handler_arena<2, 256>;

/// A standard allocator over a handler_arena, for `bind_allocator`.
template <class T, class Arena = handler_arena>
class arena_allocator {
 public:
  using value_type = T;
  template <class U>
  struct rebind {
    using other = arena_allocator<U, Arena>;
  };
  explicit arena_allocator(Arena& arena) noexcept : arena_(&arena) {}
  template <class U>
  arena_allocator(const arena_allocator<U, Arena>& other) noexcept  // NOLINT: rebinding
      : arena_(other.arena_) {}
  T* allocate(std::size_t n) { return static_cast<T*>(arena_->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { arena_->deallocate(p); }
  template <class U>
  bool operator==(const arena_allocator<U, Arena>& other) const noexcept {
    return arena_ == other.arena_;
  }

 private:
  template <class U, class A>
  friend class arena_allocator;
  Arena* arena_;
};

/// One in-flight (or finished but still referenced) operation. Created by a pool, referenced
/// by async_result handles and by the stream that runs it, returned to the pool when the last
/// reference goes.
class operation {
 public:
  static constexpr std::size_t max_buffers = 16;

  // Identity, set when the operation starts.
  operation_kind kind = operation_kind::none;
  const void* owner = nullptr;  // the stream implementation that started it
  state_ref state;
  async_callback callback;

  // Outcome, written once on a loop thread before `completed` is set.
  std::error_code error;
  std::size_t bytes = 0;

  // Payload: copied buffer descriptors for gather writes, endpoints for resolve.
  std::array<const_buffer, max_buffers> buffers{};
  std::size_t buffer_count = 0;
  std::vector<endpoint> endpoints;

  // What runs the operation keeps itself alive through this while the operation is in flight.
  std::shared_ptr<void> keep_alive;

  handler_arena arena;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  [[nodiscard]] bool is_completed() const noexcept {
    return completed_.load(std::memory_order_acquire);
  }
  /// Claims the outcome for end_X; false when it was already claimed.
  [[nodiscard]] bool claim_end() noexcept { return !ended_.exchange(true); }

  /// Publishes the outcome (error and bytes must be set) and wakes waiters.
  void mark_completed() noexcept;
  /// Blocks until completed or the deadline; returns whether completed.
  bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept;

  [[nodiscard]] loop_state& loop() const noexcept { return *loop_; }

 private:
  friend class operation_pool;

  void reset_for_reuse() noexcept;

  std::atomic<int> refs_{0};
  std::atomic<bool> completed_{false};
  std::atomic<bool> ended_{false};
  std::atomic<int> waiters_{0};
  std::mutex mutex_;
  std::condition_variable done_;
  loop_state* loop_ = nullptr;
  std::shared_ptr<operation_pool> pool_;
};

/// The free list of operations of one loop. Grows to the high-water mark of operations in
/// flight and then allocates nothing.
class operation_pool : public std::enable_shared_from_this<operation_pool> {
 public:
  explicit operation_pool(loop_state& loop) noexcept : loop_(&loop) {}
  ~operation_pool();
  operation_pool(const operation_pool&) = delete;
  operation_pool& operator=(const operation_pool&) = delete;

  /// An operation with one reference, owned by the returned handle.
  [[nodiscard]] async_result acquire(operation_kind kind, const void* owner,
                                     async_callback&& callback, state_ref state);
  void recycle(operation* op) noexcept;
  /// Frees the idle operations; operations still referenced free themselves when released.
  void close() noexcept;

  [[nodiscard]] std::size_t created() const noexcept;

 private:
  mutable spin_lock lock_;
  std::vector<operation*> free_;
  std::size_t created_ = 0;
  bool closed_ = false;
  loop_state* loop_;
};

/// The checks of every `end_X`: `result` must be a `kind` operation of `owner`; waits for it if
/// needed (outside the loop); claims the outcome once. Returns the bytes; `ec` gets the outcome
/// or one of invalid_result, wrong_operation, already_ended, would_deadlock.
std::size_t end_operation(operation_kind kind, const void* owner, async_result& result,
                          std::error_code& ec);

/// Completes `op` on the current (loop) thread: publishes the outcome, runs the callback with
/// exceptions caught at the loop's edge, and drops the reference that `op` came with.
void deliver(operation* op, std::error_code ec, std::size_t bytes) noexcept;

}  // namespace ferry::engine::detail
