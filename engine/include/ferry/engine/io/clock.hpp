// ferry::engine::clock_source — the time that backoff, stall detection and throttling read.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace ferry::engine {

/// A monotonic time source. Code above the sockets (retries' backoff, stall detection, rate
/// limits, checkpoints) reads time only through a clock, so that tests can drive it. Socket
/// deadlines guard real I/O and always run on real time.
class clock_source {
 public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

  virtual ~clock_source() = default;
  [[nodiscard]] virtual time_point now() const noexcept = 0;

  /// True for a clock that follows real time (timers on it use the operating system's timers).
  [[nodiscard]] virtual bool is_real() const noexcept { return false; }

  /// The process's real monotonic clock.
  [[nodiscard]] static clock_source& steady() noexcept;
};

/// A clock that moves only when told to: for tests of time-dependent behaviour with no real
/// sleeping. Timers on it fire (on their own loops) when `advance` passes their deadline.
class manual_clock final : public clock_source {
 public:
  explicit manual_clock(time_point start = time_point{}) noexcept : now_(start) {}

  [[nodiscard]] time_point now() const noexcept override;

  /// Moves time forward by `step` (negative steps are ignored) and fires every timer due.
  void advance(duration step);

  /// For timers: calls `fire` once `now() >= at` (immediately if already due). Returns an id for
  /// `cancel_at`.
  std::uint64_t call_at(time_point at, std::function<void()> fire);
  /// Removes a pending call; false when it already fired or was removed.
  bool cancel_at(std::uint64_t id);

 private:
  mutable std::mutex mutex_;
  time_point now_;
  std::uint64_t next_id_ = 1;
  std::multimap<time_point, std::pair<std::uint64_t, std::function<void()>>> calls_;
};

/// The name of the release before: it collided with POSIX clock() under
/// `using namespace ferry::engine`. Kept for one release.
using clock [[deprecated("use clock_source")]] = clock_source;

}  // namespace ferry::engine
