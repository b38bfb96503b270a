// ferry CLI — SIGINT and SIGTERM as a request to stop cleanly (record saved).
#pragma once

namespace ferry::cli {

/// Installs handlers for SIGINT and SIGTERM that only note the signal.
void watch_interrupts();
/// The signal that arrived (SIGINT or SIGTERM), or 0.
[[nodiscard]] int interrupted() noexcept;

}  // namespace ferry::cli
