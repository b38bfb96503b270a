// ferry::engine::scheduler — which of a session's queued tasks start now and which running ones
// are preempted: priority classes, the session's and each host's caps, serialized groups and
// not-before times, with no I/O and no clock (the caller passes the time in).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/engine/session/task_state.hpp"

namespace ferry::engine {

/// What the scheduler knows of one task.
struct schedule_entry {
  task_id id = 0;
  task_priority priority = task_priority::normal;
  /// "host:port": the key of the per-host connection cap.
  std::string host;
  /// Connections the task holds while it runs (its segments), >= 1.
  unsigned connections = 1;
  /// Empty: no group. Every member of a group has the same `order`.
  std::string group;
  group_order order = group_order::parallel;
  /// Not eligible before this time (an `earliest_begin`, a retry's time).
  std::optional<wall_time> not_before;
  /// False: never preempted (an upload that cannot resume).
  bool preemptible = true;
};

struct scheduler_limits {
  /// Tasks running at once.
  std::size_t max_running = 4;
  /// Connections per host: the sum of its running tasks' `connections`.
  std::size_t per_host = 6;
};

/// What the caller does after a `decide`.
struct schedule_decision {
  /// Start these now; the scheduler counts them as running from now on.
  std::vector<task_id> start;
  /// Stop these (reason: preempted). The scheduler already counts them as queued again: do not
  /// call `stopped` for them. A later `decide` may start one again, so the runner restarts it
  /// once its stop is done.
  std::vector<task_id> preempt;
  /// The earliest future `not_before` of a task held only by its time: set one timer, and call
  /// `decide` when it fires. Empty: no such task.
  std::optional<wall_time> wake;
};

/// The session's run queue. Each call costs O(log n) in the number of tasks; `decide` costs that
/// for each task it starts, preempts or releases from its time, and for each foreground head it
/// tries to make room for, never a rescan of the queue. After `set_limits`, the next `decide`
/// also revisits each host once.
///
/// A queued task is eligible when its `not_before` has passed and, in a serialized group, it holds
/// the group's turn: the turn belongs to the lowest id still in the scheduler (queued or
/// running), so a member that leaves (`remove`) releases it (a running member added before a
/// lower id keeps the turn until it stops). `decide` then starts eligible tasks by class, highest
/// first, and by id within a class (FIFO), while fewer than `max_running` run, subject to each
/// host's cap:
///  - a task fits its host when the host's running connections plus its own are at most
///    `per_host`, or when nothing runs on that host (so a task bigger than the cap still runs,
///    alone);
///  - each host starts its own eligible tasks in that same order: a head that does not fit holds
///    back the tasks behind it on its host (no small task overtakes a big one there, which would
///    starve it), but never tasks on other hosts.
///
/// Preemption: a foreground task that is eligible and heads its host but finds no room (the
/// session's cap, its host's, or both) preempts running tasks that are preemptible and below
/// foreground. On its host it takes the single task of the lowest class (the latest id among
/// equals) whose stop makes room; when no single task does, it takes them lowest first until
/// there is room, then keeps running any whose stop that room does not need. If the session's cap
/// still has no slot, it takes the lowest such task anywhere. When that is not enough, it preempts
/// nothing. Preempted tasks count as queued again at once; a task that one `decide` both preempts
/// and starts, in either order, is in neither list (it keeps running, or stays queued).
///
/// Time never runs backwards here: a `decide` with an earlier `now` than a previous one is taken
/// at the previous one's time. Lowering `max_running` or `per_host` stops nothing; it holds new
/// starts until running tasks leave.
///
/// Not thread-safe. Move-only; a moved-from scheduler may only be assigned to or destroyed.
class scheduler {
 public:
  explicit scheduler(scheduler_limits limits = {});
  scheduler(scheduler&&) noexcept;
  scheduler& operator=(scheduler&&) noexcept;
  ~scheduler();

  /// New caps, applied by the next `decide`.
  void set_limits(scheduler_limits limits);
  [[nodiscard]] scheduler_limits limits() const noexcept;

  /// Adds a queued task. Throws `std::invalid_argument` when its id is 0 or already here, its
  /// `connections` is 0, or its group is here with the other `order`.
  void add(schedule_entry entry);
  /// The task leaves (paused, cancelled, failed, completed): it frees its slot if it runs, and
  /// no longer holds its serialized group's turn. An unknown id: nothing happens.
  void remove(task_id id);
  /// A running task went back to the queue (its runner stopped): queued again, in its place by
  /// class and id. Not running or unknown: nothing happens.
  void stopped(task_id id);
  /// Moves a task to another class; a queued one takes its place there by id. Within a serialized
  /// group it only places the group's turn among other tasks. An unknown id: nothing happens.
  void set_priority(task_id id, task_priority priority);
  /// Sets or clears a task's not-before time; a running task keeps running, and the time holds it
  /// once it is queued again. An unknown id: nothing happens.
  void set_not_before(task_id id, std::optional<wall_time> not_before);

  /// The tasks to start and to preempt at `now`, applied to the scheduler's own state before it
  /// returns (see `schedule_decision`).
  [[nodiscard]] schedule_decision decide(wall_time now);

  [[nodiscard]] bool contains(task_id id) const;
  [[nodiscard]] bool running(task_id id) const;
  [[nodiscard]] std::size_t running_count() const noexcept;
  [[nodiscard]] std::size_t queued_count() const noexcept;
  /// Elementary steps taken so far (index operations, entries examined): what tests count to
  /// prove the work stays O(n log n).
  [[nodiscard]] std::uint64_t steps() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ferry::engine
