// ferry::engine::clock_source — the time that backoff, stall detection and throttling read
// (steady: "how long"), and the wall time that schedules and journals read ("when").
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
  /// Wall time: when something happened or is due (an `earliest_begin`, a retry's time in a
  /// journal), never how long something took — it jumps when the system's time is set.
  using wall_time = std::chrono::time_point<std::chrono::system_clock, duration>;

  virtual ~clock_source() = default;
  [[nodiscard]] virtual time_point now() const noexcept = 0;
  [[nodiscard]] virtual wall_time wall_now() const noexcept = 0;

  /// True for a clock that follows real time (timers on it use the operating system's timers).
  [[nodiscard]] virtual bool is_real() const noexcept { return false; }

  /// The process's real monotonic clock.
  [[nodiscard]] static clock_source& steady() noexcept;
};

/// A clock that moves only when told to: for tests of time-dependent behaviour with no real
/// sleeping. Timers on it fire (on their own loops) when `advance` passes their deadline. Its
/// wall time starts at `wall_start` and moves with its steady time (`advance` moves both), unless
/// `set_wall` moves it alone, as an administrator setting the system's time does.
class manual_clock final : public clock_source {
 public:
  explicit manual_clock(time_point start = time_point{},
                        wall_time wall_start = wall_time{}) noexcept
      : now_(start), wall_(wall_start) {}

  [[nodiscard]] time_point now() const noexcept override;
  [[nodiscard]] wall_time wall_now() const noexcept override;

  /// Moves time forward by `step` (negative steps are ignored), steady and wall time alike, and
  /// fires every timer due.
  void advance(duration step);
  /// Sets the wall time alone (forward or back); steady time and timers are untouched.
  void set_wall(wall_time to) noexcept;

  /// For timers: calls `fire` once `now() >= at` (immediately if already due). Returns an id for
  /// `cancel_at`.
  std::uint64_t call_at(time_point at, std::function<void()> fire);
  /// Removes a pending call; false when it already fired or was removed.
  bool cancel_at(std::uint64_t id);

 private:
  mutable std::mutex mutex_;
  time_point now_;
  wall_time wall_;
  std::uint64_t next_id_ = 1;
  std::multimap<time_point, std::pair<std::uint64_t, std::function<void()>>> calls_;
};

/// The name of the release before: it collided with POSIX clock() under
/// `using namespace ferry::engine`. Kept for one release.
using clock [[deprecated("use clock_source")]] = clock_source;

}  // namespace ferry::engine
