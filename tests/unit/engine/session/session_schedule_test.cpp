// The scheduler at work in a running session (its queue alone is tested in scheduler_test): an
// earliest start holds a task until the session's clock passes it, a serialized group runs its
// tasks one after another, and a foreground task takes a running normal task's slot, which
// goes back to the queue (preempted) and later resumes from its bytes on disk.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/session/session.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "session_fixture.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;
using SessionScheduleTest = session_fixture;

// Every state change in the order the session handed them over (one delegate thread: the
// journal thread's order).
class ordered_delegate : public session_delegate {
 public:
  void on_state(const task_info& t) override {
    std::lock_guard lock{mutex_};
    changes_.emplace_back(t.id, t.state, t.reason);
  }
  struct change {
    change(task_id i, task_state s, std::error_code r) : id(i), state(s), reason(r) {}
    task_id id;
    task_state state;
    std::error_code reason;
  };
  std::vector<change> changes() const {
    std::lock_guard lock{mutex_};
    return changes_;
  }
  // Where `id` first reached `state` in the order, or -1.
  long first(task_id id, task_state state) const {
    const auto all = changes();
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i].id == id && all[i].state == state) {
        return static_cast<long>(i);
      }
    }
    return -1;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<change> changes_;
};

TEST_F(SessionScheduleTest, AnEarliestStartHoldsATaskUntilTheSessionsClockPassesIt) {
  const std::string body = test::version_bytes(10'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  manual_clock time;
  session_environment e;
  e.time_source = &time;
  ordered_delegate delegate;
  std::error_code ec;
  auto s = session::open(config(), &delegate, ec, e);
  ASSERT_FALSE(ec) << ec.message();
  task_options later;
  later.earliest_begin = time.wall_now() + 1h;
  const task_id id = s->add(download_of(server, "later"), later).id;
  std::this_thread::sleep_for(300ms);  // several of the scheduler's turns
  EXPECT_EQ(s->find(id)->state, task_state::queued);
  EXPECT_TRUE(server.requests().empty());

  time.advance(1h);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "later"), body);
}

TEST_F(SessionScheduleTest, ASerializedGroupRunsItsTasksOneAfterAnother) {
  const std::string body = test::version_bytes(10'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) {
    resource_fault f;
    f.stall = 50ms;  // each takes a while: a parallel start would overlap
    return f;
  })};
  ordered_delegate delegate;
  auto s = open(&delegate);
  task_options serial;
  serial.group = "in-order";
  serial.order = group_order::serialized;
  std::vector<task_id> ids;
  for (const char* name : {"one", "two", "three"}) {
    ids.push_back(s->add(download_of(server, name), serial).id);
  }
  const task_id free = s->add(download_of(server, "free"), {}).id;  // not in the group
  wait_idle(*s);
  for (const task_id id : ids) {
    EXPECT_EQ(s->find(id)->state, task_state::completed);
  }
  EXPECT_GE(delegate.first(ids[1], task_state::running),
            delegate.first(ids[0], task_state::completed));
  EXPECT_GE(delegate.first(ids[2], task_state::running),
            delegate.first(ids[1], task_state::completed));
  EXPECT_LT(delegate.first(free, task_state::running),
            delegate.first(ids[0], task_state::completed))
      << "a task outside the group does not wait for it";
}

TEST_F(SessionScheduleTest, AForegroundTaskTakesASlotAndThePreemptedTaskResumesFromItsBytes) {
  const std::string body = test::version_bytes(400'000, 0);
  std::atomic<int> first_requests{0};
  scripted_server server{
      [&](std::string_view request, std::size_t index) -> std::optional<test::scripted_answer> {
        if (index >= 20) {
          return std::nullopt;
        }
        test::scripted_answer a = test::answer_resource(request, {{body, "\"v0\"", ""}}, {});
        if (request.find("GET /first ") == 0 && first_requests++ == 0) {
          a.trickle = 4'000;  // the first run of "first" crawls: it is running when preempted
          a.trickle_delay = 20ms;
        }
        return a;
      }};
  session_config c = config();
  c.max_running = 1;
  ordered_delegate delegate;
  std::error_code ec;
  auto s = session::open(c, &delegate, ec);
  ASSERT_FALSE(ec);
  const task_id first = s->add(download_of(server, "first"), {}).id;
  wait_for_progress(*s, first, 20'000);

  task_options urgent;
  urgent.priority = task_priority::foreground;
  const task_id second = s->add(download_of(server, "second"), urgent).id;
  wait_idle(*s);
  EXPECT_EQ(s->find(first)->state, task_state::completed);
  EXPECT_EQ(s->find(second)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "first"), body);
  EXPECT_EQ(test::read_file(scratch_ / "second"), body);

  const auto changes = delegate.changes();
  bool preempted = false;
  for (const auto& change : changes) {
    preempted |= change.id == first && change.state == task_state::queued &&
                 change.reason == error::preempted;
  }
  EXPECT_TRUE(preempted);
  EXPECT_LT(delegate.first(second, task_state::completed),
            delegate.first(first, task_state::completed))
      << "the foreground task ran while the other waited";
  std::vector<std::string> resumed;
  for (const std::string& r : server.requests()) {
    if (r.find("GET /first ") == 0) {
      resumed.push_back(test::request_field(r, "range").value_or(""));
    }
  }
  ASSERT_GE(resumed.size(), 2U);
  EXPECT_EQ(resumed[0], "");
  EXPECT_EQ(resumed[1].rfind("bytes=", 0), 0U) << "resumed from its bytes on disk";
  EXPECT_NE(resumed[1], "bytes=0-");
}

}  // namespace
}  // namespace ferry::engine
