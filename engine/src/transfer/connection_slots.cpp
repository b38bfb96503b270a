#include "ferry/engine/transfer/connection_slots.hpp"

#include <algorithm>

namespace ferry::engine {

bool connection_slots::take(const std::string& at, const holder& who) {
  std::lock_guard lock{mutex_};
  origin& slots = origins_[at];
  if (slots.held >= per_origin_ || held_ >= total_) {
    slots.line.push_back(who);
    return false;
  }
  ++slots.held;
  ++held_;
  return true;
}

connection_slots::holder connection_slots::release(const std::string& at) {
  std::lock_guard lock{mutex_};
  auto it = origins_.find(at);
  if (it == origins_.end() || it->second.held == 0) {
    return nullptr;
  }
  --it->second.held;
  --held_;
  holder next;
  if (!it->second.line.empty()) {
    next = std::move(it->second.line.front());
    it->second.line.pop_front();
  } else {
    for (auto& [other, slots] : origins_) {
      if (!slots.line.empty() && slots.held < per_origin_) {
        next = std::move(slots.line.front());
        slots.line.pop_front();
        break;
      }
    }
  }
  if (it->second.held == 0 && it->second.line.empty()) {
    origins_.erase(it);
  }
  return next;
}

bool connection_slots::leave(const holder& who) {
  std::lock_guard lock{mutex_};
  for (auto& [at, slots] : origins_) {
    auto it = std::find(slots.line.begin(), slots.line.end(), who);
    if (it != slots.line.end()) {
      slots.line.erase(it);
      return true;
    }
  }
  return false;
}

std::size_t connection_slots::held() const {
  std::lock_guard lock{mutex_};
  return held_;
}

std::size_t connection_slots::waiting() const {
  std::lock_guard lock{mutex_};
  std::size_t n = 0;
  for (const auto& [at, slots] : origins_) {
    n += slots.line.size();
  }
  return n;
}

}  // namespace ferry::engine
