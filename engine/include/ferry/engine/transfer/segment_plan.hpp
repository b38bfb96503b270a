// ferry::engine::plan_segments — which byte ranges a segmented download asks for next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ferry/engine/transfer/byte_ranges.hpp"

namespace ferry::engine {

/// The requests a download should start next, with no I/O: the bytes of [0, total) that are
/// not in `have` (on disk, or still to come from a request in flight), as at most `slots`
/// ranges in offset order. While there are fewer ranges than slots, the largest is split in
/// halves, as long as each half is at least `min_size` bytes (and at least one byte); with more
/// ranges than slots, the first `slots` are asked for and the rest wait for a free slot.
/// Empty when nothing is missing or no slot is free.
[[nodiscard]] std::vector<byte_range> plan_segments(const byte_ranges& have, std::uint64_t total,
                                                    std::size_t slots, std::uint64_t min_size);

}  // namespace ferry::engine
