// ferry::engine::byte_ranges — which bytes of a file are already on disk.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace ferry::engine {

/// A half-open interval of byte offsets, [first, end).
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t end = 0;

  [[nodiscard]] std::uint64_t size() const noexcept { return end - first; }
  friend bool operator==(const byte_range&, const byte_range&) = default;
};

/// A set of byte offsets kept as sorted, disjoint, non-adjacent intervals: what a download has
/// written, and from it what it still needs. Adding merges overlapping and touching intervals.
class byte_ranges {
 public:
  byte_ranges() = default;

  /// Adds [first, end); an empty interval changes nothing.
  void add(std::uint64_t first, std::uint64_t end);
  void clear() noexcept { ranges_.clear(); }

  /// The bytes in the set.
  [[nodiscard]] std::uint64_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return ranges_.empty(); }
  /// One past the highest offset in the set (0 when empty).
  [[nodiscard]] std::uint64_t end() const noexcept;
  /// Whether every byte of [first, end) is in the set.
  [[nodiscard]] bool contains(std::uint64_t first, std::uint64_t end) const noexcept;
  /// The length of the run of bytes from offset 0 (0 when offset 0 is missing).
  [[nodiscard]] std::uint64_t prefix() const noexcept;
  /// The intervals of [0, total) that are not in the set, in order.
  [[nodiscard]] std::vector<byte_range> missing(std::uint64_t total) const;

  [[nodiscard]] const std::vector<byte_range>& intervals() const noexcept { return ranges_; }

  friend bool operator==(const byte_ranges&, const byte_ranges&) = default;

 private:
  std::vector<byte_range> ranges_;
};

}  // namespace ferry::engine
