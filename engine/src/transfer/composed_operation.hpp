// composed_operation — the Begin/End side of an engine object above io/ (a connection's request,
// a client's exchange, a download, an upload; sessions next): one slot of the loop's operation
// pool per begin, a completion that is always posted (a callback never runs in its caller's
// frame or under its owner's lock), and end_X's checks in one place. Engine-internal: the only
// file above io/ that reaches into io/detail.
#pragma once

#include <memory>
#include <system_error>
#include <utility>

#include "../io/detail/loop_state.hpp"
#include "../io/detail/operation.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/async_result.hpp"

namespace ferry::engine {

/// The owner's reference to one begun operation, until it completes.
class composed_operation {
 public:
  composed_operation() noexcept = default;
  composed_operation(const composed_operation&) = delete;
  composed_operation& operator=(const composed_operation&) = delete;
  composed_operation(composed_operation&& other) noexcept
      : loop_(other.loop_), op_(std::exchange(other.op_, nullptr)) {}
  composed_operation& operator=(composed_operation&& other) noexcept {
    if (this != &other) {
      complete(make_error_code(error::operation_aborted));
      loop_ = other.loop_;
      op_ = std::exchange(other.op_, nullptr);
    }
    return *this;
  }
  /// An owner that goes with its operation pending ends it (a safety net: owners complete).
  ~composed_operation() { complete(make_error_code(error::operation_aborted)); }

  /// begin_X: a slot for `owner` with the caller's callback and state; the returned handle is
  /// the caller's, and this object holds the slot until complete(). A pending one is ended
  /// first (owners begin only when none is pending).
  [[nodiscard]] async_result begin(detail::loop_state& loop, const void* owner,
                                   async_callback&& callback, state_ref state) {
    async_result engine_ref =
        loop.pool().acquire(operation_kind::composed, owner, std::move(callback), state);
    async_result user_ref = engine_ref;
    complete(make_error_code(error::operation_aborted));
    loop_ = &loop;
    op_ = engine_ref.release();
    return user_ref;
  }

  /// begin_X that cannot start (busy, closed, invalid): a handle that completes at once, posted,
  /// with `why`; nothing becomes pending.
  [[nodiscard]] static async_result refuse(detail::loop_state& loop, const void* owner,
                                           async_callback&& callback, state_ref state,
                                           std::error_code why) {
    async_result engine_ref =
        loop.pool().acquire(operation_kind::composed, owner, std::move(callback), state);
    async_result user_ref = engine_ref;
    loop.post(engine_ref.release(), why, 0);
    return user_ref;
  }

  /// What the slot keeps alive until it completes and its last handle is gone: the owner (and,
  /// through it, a result end_X reads after the owner's other references went).
  void keep_alive(std::shared_ptr<void> object) const noexcept {
    op_->keep_alive = std::move(object);
  }

  [[nodiscard]] bool pending() const noexcept { return op_ != nullptr; }

  /// Ends the operation with `ec`: its completion is posted to the loop. Nothing when none is
  /// pending.
  void complete(std::error_code ec, std::size_t bytes = 0) noexcept {
    if (detail::operation* op = std::exchange(op_, nullptr)) {
      loop_->post(op, ec, bytes);
    }
  }

  /// Ends it here, and leaves the posting to the returned object (an owner that first delivers
  /// its events with no lock held completes that one afterwards).
  [[nodiscard]] composed_operation take() noexcept { return std::move(*this); }

  /// end_X's checks: `result` must be an operation of `owner`; waits for it outside the loop;
  /// claims the outcome once. Returns the bytes; `ec` gets the outcome or one of
  /// invalid_result, wrong_operation, already_ended, would_deadlock.
  static std::size_t end(const void* owner, async_result& result, std::error_code& ec) {
    return detail::end_operation(operation_kind::composed, owner, result, ec);
  }

  /// Whether an `end` that reported `ec` may still return what is known of the operation: not
  /// after a misuse of end_X (an empty or foreign handle, a second end, a wait on the loop),
  /// which says nothing about the operation itself.
  [[nodiscard]] static bool outcome_known(std::error_code ec) noexcept {
    return ec != error::invalid_result && ec != error::wrong_operation &&
           ec != error::already_ended && ec != error::would_deadlock;
  }

  /// The object `result`'s slot keeps alive, when `result` is an operation of `owner`.
  [[nodiscard]] static void* kept(const void* owner, const async_result& result) noexcept {
    const detail::operation* op = result.operation();
    if (op == nullptr || op->kind != operation_kind::composed || op->owner != owner) {
      return nullptr;
    }
    return op->keep_alive.get();
  }
  [[nodiscard]] static std::shared_ptr<void> kept_shared(const void* owner,
                                                         const async_result& result) noexcept {
    const detail::operation* op = result.operation();
    if (op == nullptr || op->kind != operation_kind::composed || op->owner != owner) {
      return nullptr;
    }
    return op->keep_alive;
  }

 private:
  detail::loop_state* loop_ = nullptr;
  detail::operation* op_ = nullptr;
};

}  // namespace ferry::engine
