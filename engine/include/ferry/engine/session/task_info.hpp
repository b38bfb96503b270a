// ferry::engine::task_info — what a session knows of one task at a moment: its identity, what
// it transfers, how it is scheduled and where it is in its life. A copy; it does not change.
#pragma once

#include <optional>
#include <string>
#include <system_error>

#include "ferry/engine/session/task_state.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine {

struct task_info {
  task_id id = 0;
  /// The app's own name for the task, unique in the session (a second add with the same key
  /// returns this task); empty: none.
  std::string key;
  /// Free-form text for people.
  std::string description;
  /// What the task transfers. Credentials are absent when `secrets_withheld`.
  transfer_request request;
  /// The journal holds no credentials of this task (it did not ask to store them): after a
  /// restart they are asked for again.
  bool secrets_withheld = false;
  /// An upload by POST that may be sent again after its runner stopped (task_options).
  bool idempotent = false;

  task_priority priority = task_priority::normal;
  /// Empty: no group.
  std::string group;
  group_order order = group_order::parallel;
  /// Not started before this time.
  std::optional<wall_time> earliest_begin;

  task_state state = task_state::queued;
  /// Why the system put the task in its state (`preempted`, `retry_at`, ...), or the error it
  /// failed with; none for a state the app set or a plain start.
  std::error_code reason;
  /// A reason's words for people (the server's status line, a file's name).
  std::string message;
  /// With reason `retry_at`: when the next attempt starts.
  std::optional<wall_time> retry_at;

  wall_time created{};
  /// When the state last changed.
  wall_time changed{};
};

}  // namespace ferry::engine
