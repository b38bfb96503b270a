// ferry::engine::timer — a Begin/End wait on a clock.
#pragma once

#include <memory>
#include <system_error>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/clock.hpp"

namespace ferry::engine {

class io_loop;

namespace detail {
class timer_impl;
}

/// Waits for a time on a clock: the operating system's timers for a real clock, the clock's own
/// `advance` for a `manual_clock`. One wait may be pending at a time; the callback runs on the
/// loop either way. Destroying the timer cancels a pending wait.
class timer {
 public:
  /// `time_source` must outlive the timer.
  explicit timer(io_loop& loop, clock_source& time_source = clock_source::steady());
  ~timer();
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  /// Completes once `time_source.now() >= at`. Errors: operation_aborted (cancelled),
  /// operation_in_progress.
  async_result begin_wait_until(clock_source::time_point at, async_callback callback,
                                state_ref state = {});
  /// Completes once `delay` has passed on the timer's clock.
  async_result begin_wait(clock_source::duration delay, async_callback callback,
                          state_ref state = {});
  void end_wait(async_result& result, std::error_code& ec);
  void end_wait(async_result& result);

  /// Cancels a pending wait; it completes with `operation_aborted`.
  void cancel() noexcept;

  [[nodiscard]] clock_source& time_source() const noexcept;

 private:
  std::shared_ptr<detail::timer_impl> impl_;
};

}  // namespace ferry::engine
