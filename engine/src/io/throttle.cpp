#include "ferry/engine/io/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace ferry::engine {
namespace {

std::uint64_t default_burst(std::uint64_t rate, std::uint64_t burst) {
  if (burst != 0) {
    return burst;
  }
  return std::max<std::uint64_t>(16 * 1024, rate / 8);
}

}  // namespace

throttle::throttle(std::uint64_t bytes_per_second, std::uint64_t burst, throttle* parent,
                   clock_source& time_source)
    : rate_(bytes_per_second),
      burst_(default_burst(bytes_per_second, burst)),
      tokens_(static_cast<double>(burst_)),
      last_(time_source.now()),
      parent_(parent),
      clock_(&time_source) {
}

void throttle::refill(clock_source::time_point now) {
  if (now <= last_) {
    return;
  }
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + seconds * static_cast<double>(rate_));
  last_ = now;
}

std::uint64_t throttle::available_now() {
  if (rate_ == 0) {
    return UINT64_MAX;
  }
  refill(clock_->now());
  return static_cast<std::uint64_t>(std::floor(tokens_));
}

std::size_t throttle::acquire(std::size_t want) {
  std::lock_guard lock{mutex_};
  std::size_t granted = static_cast<std::size_t>(std::min<std::uint64_t>(want, available_now()));
  if (granted > 0 && parent_ != nullptr) {
    granted = parent_->acquire(granted);  // child before parent: one lock order, no cycles
  }
  if (rate_ != 0) {
    tokens_ -= static_cast<double>(granted);
  }
  return granted;
}

clock_source::duration throttle::delay_for(std::size_t want) const {
  clock_source::duration wait = clock_source::duration::zero();
  {
    std::lock_guard lock{mutex_};
    if (rate_ != 0) {
      auto& self = const_cast<throttle&>(*this);
      self.refill(clock_->now());
      const double needed = static_cast<double>(std::min<std::uint64_t>(want, burst_)) - tokens_;
      if (needed > 0) {
        wait = std::chrono::duration_cast<clock_source::duration>(
            std::chrono::duration<double>(needed / static_cast<double>(rate_)));
        wait = std::max(wait, clock_source::duration{1});
      }
    }
  }
  if (parent_ != nullptr) {
    wait = std::max(wait, parent_->delay_for(want));
  }
  return wait;
}

void throttle::set_rate(std::uint64_t bytes_per_second, std::uint64_t burst) {
  std::lock_guard lock{mutex_};
  refill(clock_->now());
  rate_ = bytes_per_second;
  burst_ = default_burst(bytes_per_second, burst);
  tokens_ = std::min(tokens_, static_cast<double>(burst_));
}

std::uint64_t throttle::rate() const {
  std::lock_guard lock{mutex_};
  return rate_;
}

}  // namespace ferry::engine
