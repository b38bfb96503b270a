// ferry::engine::scheduler — per-host ready queues, an index of the hosts whose head can start,
// a timer set for not-before times and an index of preemptible running tasks, so that decide()
// touches only the tasks it starts, preempts or releases.
#include "ferry/engine/session/scheduler.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace ferry::engine {
namespace {

// Start order: the higher class first (foreground has rank 0), then the lower id.
struct queue_key {
  unsigned rank = 0;
  task_id id = 0;
  friend auto operator<=>(const queue_key&, const queue_key&) = default;
};

// Preemption order: the lower class first, then the later id.
struct victim_key {
  unsigned priority = 0;
  task_id id = 0;
  friend bool operator<(const victim_key& a, const victim_key& b) {
    if (a.priority != b.priority) {
      return a.priority < b.priority;
    }
    return a.id > b.id;
  }
};

unsigned rank_of(task_priority p) {
  return static_cast<unsigned>(task_priority::foreground) - static_cast<unsigned>(p);
}

// Where a task is; each queued place is exactly one index.
enum class place {
  blocked,  // queued, waiting for its serialized group's turn: in no index
  timed,    // queued, holds its turn, its not_before not yet passed: in timers
  ready,    // queued and eligible: in its host's ready queue
  running,  // counted against the caps; in the victim indexes when preemptible
};

struct host_record;
struct group_record;

struct task_record {
  schedule_entry entry;
  place where = place::blocked;
  host_record* host = nullptr;
  group_record* group = nullptr;  // only a serialized group
  // The decide() call (its epoch) that listed this task in start or in preempt.
  std::uint64_t started_in = 0;
  std::uint64_t preempted_in = 0;

  [[nodiscard]] queue_key key() const { return {rank_of(entry.priority), entry.id}; }
  [[nodiscard]] victim_key victim() const {
    return {static_cast<unsigned>(entry.priority), entry.id};
  }
  [[nodiscard]] bool is_victim() const {
    return entry.preemptible && entry.priority != task_priority::foreground;
  }
};

struct host_record {
  std::set<queue_key> ready;
  std::set<victim_key> victims;  // its running tasks that may be preempted
  std::uint64_t used = 0;        // connections of its running tasks
  std::size_t members = 0;       // tasks here in any place, to drop the record when none
  // What this host has in the scheduler's indexes, so they are updated without a search.
  std::optional<queue_key> indexed_startable;
  std::optional<task_id> indexed_foreground;
};

struct group_record {
  group_order order = group_order::parallel;
  std::set<task_id> members;
  // Serialized: the member that may run, normally the lowest id; a running holder keeps it until
  // it stops even if a lower id is added meanwhile.
  std::optional<task_id> turn;
};

}  // namespace

struct scheduler::impl {
  scheduler_limits limits;
  bool limits_changed = false;
  std::unordered_map<task_id, task_record> tasks;
  std::unordered_map<std::string, host_record> hosts;
  std::unordered_map<std::string, group_record> groups;
  std::set<queue_key> startable;       // hosts' ready heads that fit their host
  std::set<task_id> foreground_heads;  // hosts' ready heads of class foreground
  std::set<std::pair<wall_time, task_id>> timers;
  std::set<victim_key> victims;  // every host's victims
  std::optional<wall_time> now;  // the latest decide()'s time
  std::size_t running = 0;
  std::uint64_t epoch = 0;
  std::uint64_t steps = 0;
  schedule_decision* decision = nullptr;  // the one decide() is building

  explicit impl(scheduler_limits l) : limits{l} {}

  task_record& task(task_id id) {
    ++steps;
    return tasks.at(id);
  }

  // Whether `t` fits on `h` once running tasks holding `freed` of its connections have left.
  [[nodiscard]] bool fits(const host_record& h, const task_record& t,
                          std::uint64_t freed = 0) const {
    const std::uint64_t used = h.used - freed;
    return used == 0 || used + t.entry.connections <= limits.per_host;
  }

  // Puts the host's head into `startable` and `foreground_heads` as it now qualifies.
  void reindex(host_record& h) {
    std::optional<queue_key> startable_head;
    std::optional<task_id> foreground_head;
    if (!h.ready.empty()) {
      const queue_key head = *h.ready.begin();
      const task_record& t = task(head.id);
      if (fits(h, t)) {
        startable_head = head;
      }
      if (t.entry.priority == task_priority::foreground) {
        foreground_head = head.id;
      }
    }
    reindex(startable, h.indexed_startable, startable_head);
    reindex(foreground_heads, h.indexed_foreground, foreground_head);
  }

  // Moves a host's entry in `index` from what it was (`indexed`) to `wanted`.
  template <class Index, class Key>
  void reindex(Index& index, std::optional<Key>& indexed, const std::optional<Key>& wanted) {
    if (indexed == wanted) {
      return;
    }
    if (indexed) {
      index.erase(*indexed);
      ++steps;
    }
    if (wanted) {
      index.insert(*wanted);
      ++steps;
    }
    indexed = wanted;
  }

  void make_ready(task_record& t) {
    t.where = place::ready;
    t.host->ready.insert(t.key());
    ++steps;
    reindex(*t.host);
  }

  // A queued task that holds its turn: eligible now, or once its time has passed.
  void enqueue(task_record& t) {
    if (t.entry.not_before && (!now || *t.entry.not_before > *now)) {
      t.where = place::timed;
      timers.emplace(*t.entry.not_before, t.entry.id);
      ++steps;
      return;
    }
    make_ready(t);
  }

  // Takes a queued task out of its index (back to blocked).
  void dequeue(task_record& t) {
    if (t.where == place::timed) {
      timers.erase({*t.entry.not_before, t.entry.id});
      ++steps;
    } else if (t.where == place::ready) {
      t.host->ready.erase(t.key());
      ++steps;
      reindex(*t.host);
    }
    t.where = place::blocked;
  }

  void add_victim(task_record& t) {
    if (t.is_victim()) {
      victims.insert(t.victim());
      t.host->victims.insert(t.victim());
      steps += 2;
    }
  }

  void remove_victim(task_record& t) {
    if (t.is_victim()) {
      victims.erase(t.victim());
      t.host->victims.erase(t.victim());
      steps += 2;
    }
  }

  void start(task_record& t) {
    dequeue(t);
    t.where = place::running;
    t.host->used += t.entry.connections;
    ++running;
    add_victim(t);
    reindex(*t.host);
    if (t.preempted_in == epoch) {
      std::erase(decision->preempt, t.entry.id);
      t.preempted_in = 0;
    } else {
      decision->start.push_back(t.entry.id);
      t.started_in = epoch;
    }
  }

  // A running task stops holding its slot; the caller hands it back (requeue) or drops it.
  void stop_running(task_record& t) {
    remove_victim(t);
    t.host->used -= t.entry.connections;
    --running;
    t.where = place::blocked;
    reindex(*t.host);
  }

  // Gives a serialized group's turn to its lowest member, unless the holder still runs.
  void settle(group_record& g) {
    const task_id lowest = *g.members.begin();
    ++steps;
    if (g.turn && *g.turn != lowest) {
      task_record& holder = task(*g.turn);
      if (holder.where == place::running) {
        return;
      }
      dequeue(holder);
      g.turn.reset();
    }
    g.turn = lowest;
    task_record& t = task(lowest);
    if (t.where == place::blocked) {
      enqueue(t);
    }
  }

  // A task that stopped running is queued again.
  void requeue(task_record& t) {
    if (t.group != nullptr) {
      settle(*t.group);
    } else {
      enqueue(t);
    }
  }

  void preempt(task_record& t) {
    stop_running(t);
    if (t.started_in == epoch) {
      std::erase(decision->start, t.entry.id);
      t.started_in = 0;
    } else {
      decision->preempt.push_back(t.entry.id);
      t.preempted_in = epoch;
    }
    requeue(t);
  }

  // Starts ready heads, best first, while the session has a free slot.
  void fill() {
    while (running < limits.max_running && !startable.empty()) {
      ++steps;
      start(task(startable.begin()->id));
    }
  }

  // The running tasks whose stop makes room for foreground `f`; empty when none do.
  std::vector<task_record*> choose_victims(const task_record& f) {
    host_record& h = *f.host;
    std::vector<task_record*> chosen;
    if (!fits(h, f)) {
      for (const victim_key& v : h.victims) {
        task_record& t = task(v.id);
        if (fits(h, f, t.entry.connections)) {
          chosen.push_back(&t);
          break;
        }
      }
      if (chosen.empty()) {
        std::uint64_t freed = 0;
        for (const victim_key& v : h.victims) {
          task_record& t = task(v.id);
          chosen.push_back(&t);
          freed += t.entry.connections;
          if (fits(h, f, freed)) {
            break;
          }
        }
        if (!fits(h, f, freed)) {
          return {};
        }
        // Keep only the stops the room needs.
        for (auto it = chosen.begin(); it != chosen.end();) {
          ++steps;
          const unsigned c = (*it)->entry.connections;
          if (fits(h, f, freed - c)) {
            freed -= c;
            it = chosen.erase(it);
          } else {
            ++it;
          }
        }
      }
    }
    std::size_t after = running - chosen.size();
    for (auto v = victims.begin(); after >= limits.max_running && v != victims.end(); ++v) {
      task_record& t = task(v->id);
      if (std::find(chosen.begin(), chosen.end(), &t) == chosen.end()) {
        chosen.push_back(&t);
        --after;
      }
    }
    if (after >= limits.max_running) {
      return {};
    }
    return chosen;
  }

  // Each foreground head without room, oldest first, preempts what it needs.
  void preempt_for_foreground() {
    task_id cursor = 0;
    for (auto it = foreground_heads.upper_bound(cursor); it != foreground_heads.end();
         it = foreground_heads.upper_bound(cursor)) {
      ++steps;
      cursor = *it;
      task_record& f = task(cursor);
      if (running < limits.max_running && fits(*f.host, f)) {
        start(f);
        continue;
      }
      if (victims.empty()) {
        return;
      }
      const std::vector<task_record*> chosen = choose_victims(f);
      if (chosen.empty()) {
        continue;
      }
      for (task_record* v : chosen) {
        preempt(*v);
      }
      start(f);
    }
  }
};

scheduler::scheduler(scheduler_limits limits) : impl_{std::make_unique<impl>(limits)} {
}
scheduler::scheduler(scheduler&&) noexcept = default;
scheduler& scheduler::operator=(scheduler&&) noexcept = default;
scheduler::~scheduler() = default;

void scheduler::set_limits(scheduler_limits limits) {
  impl_->limits = limits;
  impl_->limits_changed = true;
}

scheduler_limits scheduler::limits() const noexcept {
  return impl_->limits;
}

void scheduler::add(schedule_entry entry) {
  impl& s = *impl_;
  if (entry.id == 0) {
    throw std::invalid_argument{"scheduler::add: task id 0"};
  }
  if (entry.connections == 0) {
    throw std::invalid_argument{"scheduler::add: a task with no connections"};
  }
  ++s.steps;
  if (s.tasks.contains(entry.id)) {
    throw std::invalid_argument{"scheduler::add: task id already added"};
  }
  group_record* group = nullptr;
  if (!entry.group.empty()) {
    ++s.steps;
    auto [it, created] = s.groups.try_emplace(entry.group);
    if (created) {
      it->second.order = entry.order;
    } else if (it->second.order != entry.order) {
      throw std::invalid_argument{"scheduler::add: the group has the other order"};
    }
    group = &it->second;
    group->members.insert(entry.id);
    ++s.steps;
  }
  ++s.steps;
  host_record& host = s.hosts[entry.host];
  ++host.members;
  const task_id id = entry.id;
  ++s.steps;
  task_record& t = s.tasks.try_emplace(id).first->second;
  t.entry = std::move(entry);
  t.host = &host;
  if (group != nullptr && group->order == group_order::serialized) {
    t.group = group;
    s.settle(*group);
  } else {
    s.enqueue(t);
  }
}

void scheduler::remove(task_id id) {
  impl& s = *impl_;
  ++s.steps;
  const auto found = s.tasks.find(id);
  if (found == s.tasks.end()) {
    return;
  }
  task_record& t = found->second;
  if (t.where == place::running) {
    s.stop_running(t);
  } else {
    s.dequeue(t);
  }
  const std::string host = t.entry.host;
  const std::string group = t.entry.group;
  s.tasks.erase(found);
  s.steps += 2;
  const auto h = s.hosts.find(host);
  if (--h->second.members == 0) {
    s.hosts.erase(h);
  }
  if (!group.empty()) {
    s.steps += 2;
    const auto g = s.groups.find(group);
    g->second.members.erase(id);
    if (g->second.turn == id) {
      g->second.turn.reset();
    }
    if (g->second.members.empty()) {
      s.groups.erase(g);
    } else if (g->second.order == group_order::serialized) {
      s.settle(g->second);
    }
  }
}

void scheduler::stopped(task_id id) {
  impl& s = *impl_;
  ++s.steps;
  const auto found = s.tasks.find(id);
  if (found == s.tasks.end() || found->second.where != place::running) {
    return;
  }
  s.stop_running(found->second);
  s.requeue(found->second);
}

void scheduler::set_priority(task_id id, task_priority priority) {
  impl& s = *impl_;
  ++s.steps;
  const auto found = s.tasks.find(id);
  if (found == s.tasks.end() || found->second.entry.priority == priority) {
    return;
  }
  task_record& t = found->second;
  if (t.where == place::ready) {
    s.dequeue(t);
    t.entry.priority = priority;
    s.make_ready(t);
  } else if (t.where == place::running) {
    s.remove_victim(t);
    t.entry.priority = priority;
    s.add_victim(t);
  } else {
    t.entry.priority = priority;
  }
}

void scheduler::set_not_before(task_id id, std::optional<wall_time> not_before) {
  impl& s = *impl_;
  ++s.steps;
  const auto found = s.tasks.find(id);
  if (found == s.tasks.end()) {
    return;
  }
  task_record& t = found->second;
  if (t.where == place::ready || t.where == place::timed) {
    s.dequeue(t);
    t.entry.not_before = not_before;
    s.enqueue(t);
  } else {
    t.entry.not_before = not_before;
  }
}

schedule_decision scheduler::decide(wall_time now) {
  impl& s = *impl_;
  schedule_decision decision;
  s.decision = &decision;
  ++s.epoch;
  if (!s.now || now > *s.now) {
    s.now = now;
  }
  if (s.limits_changed) {
    s.limits_changed = false;
    for (auto& [name, host] : s.hosts) {
      s.reindex(host);
    }
  }
  while (!s.timers.empty() && s.timers.begin()->first <= *s.now) {
    task_record& t = s.task(s.timers.begin()->second);
    s.timers.erase(s.timers.begin());
    ++s.steps;
    s.make_ready(t);
  }
  s.fill();
  s.preempt_for_foreground();
  // Preemptions that stopped several tasks for one may have left slots free.
  s.fill();
  if (!s.timers.empty()) {
    decision.wake = s.timers.begin()->first;
  }
  s.decision = nullptr;
  return decision;
}

bool scheduler::contains(task_id id) const {
  return impl_->tasks.contains(id);
}

bool scheduler::running(task_id id) const {
  const auto found = impl_->tasks.find(id);
  return found != impl_->tasks.end() && found->second.where == place::running;
}

std::size_t scheduler::running_count() const noexcept {
  return impl_->running;
}

std::size_t scheduler::queued_count() const noexcept {
  return impl_->tasks.size() - impl_->running;
}

std::uint64_t scheduler::steps() const noexcept {
  return impl_->steps;
}

}  // namespace ferry::engine
