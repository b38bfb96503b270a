#include "ferry/engine/io/clock.hpp"

#include <vector>

namespace ferry::engine {
namespace {

class steady_clock_source final : public clock_source {
 public:
  [[nodiscard]] time_point now() const noexcept override {
    return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
  }
  [[nodiscard]] wall_time wall_now() const noexcept override {
    return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  }
  [[nodiscard]] bool is_real() const noexcept override { return true; }
};

}  // namespace

clock_source& clock_source::steady() noexcept {
  static steady_clock_source instance;
  return instance;
}

clock_source::time_point manual_clock::now() const noexcept {
  std::lock_guard lock{mutex_};
  return now_;
}

clock_source::wall_time manual_clock::wall_now() const noexcept {
  std::lock_guard lock{mutex_};
  return wall_;
}

void manual_clock::set_wall(wall_time to) noexcept {
  std::lock_guard lock{mutex_};
  wall_ = to;
}

void manual_clock::advance(duration step) {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock{mutex_};
    if (step > duration::zero()) {
      now_ += step;
      wall_ += step;
    }
    const auto end = calls_.upper_bound(now_);
    for (auto it = calls_.begin(); it != end; ++it) {
      due.push_back(std::move(it->second.second));
    }
    calls_.erase(calls_.begin(), end);
  }
  for (auto& fire : due) {
    fire();
  }
}

std::uint64_t manual_clock::call_at(time_point at, std::function<void()> fire) {
  std::unique_lock lock{mutex_};
  const std::uint64_t id = next_id_++;
  if (at <= now_) {
    lock.unlock();
    fire();
    return id;
  }
  calls_.emplace(at, std::make_pair(id, std::move(fire)));
  return id;
}

bool manual_clock::cancel_at(std::uint64_t id) {
  std::lock_guard lock{mutex_};
  for (auto it = calls_.begin(); it != calls_.end(); ++it) {
    if (it->second.first == id) {
      calls_.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace ferry::engine
