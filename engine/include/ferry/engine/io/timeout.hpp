// ferry::engine::timeout — how long one operation may take.
#pragma once

#include <chrono>

namespace ferry::engine {

/// The time one operation may take before it is cancelled and completes with
/// `error::timed_out`. Every `begin_X` takes one; the default is `no_timeout`.
using timeout = std::chrono::nanoseconds;

/// No deadline: the operation may take as long as it takes.
inline constexpr timeout no_timeout = timeout::max();

}  // namespace ferry::engine
