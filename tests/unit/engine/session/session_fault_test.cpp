// A session whose journal stops taking writes while it runs (a failing SQLite VFS: disk full),
// and a cancel that comes too late: what the app asked fails with a clear error, what happened
// meanwhile waits and is journaled once the journal takes writes again, and nothing committed
// is lost.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "failing_vfs.hpp"
#include "ferry/engine/error.hpp"
#include "resource_responder.hpp"
#include "session/journal.hpp"
#include "session_fixture.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::failing_vfs;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;
using SessionFaultTest = session_fixture;

// The state of task `id` as the journal file says, read through a connection of the test's own.
std::string journaled_state(const std::filesystem::path& journal, task_id id) {
  sqlite3* db = nullptr;
  std::string state;
  if (sqlite3_open_v2(journal.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT state FROM tasks WHERE id = ?", -1, &q, nullptr);
    sqlite3_bind_int64(q, 1, static_cast<sqlite3_int64>(id));
    if (sqlite3_step(q) == SQLITE_ROW) {
      state = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return state;
}

// Group commit defers what relies on a commit until its group's sync: a call under
// durability::power returns only once the WAL holding its commit was synced.
TEST_F(SessionFaultTest, ACallReturnsOnlyAfterItsGroupsSync) {
  failing_vfs vfs;
  scripted_server server{
      resource_responder({{"never", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  session_config c = config();
  c.durable = durability::power;
  // Each sync is slow to be seen: a reply that did not wait for it comes back first.
  std::atomic<int> synced{0};
  session_environment e;
  e.journal_vfs = failing_vfs::name;
  e.on_milestone = [&](std::string_view name) {
    if (name == "synced") {
      std::this_thread::sleep_for(100ms);
      ++synced;
    }
  };
  auto s = session::open(c, nullptr, e);
  // Until no sync is under way (what opening, and the add before, committed): bounded.
  const auto settled = [&] {
    int seen = -1;
    for (int i = 0; i < 50 && seen != synced.load(); ++i) {
      seen = synced.load();
      std::this_thread::sleep_for(250ms);
    }
    return seen;
  };
  task_options paused;
  paused.paused = true;
  for (int i = 0; i < 3; ++i) {
    const int before = settled();
    vfs.reset_count();
    (void)s->add(download_of(server, "p" + std::to_string(i)), paused);
    EXPECT_GT(synced.load(), before) << i << ": returned before its commit was synced";
    EXPECT_GE(vfs.syncs(), 1U) << i;
  }
}

// How many commands in `journal` wait for the runner's answer.
int unanswered_commands(const std::filesystem::path& journal) {
  sqlite3* db = nullptr;
  int count = 0;
  if (sqlite3_open_v2(journal.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM commands WHERE answered IS NULL", -1, &q, nullptr);
    if (sqlite3_step(q) == SQLITE_ROW) {
      count = sqlite3_column_int(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return count;
}

// Group commit (durability power): the commands that other processes queued while the runner
// was busy are applied together, each in its own transaction, and the group is synced once; a
// sync per commit (SQLite's synchronous=FULL) would sync each. The runner is held at a
// "committed" milestone (outside any transaction) until every command is queued.
TEST_F(SessionFaultTest, CommandsThatWaitTogetherAreSyncedOnceAsAGroup) {
  failing_vfs vfs;
  scripted_server server{
      resource_responder({{"never", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  session_config c = config();
  c.durable = durability::power;
  std::mutex mutex;
  std::condition_variable changed;
  bool held = false;
  bool released = false;
  std::atomic<int> commits{0};
  session_environment e;
  e.journal_vfs = failing_vfs::name;
  e.on_milestone = [&](std::string_view name) {
    if (name == "journal_commit") {
      ++commits;
      return;
    }
    std::unique_lock lock{mutex};
    if (name != "committed" || held) {
      return;
    }
    held = true;
    changed.notify_all();
    changed.wait_for(lock, 20s, [&] { return released; });
  };
  auto s = session::open(c, nullptr, e);
  task_options paused;
  paused.paused = true;  // nothing runs: only the journal works
  const task_id first = s->add(download_of(server, "first"), paused).id;
  std::thread canceller{[&] { s->cancel(first); }};  // its event's commit holds the runner
  {
    std::unique_lock lock{mutex};
    ASSERT_TRUE(changed.wait_for(lock, 20s, [&] { return held; }));
  }

  constexpr int count = 16;
  std::vector<std::thread> controllers;
  std::atomic<int> added{0};
  for (int i = 0; i < count; ++i) {
    controllers.emplace_back([&, i] {
      std::error_code ec;
      session_config cc = config();
      cc.role = session_role::control;
      auto controller = session::open(cc, nullptr, ec);
      if (!ec) {
        (void)controller->add(download_of(server, "c" + std::to_string(i)), paused, ec);
      }
      added += ec ? 0 : 1;
    });
  }
  const auto journal = s->state_directory() / "journal.sqlite";
  for (int i = 0; i < 2000 && unanswered_commands(journal) < count; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(unanswered_commands(journal), count);
  vfs.reset_count();
  commits = 0;
  {
    std::lock_guard lock{mutex};
    released = true;
  }
  changed.notify_all();
  canceller.join();
  for (std::thread& t : controllers) {
    t.join();
  }
  EXPECT_EQ(added.load(), count);
  EXPECT_EQ(s->tasks().size(), static_cast<std::size_t>(count + 1));
  EXPECT_GE(commits.load(), count) << "a transaction for each command";
  // The cancel's group, the commands' group, and the idle checkpoint (WAL and database).
  EXPECT_LE(vfs.syncs(), 4U) << commits.load() << " commits";
  EXPECT_GE(vfs.syncs(), 1U) << "the groups were synced";
}

// A task that finds its output complete, with the validators ferry left on it (a crash between
// the rename and the journal's commit leaves one), asks the server whether it is current; while
// the server cannot be reached it waits and asks again, never restarted and never failed.
TEST_F(SessionFaultTest, ACompleteOutputThatCannotBeConfirmedWaitsAndIsNeverRestarted) {
  const std::string body = test::version_bytes(30'000, 0);
  const std::vector<test::resource_version> versions{{body, "\"v0\"", ""}};
  // Request 0 fetches the file; the next eight are reset before any byte of an answer.
  scripted_server server{
      [&](std::string_view request, std::size_t index) -> std::optional<test::scripted_answer> {
        if (index >= 40) {
          return std::nullopt;
        }
        if (index >= 1 && index <= 8) {
          test::scripted_answer cut;
          cut.close_after = 0;
          cut.reset = true;
          return cut;
        }
        return test::answer_resource(request, versions, {});
      }};
  recording_delegate delegate;
  auto s = open(&delegate);
  const task_id first = s->add(download_of(server, "kept"), {}).id;
  wait_idle(*s);
  ASSERT_EQ(s->find(first)->state, task_state::completed);

  transfer_request again = download_of(server, "kept");  // as the task the crash left running
  again.retry.attempts = 2;  // a run gives up soon: the session's wait is what carries it
  const task_id second = s->add(again, {}).id;
  wait_idle(*s);
  EXPECT_EQ(s->find(second)->state, task_state::completed) << s->find(second)->message;
  EXPECT_EQ(test::read_file(scratch_ / "kept"), body);
  const auto states = delegate.states(second);
  EXPECT_EQ(std::count(states.begin(), states.end(), task_state::failed), 0);
  const auto reasons = delegate.reasons(second);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), error::retry_at), reasons.end());
  std::size_t completions = 0;
  for (const session_event& e : delegate.events()) {
    if (e.task == second) {
      EXPECT_EQ(e.kind, event_kind::completed) << "never restarted, never failed";
      ++completions;
    }
  }
  EXPECT_EQ(completions, 1U);
  EXPECT_GT(server.requests().size(), 9U) << "it asked again after the resets";
  for (std::size_t i = 1; i < server.requests().size(); ++i) {
    EXPECT_TRUE(test::request_field(server.requests()[i], "if-none-match"))
        << i << ": a question whether it is current, nothing fetched again";
  }
}

TEST_F(SessionFaultTest, AJournalThatStopsTakingWritesHoldsTheQueueAndLosesNothing) {
  failing_vfs vfs;
  const std::string body = test::version_bytes(30'000, 0);
  // The first answer waits: the journal breaks while that task runs.
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t i) {
    resource_fault f;
    f.stall = i == 0 ? 600ms : 0ms;
    return f;
  })};
  session_config c = config();
  c.max_running = 1;
  session_environment e;
  e.journal_vfs = failing_vfs::name;
  recording_delegate delegate;
  auto s = session::open(c, &delegate, e);
  const task_id running = s->add(download_of(server, "running"), {}).id;
  const task_id queued = s->add(download_of(server, "queued"), {}).id;
  wait_for_state(*s, running, task_state::running);

  vfs.fail_at(0, failing_vfs::failure::disk_full);  // every write from here on
  std::error_code ec;
  (void)s->add(download_of(server, "refused"), {}, ec);
  EXPECT_EQ(ec, error::journal_unwritable) << "what the app asks fails clearly";
  s->pause(queued, ec);
  EXPECT_EQ(ec, error::journal_unwritable);
  // The queue is held and says why; the running task finishes, and its completion waits.
  wait_for_state(*s, queued, task_state::waiting);
  EXPECT_EQ(s->find(queued)->reason, error::journal_unwritable);
  wait_for_state(*s, running, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "running"), body);
  EXPECT_TRUE(delegate.events().empty()) << "no event before its commit";
  const auto journal = s->state_directory() / "journal.sqlite";
  EXPECT_EQ(journaled_state(journal, running), "running");
  EXPECT_EQ(journaled_state(journal, queued), "queued");
  EXPECT_EQ(s->tasks().size(), 2U);

  vfs.heal();  // space again: within a second the completion commits and the queue moves
  wait_idle(*s);
  EXPECT_EQ(s->find(queued)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "queued"), body);
  const auto events = delegate.events();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].task, running);
  EXPECT_EQ(events[0].kind, event_kind::completed);
  EXPECT_EQ(events[1].task, queued);
  s.reset();
  EXPECT_EQ(journaled_state(journal, running), "completed");
  EXPECT_EQ(journaled_state(journal, queued), "completed");
}

TEST_F(SessionFaultTest, ACancelAfterTheDownloadBeganToFinishIsTooLateAndItCompletes) {
  const std::string body = test::version_bytes(20'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  // The download stops at "before_rename" (verified, not yet renamed) until the cancel has
  // been sent, and a little longer, so that the cancel reaches it in its finishing phase.
  std::mutex m;
  std::condition_variable cv;
  bool finishing = false;
  bool cancel_sent = false;
  session_environment e;
  e.on_milestone = [&](std::string_view milestone) {
    if (milestone != "before_rename") {
      return;
    }
    std::unique_lock lock{m};
    finishing = true;
    cv.notify_all();
    cv.wait_for(lock, 10s, [&] { return cancel_sent; });
    lock.unlock();
    std::this_thread::sleep_for(300ms);
  };
  recording_delegate delegate;
  auto s = session::open(config(), &delegate, e);
  const task_id id = s->add(download_of(server, "late"), {}).id;
  {
    std::unique_lock lock{m};
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return finishing; }));
  }
  std::error_code ec;
  std::thread releaser{[&] {
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock{m};
    cancel_sent = true;
    cv.notify_all();
  }};
  s->cancel(id, ec);
  releaser.join();
  EXPECT_EQ(ec, error::too_late);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "late"), body);
  ASSERT_EQ(delegate.events().size(), 1U);
  EXPECT_EQ(delegate.events()[0].kind, event_kind::completed);
}

TEST_F(SessionFaultTest, APostARunnerDiedSendingFailsUnlessIdempotent) {
  // What a runner killed while sending two POSTs leaves: both running in the journal.
  const auto dir = prepare_state_directory(config());
  const auto body = scratch_ / "body";
  test::write_file(body, "payload");
  task_id plain = 0;
  task_id idempotent = 0;
  {
    std::error_code ec;
    auto j = detail::journal::open(dir / "journal.sqlite", {}, ec);
    ASSERT_FALSE(ec) << ec.message();
    detail::new_task t;
    t.request.kind = transfer_kind::upload;
    t.request.method = "POST";
    t.request.url = http::url::parse("http://127.0.0.1:9/form");  // nobody listens
    t.request.body = body;
    plain = j->add_task(t, wall_time{}, ec).task.id;
    t.options.idempotent = true;
    idempotent = j->add_task(t, wall_time{}, ec).task.id;
    const detail::task_change running[] = {{plain, task_state::running, {}, {}, {}, {}},
                                           {idempotent, task_state::running, {}, {}, {}, {}}};
    (void)j->apply(running, wall_time{}, ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  recording_delegate delegate;
  auto s = open(&delegate);
  const auto failed = s->find(plain);
  EXPECT_EQ(failed->state, task_state::failed);
  EXPECT_EQ(failed->reason, error::not_idempotent);
  EXPECT_TRUE(s->find(idempotent)->idempotent);
  EXPECT_NE(s->find(idempotent)->state, task_state::failed) << "sent again";
  s->pause(idempotent);
  s.reset();
  ASSERT_GE(delegate.events().size(), 1U);
  EXPECT_EQ(delegate.events()[0].task, plain);
  EXPECT_EQ(delegate.events()[0].code, error::not_idempotent);
}

}  // namespace
}  // namespace ferry::engine
