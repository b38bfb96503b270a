// Tests of ferry::engine::scheduler: order, caps, times, groups, preemption, its operation counts
// on 10,000 tasks, and a randomized run checked against a brute-force reference.
#include "ferry/engine/session/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using ids = std::vector<task_id>;

const wall_time t0 = wall_time{} + std::chrono::hours{24 * 365 * 56};

schedule_entry make_task(task_id id, std::string host = "a:443",
                         task_priority priority = task_priority::normal, unsigned connections = 1) {
  schedule_entry e;
  e.id = id;
  e.priority = priority;
  e.host = std::move(host);
  e.connections = connections;
  return e;
}

schedule_entry member(task_id id, std::string group, group_order order,
                      task_priority priority = task_priority::normal) {
  schedule_entry e = make_task(id, "a:443", priority);
  e.group = std::move(group);
  e.order = order;
  return e;
}

ids started(scheduler& s, wall_time now = t0) {
  return s.decide(now).start;
}

TEST(Scheduler, StartsTasksOfOneClassInIdOrder) {
  scheduler s{{.max_running = 2, .per_host = 6}};
  s.add(make_task(3));
  s.add(make_task(1));
  s.add(make_task(2));
  EXPECT_EQ(started(s), (ids{1, 2}));
  s.remove(1);
  EXPECT_EQ(started(s), (ids{3}));
}

TEST(Scheduler, AHigherClassStartsFirst) {
  scheduler s{{.max_running = 3, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::low));
  s.add(make_task(2, "b:443", task_priority::normal));
  s.add(make_task(3, "c:443", task_priority::high));
  s.add(make_task(4, "d:443", task_priority::foreground));
  EXPECT_EQ(started(s), (ids{4, 3, 2}));
  EXPECT_FALSE(s.running(1));
}

TEST(Scheduler, NeverRunsMoreThanMaxRunning) {
  scheduler s{{.max_running = 2, .per_host = 6}};
  for (task_id id = 1; id <= 5; ++id) {
    s.add(make_task(id, "h" + std::to_string(id)));
  }
  EXPECT_EQ(started(s), (ids{1, 2}));
  EXPECT_TRUE(started(s).empty());
  EXPECT_EQ(s.running_count(), 2u);
  EXPECT_EQ(s.queued_count(), 3u);
}

TEST(Scheduler, ATasksConnectionsCountAgainstItsHostsCap) {
  scheduler s{{.max_running = 10, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::normal, 4));  // 4 of 6
  s.add(make_task(2, "a:443", task_priority::normal, 2));  // 6 of 6
  s.add(make_task(3, "a:443", task_priority::normal, 1));  // would be 7
  EXPECT_EQ(started(s), (ids{1, 2}));
  s.remove(2);
  EXPECT_EQ(started(s), (ids{3}));
}

TEST(Scheduler, ATaskBiggerThanTheHostCapRunsAlone) {
  scheduler s{{.max_running = 10, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::normal, 1));
  s.add(make_task(2, "a:443", task_priority::normal, 8));
  s.add(make_task(3, "a:443", task_priority::normal, 1));
  EXPECT_EQ(started(s), (ids{1}));
  s.remove(1);
  EXPECT_EQ(started(s), (ids{2}));  // alone on its host; task 3 waits behind it
  s.remove(2);
  EXPECT_EQ(started(s), (ids{3}));
}

TEST(Scheduler, AFullHostDoesNotHoldBackOtherHosts) {
  scheduler s{{.max_running = 4, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::high, 6));
  s.add(make_task(2, "a:443", task_priority::high, 1));
  s.add(make_task(3, "b:443", task_priority::low, 1));
  EXPECT_EQ(started(s), (ids{1, 3}));
}

TEST(Scheduler, AHeadThatDoesNotFitHoldsBackSmallerTasksOnItsOwnHost) {
  scheduler s{{.max_running = 4, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::normal, 4));
  s.add(make_task(2, "a:443", task_priority::normal, 4));
  s.add(make_task(3, "a:443", task_priority::normal, 1));
  EXPECT_EQ(started(s), (ids{1}));  // task 3 would fit, but must not starve task 2
  s.remove(1);
  EXPECT_EQ(started(s), (ids{2, 3}));
}

TEST(Scheduler, NotBeforeHoldsATaskAndSetsTheWake) {
  scheduler s;
  schedule_entry later = make_task(1);
  later.not_before = t0 + 30s;
  s.add(later);
  schedule_entry sooner = make_task(2, "b:443");
  sooner.not_before = t0 + 10s;
  s.add(sooner);

  schedule_decision d = s.decide(t0);
  EXPECT_TRUE(d.start.empty());
  EXPECT_EQ(d.wake, t0 + 10s);

  d = s.decide(t0 + 10s);
  EXPECT_EQ(d.start, (ids{2}));
  EXPECT_EQ(d.wake, t0 + 30s);

  s.set_not_before(1, std::nullopt);
  d = s.decide(t0 + 11s);
  EXPECT_EQ(d.start, (ids{1}));
  EXPECT_FALSE(d.wake);
}

TEST(Scheduler, SerializedGroupRunsInIdOrderDespitePriorities) {
  scheduler s{{.max_running = 4, .per_host = 6}};
  s.add(member(1, "g", group_order::serialized, task_priority::low));
  s.add(member(2, "g", group_order::serialized, task_priority::foreground));
  s.add(member(3, "g", group_order::serialized, task_priority::high));
  s.add(make_task(4, "b:443", task_priority::normal));
  // The group's head is low: it starts after the normal task, and its members never overtake.
  EXPECT_EQ(started(s), (ids{4, 1}));
  s.remove(1);
  EXPECT_EQ(started(s), (ids{2}));
  s.remove(2);
  EXPECT_EQ(started(s), (ids{3}));
}

TEST(Scheduler, ASerializedMembersWakeIsTheHeadsOnly) {
  scheduler s;
  schedule_entry head = member(1, "g", group_order::serialized);
  head.not_before = t0 + 20s;
  s.add(head);
  schedule_entry next = member(2, "g", group_order::serialized);
  next.not_before = t0 + 5s;
  s.add(next);
  const schedule_decision d = s.decide(t0);
  EXPECT_TRUE(d.start.empty());
  EXPECT_EQ(d.wake, t0 + 20s);
}

TEST(Scheduler, AMemberThatLeavesReleasesTheTurn) {
  scheduler s;
  s.add(member(1, "g", group_order::serialized));
  s.add(member(2, "g", group_order::serialized));
  s.add(member(3, "g", group_order::serialized));
  EXPECT_EQ(started(s), (ids{1}));
  s.remove(1);  // failed while running
  s.remove(2);  // paused while queued
  EXPECT_EQ(started(s), (ids{3}));
  // A running member that stops (not leaves) keeps the turn.
  s.add(member(4, "g", group_order::serialized));
  s.stopped(3);
  EXPECT_EQ(started(s), (ids{3}));
}

TEST(Scheduler, AParallelGroupOnlyObeysTheCaps) {
  scheduler s{{.max_running = 3, .per_host = 6}};
  for (task_id id = 1; id <= 4; ++id) {
    s.add(member(id, "p", group_order::parallel));
  }
  EXPECT_EQ(started(s), (ids{1, 2, 3}));
}

TEST(Scheduler, AGroupKeepsOneOrder) {
  scheduler s;
  s.add(member(1, "g", group_order::serialized));
  EXPECT_THROW(s.add(member(2, "g", group_order::parallel)), std::invalid_argument);
  EXPECT_FALSE(s.contains(2));
}

TEST(Scheduler, ForegroundPreemptsTheLowestPreemptibleLatestFirst) {
  scheduler s{{.max_running = 3, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::low));
  s.add(make_task(2, "b:443", task_priority::low));
  s.add(make_task(3, "c:443", task_priority::high));
  EXPECT_EQ(started(s), (ids{3, 1, 2}));
  s.add(make_task(4, "d:443", task_priority::foreground));
  const schedule_decision d = s.decide(t0);
  EXPECT_EQ(d.preempt, (ids{2}));
  EXPECT_EQ(d.start, (ids{4}));
  EXPECT_FALSE(s.running(2));
  EXPECT_EQ(s.running_count(), 3u);
  // The preempted task is queued again at its place, and starts when a slot frees.
  s.remove(4);
  EXPECT_EQ(started(s), (ids{2}));
}

TEST(Scheduler, ForegroundNeverPreemptsANonPreemptibleOrAnotherForegroundTask) {
  scheduler s{{.max_running = 2, .per_host = 6}};
  schedule_entry upload = make_task(1, "a:443", task_priority::low);
  upload.preemptible = false;
  s.add(upload);
  s.add(make_task(2, "b:443", task_priority::foreground));
  EXPECT_EQ(started(s), (ids{2, 1}));
  s.add(make_task(3, "c:443", task_priority::foreground));
  const schedule_decision d = s.decide(t0);
  EXPECT_TRUE(d.preempt.empty());
  EXPECT_TRUE(d.start.empty());
  EXPECT_FALSE(s.running(3));
}

TEST(Scheduler, OnlyForegroundPreempts) {
  scheduler s{{.max_running = 1, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::low));
  EXPECT_EQ(started(s), (ids{1}));
  s.add(make_task(2, "b:443", task_priority::high));
  const schedule_decision d = s.decide(t0);
  EXPECT_TRUE(d.preempt.empty());
  EXPECT_TRUE(d.start.empty());
}

TEST(Scheduler, ForegroundPreemptsOnItsHostTheSingleTaskThatMakesRoom) {
  scheduler s{{.max_running = 10, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::low, 1));
  s.add(make_task(2, "a:443", task_priority::normal, 4));
  s.add(make_task(3, "b:443", task_priority::low, 1));
  EXPECT_EQ(started(s), (ids{2, 1, 3}));
  // 5 of 6 used on a: a 3-connection task needs 2 freed; task 1 frees 1, task 2 frees 4.
  s.add(make_task(4, "a:443", task_priority::foreground, 3));
  const schedule_decision d = s.decide(t0);
  EXPECT_EQ(d.preempt, (ids{2}));
  EXPECT_EQ(d.start, (ids{4}));
}

TEST(Scheduler, ForegroundPreemptsSeveralWhenNoSingleTaskMakesRoom) {
  scheduler s{{.max_running = 10, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::low, 2));
  s.add(make_task(2, "a:443", task_priority::low, 2));
  s.add(make_task(3, "a:443", task_priority::normal, 2));
  EXPECT_EQ(started(s), (ids{3, 1, 2}));
  s.add(make_task(4, "a:443", task_priority::foreground, 4));
  const schedule_decision d = s.decide(t0);
  EXPECT_EQ(d.preempt, (ids{2, 1}));
  EXPECT_EQ(d.start, (ids{4}));
}

TEST(Scheduler, ForegroundPreemptsNoMoreThanItsRoomNeeds) {
  scheduler s{{.max_running = 10, .per_host = 6}};
  s.add(make_task(1, "a:443", task_priority::low, 1));
  s.add(make_task(2, "a:443", task_priority::normal, 3));
  s.add(make_task(3, "a:443", task_priority::normal, 2));
  EXPECT_EQ(started(s), (ids{2, 3, 1}));
  // 5 connections need 5 freed: lowest first takes 1, 3 and 2, but 3 and 2 alone are enough.
  s.add(make_task(4, "a:443", task_priority::foreground, 5));
  const schedule_decision d = s.decide(t0);
  EXPECT_EQ(d.preempt, (ids{3, 2}));
  EXPECT_EQ(d.start, (ids{4}));
  EXPECT_TRUE(s.running(1));
}

TEST(Scheduler, APreemptedTaskThatFitsAgainKeepsRunning) {
  scheduler s{{.max_running = 3, .per_host = 6}};
  s.add(make_task(1, "g:443", task_priority::low, 1));
  s.add(make_task(2, "h:443", task_priority::normal, 3));
  s.add(make_task(3, "h:443", task_priority::normal, 3));
  EXPECT_EQ(started(s), (ids{2, 3, 1}));
  s.add(make_task(4, "k:443", task_priority::foreground, 1));
  s.add(make_task(5, "h:443", task_priority::foreground, 6));
  // Task 4 takes task 1's slot; task 5 then frees two slots on h, so task 1 fits again.
  const schedule_decision d = s.decide(t0);
  EXPECT_EQ(d.start, (ids{4, 5}));
  EXPECT_EQ(d.preempt, (ids{3, 2}));
  EXPECT_TRUE(s.running(1));
}

TEST(Scheduler, ATaskStartedThenPreemptedInOneDecideStaysQueued) {
  scheduler s{{.max_running = 3, .per_host = 6}};
  s.add(make_task(1, "h:443", task_priority::low, 6));
  s.add(make_task(2, "g:443", task_priority::normal, 1));
  EXPECT_EQ(started(s), (ids{2, 1}));
  s.add(make_task(3, "h:443", task_priority::foreground, 1));
  s.add(make_task(4, "h:443", task_priority::foreground, 1));
  s.add(make_task(5, "k:443", task_priority::low, 1));
  // Task 5 takes the free slot; task 3 preempts task 1 on h, then task 4 needs a slot: task 5's.
  const schedule_decision d = s.decide(t0);
  EXPECT_EQ(d.start, (ids{3, 4}));
  EXPECT_EQ(d.preempt, (ids{1}));
  EXPECT_FALSE(s.running(5));
  EXPECT_EQ(s.running_count(), 3u);
}

TEST(Scheduler, StoppedRequeuesInItsFifoPlace) {
  scheduler s{{.max_running = 2, .per_host = 6}};
  for (task_id id = 1; id <= 4; ++id) {
    s.add(make_task(id));
  }
  EXPECT_EQ(started(s), (ids{1, 2}));
  s.stopped(1);
  s.stopped(2);
  s.stopped(3);  // not running: nothing happens
  EXPECT_EQ(started(s), (ids{1, 2}));
  EXPECT_EQ(s.queued_count(), 2u);
}

TEST(Scheduler, SetPriorityReorders) {
  scheduler s{{.max_running = 1, .per_host = 6}};
  s.add(make_task(1));
  s.add(make_task(2));
  s.add(make_task(3));
  s.set_priority(3, task_priority::high);
  s.set_priority(1, task_priority::low);
  EXPECT_EQ(started(s), (ids{3}));
  s.remove(3);
  EXPECT_EQ(started(s), (ids{2}));
}

TEST(Scheduler, RaisingTheLimitsStartsMore) {
  scheduler s{{.max_running = 1, .per_host = 2}};
  s.add(make_task(1, "a:443"));
  s.add(make_task(2, "a:443"));
  s.add(make_task(3, "a:443"));
  s.add(make_task(4, "b:443"));
  EXPECT_EQ(started(s), (ids{1}));
  s.set_limits({.max_running = 4, .per_host = 2});
  EXPECT_EQ(started(s), (ids{2, 4}));
  s.set_limits({.max_running = 4, .per_host = 3});
  EXPECT_EQ(started(s), (ids{3}));
}

TEST(Scheduler, AddingAnIdTwiceThrows) {
  scheduler s;
  s.add(make_task(1));
  EXPECT_THROW(s.add(make_task(1)), std::invalid_argument);
  EXPECT_THROW(s.add(make_task(0)), std::invalid_argument);
  EXPECT_THROW(s.add(make_task(2, "a:443", task_priority::normal, 0)), std::invalid_argument);
  EXPECT_EQ(s.queued_count(), 1u);
}

// Adds `n` tasks (made by `make`), then finishes them one by one as they start; returns steps.
template <typename Make>
std::uint64_t drain(std::size_t n, Make make, std::size_t most_at_once) {
  scheduler s{{.max_running = 4, .per_host = 6}};
  for (task_id id = 1; id <= n; ++id) {
    s.add(make(id));
  }
  std::vector<task_id> running = s.decide(t0).start;
  EXPECT_EQ(running.size(), most_at_once);
  std::size_t done = 0;
  while (!running.empty()) {
    s.remove(running.front());
    running.erase(running.begin());
    ++done;
    const ids more = s.decide(t0).start;
    running.insert(running.end(), more.begin(), more.end());
    EXPECT_LE(running.size(), most_at_once);
  }
  EXPECT_EQ(done, n);
  EXPECT_EQ(s.queued_count(), 0u);
  return s.steps();
}

constexpr std::size_t many = 10'000;
const double bound = 5.0 * many * std::log2(static_cast<double>(many));

TEST(Scheduler, TenThousandTasksOnOneHostTakeNLogNSteps) {
  const std::uint64_t steps = drain(
      many, [](task_id id) { return make_task(id, "a:443"); }, 4);
  EXPECT_LT(static_cast<double>(steps), bound);
  RecordProperty("steps", std::to_string(steps));
}

TEST(Scheduler, TenThousandTasksOnAHundredHostsTakeNLogNSteps) {
  const std::uint64_t steps = drain(
      many, [](task_id id) { return make_task(id, "h" + std::to_string(id % 100) + ":443"); }, 4);
  EXPECT_LT(static_cast<double>(steps), bound);
  RecordProperty("steps", std::to_string(steps));
}

TEST(Scheduler, TenThousandTasksInOneSerializedGroupTakeNLogNSteps) {
  const std::uint64_t steps = drain(
      many, [](task_id id) { return member(id, "g", group_order::serialized); }, 1);
  EXPECT_LT(static_cast<double>(steps), bound);
  RecordProperty("steps", std::to_string(steps));
}

// The brute-force reference: the scheduler's rules written as plain scans of every task.
class reference {
 public:
  struct item {
    schedule_entry entry;
    bool running = false;
  };

  explicit reference(scheduler_limits limits) : limits_{limits} {}

  std::map<task_id, item> tasks;

  [[nodiscard]] std::uint64_t used(const std::string& host) const {
    std::uint64_t sum = 0;
    for (const auto& [id, t] : tasks) {
      if (t.running && t.entry.host == host) {
        sum += t.entry.connections;
      }
    }
    return sum;
  }

  [[nodiscard]] std::size_t running_count() const {
    return static_cast<std::size_t>(
        std::count_if(tasks.begin(), tasks.end(), [](const auto& t) { return t.second.running; }));
  }

  [[nodiscard]] bool fits(const schedule_entry& e, std::uint64_t freed = 0) const {
    const std::uint64_t u = used(e.host) - freed;
    return u == 0 || u + e.connections <= limits_.per_host;
  }

  // Holds its serialized group's turn: the lowest id of the group still here.
  [[nodiscard]] bool has_turn(const schedule_entry& e) const {
    if (e.group.empty() || e.order != group_order::serialized) {
      return true;
    }
    for (const auto& [id, t] : tasks) {
      if (t.entry.group == e.group && id < e.id) {
        return false;
      }
    }
    return true;
  }

  [[nodiscard]] bool eligible(const item& t, wall_time now) const {
    return !t.running && (!t.entry.not_before || *t.entry.not_before <= now) && has_turn(t.entry);
  }

  [[nodiscard]] static std::pair<int, task_id> key(const schedule_entry& e) {
    return {-static_cast<int>(e.priority), e.id};
  }

  // Each host's best eligible queued task.
  [[nodiscard]] std::map<std::string, const item*> heads(wall_time now) const {
    std::map<std::string, const item*> best;
    for (const auto& [id, t] : tasks) {
      if (!eligible(t, now)) {
        continue;
      }
      const item*& b = best[t.entry.host];
      if (b == nullptr || key(t.entry) < key(b->entry)) {
        b = &t;
      }
    }
    return best;
  }

  [[nodiscard]] std::optional<wall_time> wake(wall_time now) const {
    std::optional<wall_time> earliest;
    for (const auto& [id, t] : tasks) {
      if (!t.running && t.entry.not_before && *t.entry.not_before > now && has_turn(t.entry)) {
        if (!earliest || *t.entry.not_before < *earliest) {
          earliest = t.entry.not_before;
        }
      }
    }
    return earliest;
  }

  [[nodiscard]] static bool is_victim(const item& t) {
    return t.running && t.entry.preemptible && t.entry.priority != task_priority::foreground;
  }

  // Whether preemption could make room for foreground head `f`.
  [[nodiscard]] bool could_preempt_for(const schedule_entry& f) const {
    std::uint64_t on_host = 0;
    std::size_t all = 0;
    for (const auto& [id, t] : tasks) {
      if (is_victim(t)) {
        ++all;
        if (t.entry.host == f.host) {
          on_host += t.entry.connections;
        }
      }
    }
    return fits(f, on_host) && running_count() + 1 <= limits_.max_running + all;
  }

 private:
  scheduler_limits limits_;
};

void check(const scheduler& s, const reference& r, const schedule_decision& d, wall_time now,
           scheduler_limits limits, int op) {
  SCOPED_TRACE("op " + std::to_string(op));
  // The scheduler agrees with the reference on who runs.
  for (const auto& [id, t] : r.tasks) {
    ASSERT_EQ(s.running(id), t.running) << "task " << id;
  }
  ASSERT_EQ(s.running_count(), r.running_count());
  ASSERT_EQ(s.queued_count(), r.tasks.size() - r.running_count());

  // Caps.
  const std::size_t running = r.running_count();
  ASSERT_LE(running, limits.max_running);
  std::map<std::string, std::pair<std::uint64_t, std::size_t>> per_host;
  std::map<std::string, std::size_t> per_group;
  for (const auto& [id, t] : r.tasks) {
    if (t.running) {
      per_host[t.entry.host].first += t.entry.connections;
      ++per_host[t.entry.host].second;
      if (t.entry.order == group_order::serialized && !t.entry.group.empty()) {
        ++per_group[t.entry.group];
        ASSERT_TRUE(r.has_turn(t.entry)) << "task " << id << " runs out of its group's turn";
      }
    }
  }
  for (const auto& [host, use] : per_host) {
    ASSERT_TRUE(use.first <= limits.per_host || use.second == 1) << host;
  }
  for (const auto& [group, n] : per_group) {
    ASSERT_LE(n, 1u) << group;
  }

  // Work-conserving: with a free slot, no host's eligible head fits.
  const auto heads = r.heads(now);
  for (const auto& [host, head] : heads) {
    if (running < limits.max_running) {
      ASSERT_FALSE(r.fits(head->entry)) << "task " << head->entry.id << " left unstarted";
    }
    // A foreground head without room could not have made room.
    if (head->entry.priority == task_priority::foreground) {
      ASSERT_FALSE(r.could_preempt_for(head->entry)) << "task " << head->entry.id;
    }
  }

  // Without preemption, nothing better that fits was left behind a started task.
  if (d.preempt.empty() && !d.start.empty()) {
    std::pair<int, task_id> worst{-10, 0};
    for (const task_id id : d.start) {
      worst = std::max(worst, reference::key(r.tasks.at(id).entry));
    }
    for (const auto& [host, head] : heads) {
      if (r.fits(head->entry)) {
        ASSERT_GT(reference::key(head->entry), worst) << "task " << head->entry.id;
      }
    }
  }

  ASSERT_EQ(d.wake, r.wake(now));
}

void random_run(std::uint32_t seed, scheduler_limits limits, int ops) {
  std::mt19937 rng{seed};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  scheduler s{limits};
  reference r{limits};
  task_id next_id = 1;
  wall_time now = t0;
  const std::vector<std::string> hosts{"a:443", "b:443", "c:443", "d:443", "e:443"};
  const std::vector<std::string> groups{"s1", "s2", "s3", "p1", "p2"};
  auto random_task = [&]() -> const reference::item* {
    if (r.tasks.empty()) {
      return nullptr;
    }
    auto it = r.tasks.begin();
    std::advance(it, pick(static_cast<int>(r.tasks.size())));
    return &it->second;
  };
  auto random_time = [&]() -> std::optional<wall_time> {
    if (pick(3) != 0) {
      return std::nullopt;
    }
    return now + std::chrono::seconds{pick(25) - 5};
  };

  for (int op = 0; op < ops; ++op) {
    const int what = pick(100);
    if (what < 30 && r.tasks.size() < 60) {
      schedule_entry e = make_task(next_id++, hosts[static_cast<std::size_t>(pick(5))],
                                   static_cast<task_priority>(pick(4)));
      e.connections = pick(10) == 0 ? 8u : static_cast<unsigned>(1 + pick(4));
      if (pick(2) == 0) {
        const int g = pick(5);
        e.group = groups[static_cast<std::size_t>(g)];
        e.order = g < 3 ? group_order::serialized : group_order::parallel;
      }
      e.not_before = random_time();
      e.preemptible = pick(5) != 0;
      r.tasks[e.id] = {e, false};
      s.add(std::move(e));
    } else if (what < 45) {
      if (const reference::item* t = random_task()) {
        const task_id id = t->entry.id;
        r.tasks.erase(id);
        s.remove(id);
      }
    } else if (what < 55) {
      if (const reference::item* t = random_task()) {
        const task_id id = t->entry.id;
        r.tasks.at(id).running = false;
        s.stopped(id);
      }
    } else if (what < 65) {
      if (const reference::item* t = random_task()) {
        const task_id id = t->entry.id;
        const auto p = static_cast<task_priority>(pick(4));
        r.tasks.at(id).entry.priority = p;
        s.set_priority(id, p);
      }
    } else if (what < 70) {
      if (const reference::item* t = random_task()) {
        const task_id id = t->entry.id;
        const std::optional<wall_time> when = random_time();
        r.tasks.at(id).entry.not_before = when;
        s.set_not_before(id, when);
      }
    } else {
      now += std::chrono::seconds{pick(4)};
      const schedule_decision d = s.decide(now);
      for (const task_id id : d.preempt) {
        reference::item& t = r.tasks.at(id);
        ASSERT_TRUE(t.running) << "preempted task " << id << " was not running";
        ASSERT_TRUE(t.entry.preemptible);
        ASSERT_NE(t.entry.priority, task_priority::foreground);
        t.running = false;
      }
      for (const task_id id : d.start) {
        reference::item& t = r.tasks.at(id);
        ASSERT_FALSE(t.running) << "started task " << id << " was running";
        ASSERT_TRUE(r.eligible(t, now)) << "started task " << id << " was not eligible";
        ASSERT_EQ(std::count(d.preempt.begin(), d.preempt.end(), id), 0);
        t.running = true;
      }
      if (!d.preempt.empty()) {
        ASSERT_TRUE(std::any_of(d.start.begin(), d.start.end(), [&](task_id id) {
          return r.tasks.at(id).entry.priority == task_priority::foreground;
        }));
      }
      check(s, r, d, now, limits, op);
      if (::testing::Test::HasFatalFailure()) {
        return;
      }
    }
  }
}

TEST(Scheduler, RandomOperationsKeepTheInvariantsOfABruteForceReference) {
  random_run(20260101, {.max_running = 4, .per_host = 6}, 4000);
  random_run(7, {.max_running = 8, .per_host = 4}, 4000);
  random_run(99, {.max_running = 2, .per_host = 10}, 4000);
}

}  // namespace
}  // namespace ferry::engine
