// ferry::engine::task_state — the one vocabulary of a session task's life, and the names a
// journal and a script read: its states, priority classes, group orders and identifiers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ferry/engine/io/clock.hpp"

namespace ferry::engine {

/// A task's identifier: >= 1, growing with the order tasks are added, never reused (SQLite
/// AUTOINCREMENT), the same after a restart.
using task_id = std::uint64_t;

/// When something happened or is due.
using wall_time = clock_source::wall_time;

/// Where a task is in its life. Every state but `running` and `paused` comes with a reason (an
/// error code whose name is the reason's stable name) when the system, not the app, put it
/// there.
enum class task_state {
  /// Waiting for a slot, its group's turn or its `earliest_begin`; after preemption its reason
  /// is `preempted`, after a runner stopped `runner_stopped`. Next: running (the scheduler
  /// starts it), paused, cancelled.
  queued,
  /// Transferring. Next: completed, failed, waiting (a retry's wait, a challenge), queued
  /// (preempted, the runner stopped), paused, cancelled.
  running,
  /// Held by the system, always with a reason (`retry_at` with its time,
  /// `waiting_for_credentials`, `journal_unwritable`, ...). Next: queued or running when the
  /// reason clears, paused, cancelled, failed.
  waiting,
  /// Set only by the app (`pause()`), cleared only by `resume()` (back to queued).
  paused,
  /// The file is at its final path, verified; the upload's server took its whole body. Final.
  completed,
  /// Failed with an error code. Final.
  failed,
  /// Cancelled by the app, or by invalidating the session. Final.
  cancelled,
};

/// A task's class: a higher class always starts first. Only `foreground` preempts.
enum class task_priority { low, normal, high, foreground };

/// How a group's members run: `parallel` as any other tasks, `serialized` one at a time in id
/// order.
enum class group_order { parallel, serialized };

/// True for completed, failed and cancelled: nothing changes the task any more.
[[nodiscard]] constexpr bool is_final(task_state s) noexcept {
  return s == task_state::completed || s == task_state::failed || s == task_state::cancelled;
}

/// Stable names ("queued", "foreground", "serialized"): what journals, `ferry ls --json` and
/// scripts read. Never change once released.
[[nodiscard]] std::string_view to_string(task_state s) noexcept;
[[nodiscard]] std::string_view to_string(task_priority p) noexcept;
[[nodiscard]] std::string_view to_string(group_order o) noexcept;

/// The value a stable name names; empty for any other text.
[[nodiscard]] std::optional<task_state> parse_task_state(std::string_view name) noexcept;
[[nodiscard]] std::optional<task_priority> parse_task_priority(std::string_view name) noexcept;
[[nodiscard]] std::optional<group_order> parse_group_order(std::string_view name) noexcept;

}  // namespace ferry::engine
