#include "ferry/engine/transfer/segment_plan.hpp"

#include <algorithm>

namespace ferry::engine {

std::vector<byte_range> plan_segments(const byte_ranges& have, std::uint64_t total,
                                      std::size_t slots, std::uint64_t min_size) {
  if (slots == 0) {
    return {};
  }
  std::vector<byte_range> gaps = have.missing(total);
  const std::uint64_t smallest_split = 2 * std::max<std::uint64_t>(min_size, 1);
  while (!gaps.empty() && gaps.size() < slots) {
    const auto largest = std::max_element(
        gaps.begin(), gaps.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (largest->size() < smallest_split) {
      break;
    }
    const std::uint64_t middle = largest->first + largest->size() / 2;
    const byte_range second{middle, largest->end};
    largest->end = middle;
    gaps.insert(largest + 1, second);  // keeps the offset order
  }
  if (gaps.size() > slots) {
    gaps.resize(slots);
  }
  return gaps;
}

}  // namespace ferry::engine
