// detail::asio_stream — what every Asio-backed stream shares: the strand, the two directions
// (send and receive) with their busy flags, deadlines and cancellation, and the way an
// operation is launched and finished. Asio TUs only.
#pragma once

#include <atomic>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>

#include "asio_error.hpp"
#include "asio_loop.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/timeout.hpp"

namespace ferry::engine::detail {

/// Which directions an operation occupies: a send, a receive, or both (connect, handshake,
/// shutdown), so that at most one operation of each direction is pending.
enum direction_set : unsigned { sending = 1U, receiving = 2U, both = 3U };

template <class Derived>
class asio_stream : public std::enable_shared_from_this<Derived> {
 public:
  using strand_type = asio::strand<asio::io_context::executor_type>;
  using clock_type = asio::steady_timer::clock_type;

  explicit asio_stream(std::shared_ptr<loop_state> loop)
      : asio_stream(loop, asio::make_strand(asio_of(*loop).context())) {}
  /// A stream that shares `strand` with another (TLS with the TCP connection beneath it).
  asio_stream(std::shared_ptr<loop_state> loop, strand_type strand)
      : loop_(std::move(loop)), strand_(std::move(strand)), send_(strand_), receive_(strand_) {}

  /// Records that the owner closed the stream: later failures of pending steps are aborts.
  void mark_closed(bool closed) noexcept { closed_.store(closed, std::memory_order_release); }

  /// Makes operations report `owner` (the object whose end_X accepts them) instead of this.
  void set_owner(const void* owner) noexcept { owner_ = owner; }

  [[nodiscard]] loop_state& loop() const noexcept { return *loop_; }
  [[nodiscard]] const strand_type& strand() const noexcept { return strand_; }

 protected:
  /// One direction of the stream. `busy` may be read and claimed from any thread; the rest is
  /// touched only on the strand.
  struct direction {
    explicit direction(const strand_type& strand) : timer(strand) {}

    std::atomic<bool> busy{false};
    bool active = false;     // an operation has been initiated and has not completed
    bool timed_out = false;  // the deadline cancelled the active operation
    bool timer_armed = false;
    clock_type::time_point deadline = clock_type::time_point::max();
    clock_type::time_point timer_expiry{};
    asio::steady_timer timer;
    asio::cancellation_signal cancel;
    timer_handler_arena timer_arena;
  };

  /// Starts an operation of `kind` on `dirs`. `prepare(op)` runs at once on the caller's
  /// thread (to copy arguments into the operation) and may refuse with an error. Then
  /// `initiate(self, op)` runs on the strand and must start exactly one Asio operation whose
  /// handler comes from `handler(...)` and ends in `finish(...)`. Early failures (shutdown, a
  /// busy direction, a refused argument) complete through the loop's queue, never inline.
  template <class Prepare, class Initiate>
  async_result launch(operation_kind kind, direction_set dirs, async_callback&& callback,
                      state_ref state, timeout limit, Prepare&& prepare, Initiate&& initiate) {
    async_result engine_ref = loop_->pool().acquire(kind, owner_, std::move(callback), state);
    async_result user_ref = engine_ref;
    operation* op = engine_ref.release();
    std::error_code refused;
    if (loop_->shutting_down()) {
      refused = error::operation_aborted;
    } else {
      refused = prepare(*op);
    }
    if (!refused && !claim(dirs)) {
      refused = error::operation_in_progress;
    }
    if (refused) {
      post_completion(op, refused);
      return user_ref;
    }
    op->keep_alive = this->shared_from_this();  // one reference for the whole operation
    asio::dispatch(strand_,
                   asio::bind_allocator(arena_allocator<void>{op->arena},
                                        [self = static_cast<Derived*>(this), op, dirs, limit,
                                         initiate = std::forward<Initiate>(initiate)]() mutable {
                                          self->mark_active(dirs, true);
                                          self->arm(self->timed(dirs), limit);
                                          initiate(*self, op);
                                        }));
    return user_ref;
  }

  template <class Initiate>
  async_result launch(operation_kind kind, direction_set dirs, async_callback&& callback,
                      state_ref state, timeout limit, Initiate&& initiate) {
    return launch(
        kind, dirs, std::move(callback), state, limit,
        [](operation&) noexcept { return std::error_code{}; }, std::forward<Initiate>(initiate));
  }

  /// A `prepare` step for operations that need a connected stream: refuses with
  /// `not_connected` when the stream is not open at the time of `begin_X`. An operation begun
  /// while open but closed before it could start is aborted instead (its initiation checks).
  auto not_connected_check() noexcept {
    return [this](operation&) noexcept {
      return static_cast<const Derived&>(*this).is_open() ? std::error_code{}
                                                          : std::error_code{error::not_connected};
    };
  }

  /// Wraps `fn(boost::system::error_code, ...)` as the handler of `op`'s Asio operation:
  /// cancellable by `dirs`' deadline, allocated from the operation's arena, run on the strand.
  template <class F>
  auto handler(direction_set dirs, operation* op, F&& fn) {
    return asio::bind_cancellation_slot(
        timed(dirs).cancel.slot(),
        asio::bind_allocator(arena_allocator<void>{op->arena},
                             asio::bind_executor(strand_, std::forward<F>(fn))));
  }

  /// Ends `op`: converts the error (a deadline's cancellation becomes `timed_out`), frees the
  /// directions, then runs the user's callback. The directions are free before the callback
  /// runs, so that it may start the next operation.
  void finish(direction_set dirs, operation* op, std::error_code ec, std::size_t bytes) noexcept {
    direction& d = timed(dirs);
    if (d.timed_out && ec == error::operation_aborted) {
      ec = error::timed_out;
    } else if (ec && closed_.load(std::memory_order_acquire)) {
      // Whatever a step after our own close() reports (a bad descriptor, say), the operation
      // was aborted by the close.
      ec = error::operation_aborted;
    }
    d.timed_out = false;
    d.deadline = clock_type::time_point::max();
    mark_active(dirs, false);
    release(dirs);
    // Released after the callback: it may drop the last other reference to this stream.
    const std::shared_ptr<void> keep_alive = std::move(op->keep_alive);
    deliver(op, ec, bytes);
  }

  /// Fails `op` from an initiation, without starting I/O (the stream is closed, say). The
  /// callback is posted: an initiation may run inline in `begin_X`, and callbacks never do.
  void fail(direction_set dirs, operation* op, std::error_code ec) noexcept {
    direction& d = timed(dirs);
    d.timed_out = false;
    d.deadline = clock_type::time_point::max();
    mark_active(dirs, false);
    release(dirs);
    post_completion(op, ec);
  }

  /// Completes `op` later on the strand, so that it runs after every callback already queued
  /// for this stream and never concurrently with them.
  void post_completion(operation* op, std::error_code ec) noexcept {
    asio::post(strand_, asio::bind_allocator(arena_allocator<void>{op->arena},
                                             posted_completion{op, ec, 0}));
  }

  /// The direction whose timer and cancellation signal govern an operation on `dirs`.
  [[nodiscard]] direction& timed(direction_set dirs) noexcept {
    return dirs == receiving ? receive_ : send_;
  }

  /// Stops the deadline timers (on close), so that nothing holds the stream alive.
  void cancel_timers() noexcept {
    for (direction* d : {&send_, &receive_}) {
      d->timer.cancel();
      d->timer_armed = false;
    }
  }

  std::shared_ptr<loop_state> loop_;
  strand_type strand_;
  direction send_;
  direction receive_;
  const void* owner_ = this;
  std::atomic<bool> closed_{false};

 private:
  bool claim(direction_set dirs) noexcept {
    if ((dirs & sending) != 0U && send_.busy.exchange(true, std::memory_order_acq_rel)) {
      return false;
    }
    if ((dirs & receiving) != 0U && receive_.busy.exchange(true, std::memory_order_acq_rel)) {
      if ((dirs & sending) != 0U) {
        send_.busy.store(false, std::memory_order_release);
      }
      return false;
    }
    return true;
  }

  void release(direction_set dirs) noexcept {
    if ((dirs & sending) != 0U) {
      send_.busy.store(false, std::memory_order_release);
    }
    if ((dirs & receiving) != 0U) {
      receive_.busy.store(false, std::memory_order_release);
    }
  }

  void mark_active(direction_set dirs, bool active) noexcept {
    if ((dirs & sending) != 0U) {
      send_.active = active;
    }
    if ((dirs & receiving) != 0U) {
      receive_.active = active;
    }
  }

  // Deadlines are lazy: a direction keeps at most one timer wait. A later deadline than the
  // armed one needs no timer call (the wait re-arms itself when it fires early), so steady
  // traffic with a fixed timeout costs no timer system calls per operation.
  void arm(direction& d, timeout limit) {
    d.timed_out = false;
    if (limit == no_timeout) {
      d.deadline = clock_type::time_point::max();
      return;
    }
    const auto now = clock_type::now();
    d.deadline = limit >= clock_type::time_point::max() - now
                     ? clock_type::time_point::max()
                     : now + std::chrono::duration_cast<clock_type::duration>(limit);
    if (d.timer_armed && d.timer_expiry <= d.deadline) {
      return;
    }
    start_timer(d, d.deadline);
  }

  void start_timer(direction& d, clock_type::time_point at) {
    d.timer_armed = true;
    d.timer_expiry = at;
    d.timer.expires_at(at);  // cancels an earlier wait, whose handler then sees operation_aborted
    d.timer.async_wait(asio::bind_allocator(
        arena_allocator<void, timer_handler_arena>{d.timer_arena},
        asio::bind_executor(strand_,
                            [self = this->shared_from_this(), &d](boost::system::error_code ec) {
                              self->on_timer(d, ec);
                            })));
  }

  void on_timer(direction& d, boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) {
      return;  // superseded by a newer wait, or the stream closed
    }
    d.timer_armed = false;
    if (!d.active || d.deadline == clock_type::time_point::max()) {
      return;
    }
    if (clock_type::now() < d.deadline) {
      start_timer(d, d.deadline);
      return;
    }
    d.timed_out = true;
    static_cast<Derived&>(*this).on_deadline(d);
    d.cancel.emit(asio::cancellation_type::terminal);
  }
};

}  // namespace ferry::engine::detail
