// ferry::engine::task_options — how a task is added to a session: its key, description,
// class, group, earliest start, and whether it starts paused or keeps its credentials.
#pragma once

#include <optional>
#include <string>

#include "ferry/engine/session/task_state.hpp"

namespace ferry::engine {

/// How a task is added.
struct task_options {
  /// The app's name for the task, unique in the session: a second add with this key returns
  /// the first task (a retried add never duplicates). Empty: none.
  std::string key;
  std::string description;
  task_priority priority = task_priority::normal;
  std::string group;
  group_order order = group_order::parallel;
  /// Not started before this time.
  std::optional<wall_time> earliest_begin;
  /// Added paused: it starts after `resume`.
  bool paused = false;
  /// Keep the request's credentials in the journal (otherwise they are not written).
  bool store_credentials = false;
  /// An upload by POST that the server may receive twice: a runner that stopped while sending
  /// it (and left it running) has the next runner send it again. Otherwise such a task fails
  /// with `not_idempotent`. PUT is idempotent by definition, and a download always resumes.
  bool idempotent = false;
};

}  // namespace ferry::engine
