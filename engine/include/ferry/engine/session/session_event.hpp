// ferry::engine::session_event — an outcome in a task's life that a session's owner must hear
// even if it was away: journaled with the state change it reports, delivered at least once in
// `seq` order, until acknowledged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ferry/engine/session/task_state.hpp"

namespace ferry::engine {

enum class event_kind {
  completed,  ///< The task completed (its file is at its final path, verified).
  failed,     ///< The task failed; `code` says why.
  cancelled,  ///< The task was cancelled.
  restarted,  ///< The task started over from zero; `code` says why (validator_changed, ...).
};

/// What a delegate answers an event with: `done` acknowledges it now; `later` leaves it
/// unacknowledged until `session.acknowledge(seq)`, and delivered again after a re-attach.
enum class delivery { done, later };

struct session_event {
  /// Grows with each event, never reused: acknowledge by it, store it beside an effect that must
  /// happen once.
  std::uint64_t seq = 0;
  task_id task = 0;
  event_kind kind = event_kind::completed;
  /// The task's state once the event happened.
  task_state state = task_state::completed;
  std::error_code code;
  std::string message;
  wall_time at{};
};

/// Stable names ("completed", "restarted").
[[nodiscard]] std::string_view to_string(event_kind k) noexcept;
[[nodiscard]] std::optional<event_kind> parse_event_kind(std::string_view name) noexcept;

}  // namespace ferry::engine
