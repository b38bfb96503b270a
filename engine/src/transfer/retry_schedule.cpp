#include "ferry/engine/transfer/retry_schedule.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "ferry/http/retry_after.hpp"

namespace ferry::engine {
namespace {

// A seed different for every transfer (std::random_device costs a system call or two per
// transfer; a list of small files would feel it).
std::uint64_t fresh_seed() {
  static std::atomic<std::uint64_t> counter{0};
  const auto now =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return now ^ (++counter * 0x9e3779b97f4a7c15ULL);
}

}  // namespace

retry_schedule::retry_schedule(const retry_policy& policy, std::uint64_t seed)
    : policy_(policy), random_(seed != 0 ? seed : fresh_seed()) {
}

std::optional<clock_source::duration> retry_schedule::on_failure(
    std::uint64_t progress, std::optional<std::chrono::seconds> retry_after) {
  if (progress > progress_at_failure_) {
    failures_ = 0;  // the last attempt moved bytes: this is a new run of failures
  }
  progress_at_failure_ = std::max(progress_at_failure_, progress);
  ++failures_;
  if (failures_ > policy_.attempts) {
    return std::nullopt;
  }
  if (retry_after) {
    return std::min<clock_source::duration>(*retry_after, policy_.max_retry_after);
  }
  const double base = static_cast<double>(policy_.initial_delay.count()) *
                      std::pow(2.0, static_cast<double>(std::min(failures_, 30U) - 1));
  const double capped = std::min(base, static_cast<double>(policy_.max_delay.count()));
  std::uniform_real_distribution<double> jitter{0.5, 1.5};
  return std::chrono::duration_cast<clock_source::duration>(
      std::chrono::duration<double, std::milli>{capped * jitter(random_)});
}

std::optional<clock_source::duration> retry_schedule::on_malformed(unsigned run) const {
  if (run == 0 || run > std::min(policy_.malformed_attempts, policy_.attempts)) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<clock_source::duration>(policy_.malformed_delay *
                                                            (1U << std::min(run - 1, 16U)));
}

void retry_schedule::reset() noexcept {
  failures_ = 0;
}

std::optional<std::chrono::seconds> retry_after_of(const http::response_head& head) {
  const auto value = head.find("retry-after");
  if (!value) {
    return std::nullopt;
  }
  return http::parse_retry_after(*value, std::chrono::system_clock::now());
}

}  // namespace ferry::engine
