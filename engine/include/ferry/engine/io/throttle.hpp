// ferry::engine::throttle — a token bucket that sockets and transfers share to limit rates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "ferry/engine/io/clock.hpp"

namespace ferry::engine {

/// A token bucket of bytes. Throttles form a tree: a transfer's throttle with the session's (or
/// the process's) as its parent, so that both the per-transfer and the global limit hold. A
/// sender asks `acquire` how many bytes may go now and, on 0, waits `delay_for` before asking
/// again. Thread-safe: many sockets on many threads may share one throttle.
class throttle {
 public:
  /// `bytes_per_second` of 0 means unlimited. `burst` is the most that may go at once after an
  /// idle spell; 0 picks max(16 KiB, rate / 8). `parent` (optional) must outlive this one.
  explicit throttle(std::uint64_t bytes_per_second, std::uint64_t burst = 0,
                    throttle* parent = nullptr, clock_source& time_source = clock_source::steady());

  /// Takes up to `want` bytes from this bucket and every parent; returns how many were granted
  /// (0 when a bucket on the way is empty).
  [[nodiscard]] std::size_t acquire(std::size_t want);
  /// How long until `want` bytes (or a full burst, if smaller) could be granted. Zero when now.
  [[nodiscard]] clock_source::duration delay_for(std::size_t want) const;

  /// Changes the rate (0: unlimited) and burst; the tokens already in the bucket are kept up to
  /// the new burst.
  void set_rate(std::uint64_t bytes_per_second, std::uint64_t burst = 0);
  [[nodiscard]] std::uint64_t rate() const;
  /// The clock the bucket refills on (a throttled stream waits on it too).
  [[nodiscard]] clock_source& time_source() const noexcept { return *clock_; }

 private:
  void refill(clock_source::time_point now);
  [[nodiscard]] std::uint64_t available_now();

  mutable std::mutex mutex_;
  std::uint64_t rate_;
  std::uint64_t burst_;
  double tokens_;
  clock_source::time_point last_;
  throttle* parent_;
  clock_source* clock_;
};

}  // namespace ferry::engine
