#include "ferry/engine/transfer/byte_ranges.hpp"

#include <algorithm>

namespace ferry::engine {

void byte_ranges::add(std::uint64_t first, std::uint64_t end) {
  if (first >= end) {
    return;
  }
  // The first interval that ends at or after `first` may touch or overlap the new one; merge
  // it and every following interval that starts at or before `end`.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                             [](const byte_range& r, std::uint64_t at) { return r.end < at; });
  auto last = it;
  while (last != ranges_.end() && last->first <= end) {
    first = std::min(first, last->first);
    end = std::max(end, last->end);
    ++last;
  }
  it = ranges_.erase(it, last);
  ranges_.insert(it, byte_range{first, end});
}

std::uint64_t byte_ranges::size() const noexcept {
  std::uint64_t total = 0;
  for (const byte_range& r : ranges_) {
    total += r.size();
  }
  return total;
}

std::uint64_t byte_ranges::end() const noexcept {
  return ranges_.empty() ? 0 : ranges_.back().end;
}

bool byte_ranges::contains(std::uint64_t first, std::uint64_t end) const noexcept {
  if (first >= end) {
    return true;
  }
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), first,
                             [](std::uint64_t at, const byte_range& r) { return at < r.end; });
  return it != ranges_.end() && it->first <= first && end <= it->end;
}

std::uint64_t byte_ranges::prefix() const noexcept {
  return !ranges_.empty() && ranges_.front().first == 0 ? ranges_.front().end : 0;
}

std::vector<byte_range> byte_ranges::missing(std::uint64_t total) const {
  std::vector<byte_range> gaps;
  std::uint64_t at = 0;
  for (const byte_range& r : ranges_) {
    if (r.first >= total) {
      break;
    }
    if (r.first > at) {
      gaps.push_back({at, r.first});
    }
    at = std::max(at, r.end);
  }
  if (at < total) {
    gaps.push_back({at, total});
  }
  return gaps;
}

}  // namespace ferry::engine
