// Invalidating a session: it takes no new task, ends the others (finishing or cancelling them),
// tells the delegate, stays readable until its events are acknowledged, and then its state
// directory goes; finished tasks removed on request and after seven days.
#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "resource_responder.hpp"
#include "session_fixture.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;
using SessionInvalidationTest = session_fixture;

// Records on_invalidated too.
class invalidation_delegate : public recording_delegate {
 public:
  using recording_delegate::recording_delegate;
  void on_invalidated() override { ++invalidated; }
  std::atomic<int> invalidated{0};
};

TEST_F(SessionInvalidationTest, FinishingRunsTheLiveTasksCancelsThePausedAndThenTheDirectoryGoes) {
  const std::string body = test::version_bytes(30'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) {
    resource_fault f;
    f.stall = 200ms;  // still running when the session is invalidated
    return f;
  })};
  invalidation_delegate delegate;
  fs::path dir;
  {
    auto s = open(&delegate);
    dir = s->state_directory();
    const task_id running = s->add(download_of(server, "runs"), {}).id;
    task_options paused;
    paused.paused = true;
    const task_id held = s->add(download_of(server, "held"), paused).id;
    s->finish_tasks_and_invalidate();
    std::error_code ec;
    (void)s->add(download_of(server, "refused"), {}, ec);
    EXPECT_EQ(ec, error::session_invalidated);
    wait_idle(*s);
    EXPECT_EQ(s->find(running)->state, task_state::completed);
    EXPECT_EQ(test::read_file(scratch_ / "runs"), body);
    EXPECT_EQ(s->find(held)->state, task_state::cancelled);
    EXPECT_EQ(delegate.invalidated.load(), 1);
    EXPECT_TRUE(fs::exists(dir / "journal.sqlite"));
  }  // every event acknowledged (delivery::done): nothing is left to read
  EXPECT_FALSE(fs::exists(dir / "journal.sqlite"));
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(test::read_file(scratch_ / "runs"), body) << "outputs are the user's";
}

TEST_F(SessionInvalidationTest, CancellingEndsEveryTaskAndTheSessionStaysUntilItsEventsAreRead) {
  const std::string body = test::version_bytes(300'000, 0);
  // The second answer sends part of its body and waits: a partial file exists when cancelled.
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 1) {
      f.cut_body_at = 100'000;
      f.stall = 0ms;
    }
    return f;
  })};
  fs::path dir;
  task_id done = 0;
  task_id cut = 0;
  {
    invalidation_delegate later{delivery::later};
    auto s = open(&later);
    dir = s->state_directory();
    transfer_request first = download_of(server, "done");
    done = s->add(first, {}).id;
    wait_idle(*s);
    transfer_request second = download_of(server, "cut");
    second.retry.initial_delay = 60s;  // the cut is not retried before the cancel
    second.retry.max_delay = 60s;
    cut = s->add(second, {}).id;
    wait_for_state(*s, cut, task_state::waiting);
    s->invalidate_and_cancel();
    wait_idle(*s);
    EXPECT_EQ(s->find(cut)->state, task_state::cancelled);
    EXPECT_FALSE(fs::exists(partial_path(scratch_ / "cut")));
    EXPECT_EQ(s->find(done)->state, task_state::completed);
    EXPECT_EQ(test::read_file(scratch_ / "done"), body) << "a completed output is kept";
    EXPECT_EQ(later.invalidated.load(), 1);
  }  // two events delivered and not acknowledged: the session stays
  ASSERT_TRUE(fs::exists(dir / "journal.sqlite"));
  {
    recording_delegate reader;
    auto s = open(&reader);
    wait_idle(*s);
    std::error_code ec;
    (void)s->add(download_of(server, "refused"), {}, ec);
    EXPECT_EQ(ec, error::session_invalidated) << "the invalidation is journaled";
    EXPECT_EQ(reader.events().size(), 2U);  // acknowledged now (delivery::done)
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(SessionInvalidationTest, FinishedTasksGoOnRequestAndAfterSevenDays) {
  const std::string body = test::version_bytes(1'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  const wall_time start = wall_time{} + std::chrono::hours{24 * 365 * 56};
  manual_clock clock{manual_clock::time_point{}, start};
  session_environment e;
  e.time_source = &clock;
  recording_delegate acknowledging;  // events acknowledged as they come (delivery::done)
  auto open_at = [&] {
    auto s = session::open(config(), &acknowledging, e);
    wait_idle(*s);
    return s;
  };
  {
    auto s = open_at();
    (void)s->add(download_of(server, "a"), {});
    (void)s->add(download_of(server, "b"), {});
    task_options paused;
    paused.paused = true;
    (void)s->add(download_of(server, "paused"), paused);
    wait_idle(*s);
    EXPECT_EQ(s->tasks().size(), 3U);
  }
  clock.set_wall(start + std::chrono::hours{24 * 6});
  EXPECT_EQ(open_at()->tasks().size(), 3U) << "six days: kept";
  clock.set_wall(start + std::chrono::hours{24 * 8});
  {
    auto s = open_at();
    ASSERT_EQ(s->tasks().size(), 1U) << "eight days: the finished ones went";
    EXPECT_EQ(s->tasks()[0].state, task_state::paused);
  }
  // On request, whatever their age, once their events are acknowledged.
  recording_delegate deferring{delivery::later};
  auto s = session::open(config(), &deferring, e);
  const task_id id = s->tasks()[0].id;
  s->cancel(id);
  wait_idle(*s);
  EXPECT_EQ(s->remove_finished(), 0U) << "its event is not acknowledged yet";
  ASSERT_EQ(deferring.events().size(), 1U);
  s->acknowledge(deferring.events()[0].seq);
  EXPECT_EQ(s->remove_finished(), 1U);
  EXPECT_TRUE(s->tasks().empty());
}

}  // namespace
}  // namespace ferry::engine
