// A session run by this process against ferry's scripted server on loopback: tasks added,
// run and finished; events delivered at least once, again after a re-attach until
// acknowledged, never after; one runner; pause, resume and cancel; tasks a closed runner held
// continue in the next one.
#include "ferry/engine/session/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "loop_fixture.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "session_fixture.hpp"
#include "temp_directory.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;
using SessionTest = session_fixture;

TEST_F(SessionTest, ADownloadRunsToItsFileAndItsCompletionIsDeliveredAndAcknowledged) {
  const std::string body = test::version_bytes(200'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  recording_delegate delegate;
  task_id id = 0;
  {
    auto s = open(&delegate);
    const task_info added = s->add(download_of(server, "a.bin"), {});
    id = added.id;
    EXPECT_EQ(id, 1U);
    EXPECT_EQ(added.state, task_state::queued);
    wait_idle(*s);
    EXPECT_EQ(s->find(id)->state, task_state::completed);
  }
  EXPECT_TRUE(test::read_file(scratch_ / "a.bin") == body);
  const auto events = delegate.events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].task, id);
  EXPECT_EQ(events[0].kind, event_kind::completed);
  const auto states = delegate.states(id);
  ASSERT_GE(states.size(), 2U);
  EXPECT_EQ(states.front(), task_state::running);
  EXPECT_EQ(states.back(), task_state::completed);

  // Acknowledged by `done`: a re-attach delivers nothing again, and says so.
  recording_delegate again;
  auto s = open(&again);
  wait_idle(*s);
  EXPECT_TRUE(again.events().empty());
  EXPECT_EQ(again.all_delivered(), 1);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
}

TEST_F(SessionTest, AHandleNamesItsTaskAndForwardsToTheSession) {
  scripted_server server{resource_responder({{"handled", "\"v0\"", ""}},
                                            [](std::size_t) { return resource_fault{}; })};
  auto s = open(nullptr);
  task_options paused;
  paused.paused = true;
  task_handle t = s->add_download(download_of(server, "h"), paused);
  EXPECT_NE(t.id(), 0U);
  EXPECT_EQ(t.state(), task_state::paused);
  EXPECT_EQ(t.progress(), std::nullopt);
  t.set_priority(task_priority::high);
  EXPECT_EQ(t.info().priority, task_priority::high);
  t.resume();
  wait_idle(*s);
  EXPECT_EQ(t.state(), task_state::completed);
  EXPECT_THROW(t.pause(), std::system_error) << "finished";
  std::error_code ec;
  (void)s->add_upload(download_of(server, "not-an-upload"), {}, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_THROW((void)task_handle(*s, 12345).info(), std::system_error);
}

TEST_F(SessionTest, CredentialsAreAbsentFromTheStateDirectoryUnlessTheTaskStoresThem) {
  scripted_server server{
      resource_responder({{"secret", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  auto with_secrets = [&](const std::string& name) {
    transfer_request r = download_of(server, name);
    r.url = http::url::parse("http://user:PASSWORD-" + name +
                             "@127.0.0.1:" + std::to_string(server.port()) + "/" + name);
    r.fields = {{"Authorization", "Bearer TOKEN-" + name}, {"Cookie", "id=COOKIE-" + name}};
    return r;
  };
  fs::path dir;
  {
    auto s = open(nullptr);
    dir = s->state_directory();
    task_options paused;  // they stay in the journal, not run
    paused.paused = true;
    (void)s->add(with_secrets("withheld"), paused);
    paused.store_credentials = true;
    (void)s->add(with_secrets("stored"), paused);
  }  // every connection closed: what is on disk is all there is
  // Another process reads every file of the state directory (journal, -wal, lock).
  auto found = [&](const std::string& secret) {
    return test::run_process({"/bin/grep", "-r", "-a", "-q", "-e", secret, dir.string()}) == 0;
  };
  for (const char* secret : {"PASSWORD-withheld", "TOKEN-withheld", "COOKIE-withheld"}) {
    EXPECT_FALSE(found(secret)) << secret;
  }
  for (const char* secret : {"PASSWORD-stored", "TOKEN-stored", "COOKIE-stored"}) {
    EXPECT_TRUE(found(secret)) << secret << ": the check finds what is there";
  }
}

TEST_F(SessionTest, PauseResumeAndCancelFromManyThreadsLeaveEveryTaskInOneEndState) {
  const std::string body = test::version_bytes(400'000, 0);
  const std::size_t count = std::max<std::size_t>(test::scaled(24), 6);
  scripted_server server{resource_responder(
      {{body, "\"v0\"", ""}},
      [](std::size_t) {
        resource_fault f;
        f.stall = 10ms;
        return f;
      },
      count * 40)};
  recording_delegate delegate;
  auto s = open(&delegate);
  std::vector<task_id> ids;
  for (std::size_t i = 0; i < count; ++i) {
    ids.push_back(s->add(download_of(server, "race" + std::to_string(i)), {}).id);
  }
  // Three threads call on every task at once: bounded rounds, errors allowed (a finished task
  // is invalid_argument, a late cancel too_late), never a crash or a second end.
  std::vector<std::thread> callers;
  for (int role = 0; role < 3; ++role) {
    callers.emplace_back([&, role] {
      for (int round = 0; round < 4; ++round) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
          std::error_code ec;
          if (role == 0) {
            s->pause(ids[i], ec);
          } else if (role == 1) {
            s->resume(ids[i], ec);
          } else if (i % 3 == 0 && round == 3) {
            s->cancel(ids[i], ec);
          } else {
            (void)s->progress(ids[i]);
          }
        }
      }
    });
  }
  for (auto& t : callers) {
    t.join();
  }
  for (const task_id id : ids) {
    std::error_code ec;
    s->resume(id, ec);  // whatever the race left paused runs on
  }
  wait_idle(*s);
  std::map<task_id, int> ends;
  for (const auto& e : delegate.events()) {
    if (e.kind == event_kind::completed || e.kind == event_kind::cancelled ||
        e.kind == event_kind::failed) {
      ++ends[e.task];
    }
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const task_info t = *s->find(ids[i]);
    EXPECT_TRUE(t.state == task_state::completed || t.state == task_state::cancelled)
        << ids[i] << " " << to_string(t.state);
    EXPECT_EQ(ends[ids[i]], 1) << ids[i] << ": one end, one event";
    if (t.state == task_state::completed) {
      EXPECT_EQ(test::read_file(t.request.output), body);
    } else {
      EXPECT_FALSE(fs::exists(partial_path(t.request.output)));
    }
  }
}

TEST_F(SessionTest, ATaskInheritsTheSessionsRetryAndDurabilityUnlessItChoseItsOwn) {
  scripted_server server{
      resource_responder({{"d", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  auto s = open(nullptr);  // config(): process durability, retry delays 1 ms .. 5 ms
  task_options paused;
  paused.paused = true;
  transfer_request plain;
  plain.kind = transfer_kind::download;
  plain.url = download_of(server, "x").url;
  plain.output = scratch_ / "inherits";
  const task_info inherits = s->add(plain, paused);
  EXPECT_EQ(inherits.request.durable, durability::process);
  EXPECT_EQ(inherits.request.retry.initial_delay, config().retry.initial_delay);
  EXPECT_EQ(inherits.request.retry.max_delay, config().retry.max_delay);
  transfer_request own = plain;
  own.output = scratch_ / "own";
  own.retry.attempts = 3;
  const task_info chose = s->add(own, paused);
  EXPECT_EQ(chose.request.retry.attempts, 3U);
  EXPECT_EQ(chose.request.retry.initial_delay, retry_policy{}.initial_delay) << "kept whole";
  EXPECT_EQ(s->find(inherits.id)->request.retry.max_delay, config().retry.max_delay)
      << "as journaled";
}

TEST_F(SessionTest, AnIdleSessionEmptiesItsWal) {
  scripted_server server{
      resource_responder({{"idle", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  auto s = open(nullptr);
  (void)s->add(download_of(server, "w"), {});
  wait_idle(*s);
  const fs::path wal = s->state_directory() / "journal.sqlite-wal";
  // The checkpoint comes with the idle turn that follows the last commit (bounded: 5 s).
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (fs::file_size(wal) != 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(fs::file_size(wal), 0U);
  EXPECT_EQ(s->tasks().size(), 1U);
}

TEST_F(SessionTest, ASecondRunnerOfTheSameSessionIsBusy) {
  auto first = open(nullptr);
  ASSERT_TRUE(first);
  std::error_code ec;
  EXPECT_FALSE(session::open(config(), nullptr, ec));
  EXPECT_EQ(ec, error::session_busy);
  first.reset();
  EXPECT_TRUE(session::open(config(), nullptr, ec));  // the lock went with the first
  EXPECT_FALSE(ec);
}

TEST_F(SessionTest, EventsNotAcknowledgedComeAgainAfterAReattachWithTheSameSeq) {
  const std::string body = test::version_bytes(10'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  std::uint64_t seq = 0;
  {
    recording_delegate deferring{delivery::later};
    auto s = open(&deferring);
    (void)s->add(download_of(server, "a"), {});
    wait_idle(*s);
    ASSERT_EQ(deferring.events().size(), 1U);
    seq = deferring.events()[0].seq;
  }  // the process "stops" with the event delivered and not acknowledged
  {
    recording_delegate deferring{delivery::later};
    auto s = open(&deferring);
    wait_idle(*s);
    ASSERT_EQ(deferring.events().size(), 1U);
    EXPECT_EQ(deferring.events()[0].seq, seq);
    EXPECT_EQ(deferring.events()[0].kind, event_kind::completed);
    s->acknowledge(seq);  // the owner's own work is done
  }
  recording_delegate last;
  auto s = open(&last);
  wait_idle(*s);
  EXPECT_TRUE(last.events().empty());
  EXPECT_EQ(last.all_delivered(), 1);
  std::error_code ec;
  s->acknowledge(seq + 1000, ec);
  EXPECT_EQ(ec, error::invalid_argument);
}

// Acknowledges each event through the session it was attached to, before returning `later`.
class acknowledging_delegate : public session_delegate {
 public:
  void on_attached(session& s) override {
    std::lock_guard lock{mutex};
    owner = &s;
  }
  delivery on_event(const session_event& event) override {
    session* s = nullptr;
    {
      std::lock_guard lock{mutex};
      s = owner;
      heard.push_back(event.seq);
    }
    if (s != nullptr) {
      s->acknowledge(event.seq);
    }
    return delivery::later;
  }
  std::mutex mutex;
  session* owner = nullptr;
  std::vector<std::uint64_t> heard;
};

TEST_F(SessionTest, ARestoredEventMayBeAcknowledgedThroughTheSessionTheDelegateWasAttachedTo) {
  const std::string body = test::version_bytes(5'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  {
    recording_delegate deferring{delivery::later};
    auto s = open(&deferring);
    (void)s->add(download_of(server, "a"), {});
    wait_idle(*s);
  }  // one event left unacknowledged
  {
    acknowledging_delegate d;
    auto s = open(&d);  // the restored event may come before open returns
    wait_idle(*s);
    std::lock_guard lock{d.mutex};
    EXPECT_EQ(d.owner, s.get());
    EXPECT_EQ(d.heard.size(), 1U);
  }
  recording_delegate last;
  auto s = open(&last);
  wait_idle(*s);
  EXPECT_TRUE(last.events().empty()) << "acknowledged through on_attached's session";
}

TEST_F(SessionTest, ATaskARunnerHeldWhenItClosedContinuesInTheNextRunner) {
  const std::string body = test::version_bytes(400'000, 0);
  // The first answer stops after a part of the body and then hangs: the runner closes while
  // the task runs. Later answers are whole.
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.cut_body_at = 150'000;
      f.stall = 0ms;
    }
    return f;
  })};
  recording_delegate first;
  task_id id = 0;
  {
    auto s = open(&first);
    transfer_request r = download_of(server, "big");
    r.retry.initial_delay = 60s;  // the cut is retried only after the runner is gone
    r.retry.max_delay = 60s;
    id = s->add(r, {}).id;
    wait_for_state(*s, id, task_state::waiting);
    EXPECT_EQ(s->find(id)->reason, error::retry_at);
  }
  EXPECT_TRUE(fs::exists(partial_path(scratch_ / "big")));
  recording_delegate second;
  auto s = open(&second);
  wait_idle(*s);  // resumed, not waiting 60 s: a new runner starts the task afresh
  const auto t = s->find(id);
  EXPECT_EQ(t->state, task_state::completed);
  EXPECT_TRUE(test::read_file(scratch_ / "big") == body);
  const auto reasons = first.reasons(id);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.back(), error::runner_stopped);  // queued by the close, never paused
  EXPECT_EQ(first.states(id).back(), task_state::queued);
  const auto requests = server.requests();
  ASSERT_GE(requests.size(), 2U);
  EXPECT_NE(requests.back().find("Range: bytes=150000-"), std::string::npos) << requests.back();
}

TEST_F(SessionTest, APausedTaskStaysPausedAcrossAReattachUntilResumed) {
  const std::string body = test::version_bytes(50'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  task_id id = 0;
  {
    auto s = open(nullptr);
    task_options o;
    o.paused = true;
    id = s->add(download_of(server, "p"), o).id;
    wait_idle(*s);  // a paused task does not keep the session busy
    EXPECT_EQ(s->find(id)->state, task_state::paused);
  }
  recording_delegate delegate;
  auto s = open(&delegate);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::paused);
  EXPECT_TRUE(server.requests().empty());
  s->resume(id);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_TRUE(test::read_file(scratch_ / "p") == body);
}

// Paused while it runs and resumed at once: the next run waits for the stopped one to let go of
// the partial file, then continues from its bytes.
TEST_F(SessionTest, PauseAndAnImmediateResumeContinueFromTheBytesOnDisk) {
  const std::string body = test::version_bytes(300'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.cut_body_at = 100'000;
    }
    return f;
  })};
  recording_delegate delegate;
  auto s = open(&delegate);
  transfer_request r = download_of(server, "pr");
  r.retry.initial_delay = 60s;  // only a new run continues it
  r.retry.max_delay = 60s;
  const task_id id = s->add(r, {}).id;
  wait_for_state(*s, id, task_state::waiting);
  s->pause(id);
  EXPECT_EQ(s->find(id)->state, task_state::paused);
  s->resume(id);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_TRUE(test::read_file(scratch_ / "pr") == body);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_NE(requests[1].find("Range: bytes=100000-"), std::string::npos) << requests[1];
  ASSERT_EQ(delegate.events().size(), 1U);
  EXPECT_EQ(delegate.events()[0].kind, event_kind::completed);
}

// The partial file of a paused task vanished (its record stayed): the task restarts from zero
// and says why in a `restarted` event, then completes.
TEST_F(SessionTest, ATaskWhosePartialFileVanishedRestartsWithTheReason) {
  const std::string body = test::version_bytes(300'000, 0);
  std::atomic<int> gets{0};
  scripted_server server{
      [&](std::string_view request, std::size_t index) -> std::optional<test::scripted_answer> {
        if (index >= 20) {
          return std::nullopt;
        }
        test::scripted_answer a = test::answer_resource(request, {{body, "\"v0\"", ""}}, {});
        if (gets++ == 0) {
          a.trickle = 4'000;  // the first run crawls: it is paused midway
          a.trickle_delay = 10ms;
        }
        return a;
      }};
  recording_delegate delegate;
  auto s = open(&delegate);
  const task_id id = s->add(download_of(server, "vanishing"), {}).id;
  wait_for_progress(*s, id, 20'000);
  s->pause(id);
  wait_idle(*s);  // paused at once; idle once its run stopped at a checkpoint (the record saved)
  ASSERT_EQ(s->find(id)->state, task_state::paused);
  const fs::path output = scratch_ / "vanishing";
  ASSERT_TRUE(fs::exists(record_path(output)));
  ASSERT_GT(fs::file_size(partial_path(output)), 0U);
  fs::remove(partial_path(output));  // the bytes go; the record that claims them stays

  s->resume(id);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(output), body);
  const auto events = delegate.events();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, event_kind::restarted);
  EXPECT_EQ(events[0].code, error::partial_file_lost);
  EXPECT_EQ(events[1].kind, event_kind::completed);
  const auto requests = server.requests();
  ASSERT_GE(requests.size(), 2U);
  EXPECT_FALSE(test::request_field(requests.back(), "range")) << "from zero";
}

TEST_F(SessionTest, CancelEndsATaskWithItsEventAndRemovesItsPartialFile) {
  scripted_server server{
      resource_responder({{test::version_bytes(100'000, 0), "\"v0\"", ""}}, [](std::size_t) {
        resource_fault f;
        f.cut_body_at = 40'000;  // never finishes: each attempt is cut
        return f;
      })};
  recording_delegate delegate;
  auto s = open(&delegate);
  transfer_request r = download_of(server, "c");
  r.retry.initial_delay = 60s;
  r.retry.max_delay = 60s;
  const task_id id = s->add(r, {}).id;
  wait_for_state(*s, id, task_state::waiting);
  s->cancel(id);
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::cancelled);
  const auto events = delegate.events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, event_kind::cancelled);
  EXPECT_FALSE(fs::exists(partial_path(scratch_ / "c")));
  EXPECT_FALSE(fs::exists(scratch_ / "c"));
  std::error_code ec;
  s->cancel(id, ec);  // final now
  EXPECT_EQ(ec, error::invalid_argument);
}

TEST_F(SessionTest, AFailedTaskSaysWhyInItsEvent) {
  scripted_server server{resource_responder({{"x", "\"v0\"", ""}}, [](std::size_t) {
    resource_fault f;
    f.status = 404;
    return f;
  })};
  recording_delegate delegate;
  auto s = open(&delegate);
  const task_id id = s->add(download_of(server, "missing"), {}).id;
  wait_idle(*s);
  const auto t = s->find(id);
  EXPECT_EQ(t->state, task_state::failed);
  EXPECT_EQ(t->reason, error::http_error_status);
  const auto events = delegate.events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, event_kind::failed);
  EXPECT_EQ(events[0].code, error::http_error_status);
  EXPECT_NE(events[0].message.find("404"), std::string::npos) << events[0].message;
  EXPECT_FALSE(fs::exists(scratch_ / "missing"));
}

TEST_F(SessionTest, AKeyAddsOnceAndTwoTasksMayNotShareAnOutput) {
  scripted_server server{resource_responder({{"x", "\"v0\"", ""}}, [](std::size_t) {
    resource_fault f;
    f.stall = 200ms;
    return f;
  })};
  auto s = open(nullptr);
  task_options o;
  o.key = "once";
  o.paused = true;
  const auto first = s->add(download_of(server, "k"), o);
  const auto second = s->add(download_of(server, "k"), o);
  EXPECT_EQ(first.id, second.id);
  std::error_code ec;
  (void)s->add(download_of(server, "k"), {}, ec);
  EXPECT_EQ(ec, error::output_in_use);
  transfer_request relative = download_of(server, "k2");
  relative.output = "relative-output";
  task_options paused;
  paused.paused = true;
  const auto made_absolute = s->add(relative, paused);
  EXPECT_TRUE(made_absolute.request.output.is_absolute());
  EXPECT_EQ(s->tasks().size(), 2U);
}

// A delegate may call the session's blocking functions; waiting for itself is refused.
class calling_delegate : public session_delegate {
 public:
  session* owner = nullptr;
  std::mutex mutex;
  void on_attached(session& s) override { owner = &s; }
  std::optional<task_state> seen;
  std::error_code wait_error;
  std::error_code end_wait_error;

  delivery on_event(const session_event& event) override {
    const auto t = owner->find(event.task);
    std::error_code ec;
    owner->wait_idle(1s, ec);
    std::error_code end_ec;
    async_result pending = owner->begin_wait_idle(30s, {});
    owner->end_wait_idle(pending, end_ec);  // would wait for this very call to end
    std::lock_guard lock{mutex};
    seen = t ? std::optional{t->state} : std::nullopt;
    wait_error = ec;
    end_wait_error = end_ec;
    return delivery::done;
  }
};

TEST_F(SessionTest, TheDelegateMayCallTheSessionButNotWaitForItself) {
  scripted_server server{
      resource_responder({{"hello", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  calling_delegate delegate;
  auto s = open(&delegate);
  (void)s->add(download_of(server, "d"), {});
  wait_idle(*s);
  std::lock_guard lock{delegate.mutex};
  EXPECT_EQ(delegate.owner, s.get());
  EXPECT_EQ(delegate.seen, task_state::completed);
  EXPECT_EQ(delegate.wait_error, error::would_deadlock);
  EXPECT_EQ(delegate.end_wait_error, error::would_deadlock);
}

// begin_wait_idle: the Begin/End form of wait_idle. Its callback runs once, never in the
// caller's frame, after the session is idle (every event handed over), or with timed_out, or
// with operation_aborted when the session closes first.
TEST_F(SessionTest, BeginWaitIdleCompletesOnceIdleOrTimedOutOrWhenTheSessionCloses) {
  const std::string body = test::version_bytes(20'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) {
    resource_fault f;
    f.stall = 300ms;  // each answer comes late: the session is busy meanwhile
    return f;
  })};
  recording_delegate delegate;
  auto s = open(&delegate);
  // What one wait's callback saw. A handle says it completed just before its callback runs,
  // so the test waits for the callback itself.
  struct seen {
    std::mutex mutex;
    std::condition_variable called;
    std::thread::id thread;
    int calls = 0;
    std::optional<task_state> state;
    bool wait_for_call() {
      std::unique_lock lock{mutex};
      return called.wait_for(lock, test::test_deadline, [&] { return calls > 0; });
    }
  };
  const auto wait_for = [&](std::chrono::milliseconds limit, seen& what, task_id id) {
    return s->begin_wait_idle(
        limit,
        [&, id](async_result& r) {
          seen& w = *r.state<seen>();
          std::optional<task_state> state;
          if (id != 0) {
            state = s->find(id)->state;
          }
          std::lock_guard lock{w.mutex};
          w.thread = std::this_thread::get_id();
          w.state = state;
          ++w.calls;
          w.called.notify_all();
        },
        &what);
  };

  // Idle already: completes at once, but on the session's own thread.
  seen idle;
  async_result r = wait_for(30s, idle, 0);
  ASSERT_TRUE(idle.wait_for_call());
  s->end_wait_idle(r);
  {
    std::lock_guard lock{idle.mutex};
    EXPECT_EQ(idle.calls, 1);
    EXPECT_NE(idle.thread, std::this_thread::get_id());
  }

  // Busy: times out first, then completes once the task is done and its event handed over.
  const task_id id = s->add(download_of(server, "w"), {}).id;
  seen early;
  r = wait_for(50ms, early, id);
  ASSERT_TRUE(early.wait_for_call());
  std::error_code ec;
  s->end_wait_idle(r, ec);
  EXPECT_EQ(ec, error::timed_out);
  seen done;
  r = wait_for(30s, done, id);
  ASSERT_TRUE(done.wait_for_call());
  s->end_wait_idle(r, ec);
  EXPECT_FALSE(ec) << ec.message();
  {
    std::lock_guard lock{done.mutex};
    EXPECT_EQ(done.state, task_state::completed);
  }
  EXPECT_EQ(delegate.events().size(), 1U) << "its event was handed over before";
  s->end_wait_idle(r, ec);
  EXPECT_EQ(ec, error::already_ended);

  // Closing ends a wait that is still pending; one begun after close is aborted at once.
  (void)s->add(download_of(server, "x"), {});
  seen closing;
  r = wait_for(30s, closing, 0);
  s->close();
  ASSERT_TRUE(closing.wait_for_call());
  s->end_wait_idle(r, ec);
  EXPECT_EQ(ec, error::operation_aborted);
  seen after;
  r = wait_for(30s, after, 0);
  ASSERT_TRUE(after.wait_for_call());
  s->end_wait_idle(r, ec);
  EXPECT_EQ(ec, error::operation_aborted) << "after close";
}

// add_all: many tasks in few transactions (256 a commit), each with its own outcome in order, a
// key or an output given twice in the batch seen by the second; stored like single adds.
TEST_F(SessionTest, AddAllStoresManyTasksInFewCommitsEachWithItsOwnOutcome) {
  scripted_server server{
      resource_responder({{"x", "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  std::atomic<int> commits{0};
  session_environment e;
  e.on_milestone = [&](std::string_view name) { commits += name == "journal_commit" ? 1 : 0; };
  std::error_code ec;
  auto s = session::open(config(), nullptr, ec, e);
  ASSERT_FALSE(ec);
  task_options paused;
  paused.paused = true;
  paused.key = "before";
  const task_id before = s->add(download_of(server, "before"), paused).id;
  paused.key.clear();

  std::vector<task_spec> batch;
  for (int i = 0; i < 600; ++i) {
    batch.push_back({download_of(server, "n" + std::to_string(i)), paused});
  }
  batch[10].options.key = "twice";
  batch[20].options.key = "twice";                      // the second finds the first
  batch[30].options.key = "before";                     // found from before the batch
  batch[40].request.output = batch[41].request.output;  // two live tasks, one output
  batch[50].request.segments = 0;                       // validate refuses it
  commits = 0;
  const std::vector<added_task> added = s->add_all(batch, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(added.size(), batch.size());
  // 3 for the batch; the session's own first clean-up may land among them.
  EXPECT_LE(commits.load(), 4) << "600 tasks, 256 a transaction";
  EXPECT_EQ(added[20].task.id, added[10].task.id);
  EXPECT_EQ(added[30].task.id, before);
  EXPECT_FALSE(added[40].error);
  EXPECT_EQ(added[41].error, error::output_in_use);
  EXPECT_EQ(added[41].task.id, 0U);
  EXPECT_EQ(added[50].error, error::invalid_argument);
  std::set<task_id> ids;
  task_id last = before;
  for (std::size_t i = 0; i < added.size(); ++i) {
    if (i == 20 || i == 30 || i == 41 || i == 50) {
      continue;
    }
    EXPECT_FALSE(added[i].error) << i << ": " << added[i].error.message();
    EXPECT_GT(added[i].task.id, last) << i << ": ids in the batch's order";
    last = added[i].task.id;
    ids.insert(last);
    EXPECT_EQ(added[i].task.state, task_state::paused);
  }
  EXPECT_EQ(ids.size(), 596U);
  EXPECT_EQ(s->tasks().size(), 597U);

  // Stored as single adds are: another runner finds them all.
  s.reset();
  s = open(nullptr);
  EXPECT_EQ(s->tasks().size(), 597U);
  EXPECT_EQ(s->find(added[599].task.id)->request.output, batch[599].request.output);
}

TEST_F(SessionTest, ManyTasksEachEndOnceWithOneEventEach) {
  const std::size_t count = std::max<std::size_t>(test::scaled(200), 20);
  const std::string body = test::version_bytes(2'000, 0);
  scripted_server server{resource_responder(
      {{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; }, count * 4)};
  recording_delegate delegate;
  auto s = open(&delegate);
  std::set<task_id> ids;
  for (std::size_t i = 0; i < count; ++i) {
    ids.insert(s->add(download_of(server, "f" + std::to_string(i)), {}).id);
  }
  wait_idle(*s);
  std::multiset<task_id> completed;
  for (const auto& e : delegate.events()) {
    EXPECT_EQ(e.kind, event_kind::completed);
    completed.insert(e.task);
  }
  EXPECT_EQ(completed.size(), count);
  EXPECT_EQ(std::set<task_id>(completed.begin(), completed.end()), ids);
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(test::read_file(scratch_ / ("f" + std::to_string(i))) == body) << i;
  }
}

}  // namespace
}  // namespace ferry::engine
