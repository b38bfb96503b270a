// The throttle a download or an upload owns for its own rate limit. Engine-internal.
#pragma once

#include <cstdint>
#include <memory>

#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/io/throttle.hpp"

namespace ferry::engine::detail {

/// The throttle for a transfer's exchanges (exchange_options::pace): `rate` bytes a second (0:
/// unlimited) under `parent`, on the transfer's clock, with the default burst. Null with neither
/// a rate nor a parent, so that the transfer's connections stay unwrapped and shared with every
/// other unpaced exchange of the client.
[[nodiscard]] inline std::shared_ptr<throttle> own_throttle(std::uint64_t rate, throttle* parent,
                                                            clock_source& time_source) {
  if (rate == 0 && parent == nullptr) {
    return nullptr;
  }
  return std::make_shared<throttle>(rate, 0, parent, time_source);
}

}  // namespace ferry::engine::detail
