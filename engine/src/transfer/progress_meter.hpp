// progress_meter — when a transfer reports progress, and what it reports: the step since the
// last event, and a rate over the last few seconds. Engine-internal; pure (the caller's clock).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine {

class progress_meter {
 public:
  explicit progress_meter(std::chrono::milliseconds interval) : interval_(interval) {}

  /// Whether a progress event is due at `now`, `transferred` bytes having moved in all. When it
  /// is, the moment is sampled for the rate.
  [[nodiscard]] bool due(clock_source::time_point now, std::uint64_t transferred) {
    if (now - last_ < interval_) {
      return false;
    }
    last_ = now;
    samples_.emplace_back(now, transferred);
    while (samples_.size() > 2 && now - samples_.front().first > window) {
      samples_.pop_front();
    }
    return true;
  }

  /// The progress to report: `transferred` in all, `done` of `total`.
  [[nodiscard]] transfer_progress snapshot(std::uint64_t transferred, std::uint64_t done,
                                           std::optional<std::uint64_t> total) const {
    transfer_progress p;
    p.step = transferred - std::min(transferred, reported_);
    p.transferred = transferred;
    p.done = done;
    p.total = total;
    if (samples_.size() >= 2) {
      const auto span = samples_.back().first - samples_.front().first;
      const double seconds = std::chrono::duration<double>(span).count();
      if (seconds > 0) {
        p.rate = static_cast<double>(samples_.back().second - samples_.front().second) / seconds;
      }
    }
    if (p.total && p.rate > 0) {
      p.eta_seconds = static_cast<double>(*p.total - std::min(*p.total, p.done)) / p.rate;
    }
    return p;
  }

  /// An event reported `transferred`: the next step counts from there.
  void reported(std::uint64_t transferred) noexcept { reported_ = transferred; }

 private:
  static constexpr auto window = std::chrono::seconds{3};

  std::chrono::milliseconds interval_;
  clock_source::time_point last_{};
  std::uint64_t reported_ = 0;
  std::deque<std::pair<clock_source::time_point, std::uint64_t>> samples_;
};

}  // namespace ferry::engine
