// A session controlled from outside its runner: a controller's commands applied and answered
// by the runner (in this process, and from another process within the bound), applied by the
// controller itself when no runner is there, and never stranded by a runner that closes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "child_process.hpp"
#include "ferry/engine/error.hpp"
#include "resource_responder.hpp"
#include "session/journal.hpp"
#include "session_fixture.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;
using SessionControlTest = session_fixture;

std::function<resource_fault(std::size_t)> no_fault() {
  return [](std::size_t) { return resource_fault{}; };
}

TEST_F(SessionControlTest, AControllersAddIsRunByTheRunnerAndAnswered) {
  const std::string body = test::version_bytes(50'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, no_fault())};
  recording_delegate delegate;
  auto runner = open(&delegate);
  auto control = open_control();
  EXPECT_TRUE(control->runner_active());
  const task_info added = control->add(download_of(server, "a"), {});
  ASSERT_NE(added.id, 0U);
  wait_idle(*runner);
  EXPECT_EQ(test::read_file(scratch_ / "a"), body);
  EXPECT_EQ(control->find(added.id)->state, task_state::completed);
  ASSERT_EQ(delegate.events().size(), 1U);
  EXPECT_EQ(delegate.events()[0].task, added.id);
  EXPECT_EQ(delegate.events()[0].kind, event_kind::completed);
  EXPECT_EQ(control->progress(added.id), std::nullopt) << "progress is never journaled";
}

TEST_F(SessionControlTest, AControllersResumeAndCancelReachTheRunnerAndItsErrorsComeBack) {
  const std::string body = test::version_bytes(20'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, no_fault())};
  recording_delegate delegate;
  auto runner = open(&delegate);
  auto control = open_control();
  task_options paused;
  paused.paused = true;
  const task_id resumed = control->add(download_of(server, "resumed"), paused).id;
  const task_id cancelled = control->add(download_of(server, "cancelled"), paused).id;
  EXPECT_EQ(runner->find(resumed)->state, task_state::paused) << "applied before the answer";
  control->resume(resumed);
  control->cancel(cancelled);
  wait_idle(*runner);
  EXPECT_EQ(runner->find(resumed)->state, task_state::completed);
  EXPECT_EQ(runner->find(cancelled)->state, task_state::cancelled);
  std::error_code ec;
  control->pause(resumed, ec);  // finished: the runner's answer is the call's error
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_THROW(control->cancel(9999), std::system_error);
}

TEST_F(SessionControlTest, WithNoRunnerTheControllerAppliesItsCommandsAndTheNextRunnerRunsThem) {
  const std::string body = test::version_bytes(30'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, no_fault())};
  task_id id = 0;
  {
    auto control = open_control();
    EXPECT_FALSE(control->runner_active());
    const task_info added = control->add(download_of(server, "later"), {});
    id = added.id;
    EXPECT_EQ(added.state, task_state::queued);
    control->pause(id);
    EXPECT_EQ(control->find(id)->state, task_state::paused);
    control->resume(id);
    EXPECT_EQ(control->find(id)->state, task_state::queued);
    EXPECT_FALSE(control->runner_active()) << "the lock was taken briefly and let go";
    std::error_code ec;
    control->wait_idle(100ms, ec);
    EXPECT_EQ(ec, error::timed_out) << "queued, and nobody runs it";
  }
  EXPECT_FALSE(fs::exists(scratch_ / "later"));
  recording_delegate delegate;
  auto runner = open(&delegate);
  wait_idle(*runner);
  EXPECT_EQ(runner->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "later"), body);
}

TEST_F(SessionControlTest, ACommandWaitingWhenTheRunnerClosesIsAnsweredBeforeTheLockGoes) {
  auto runner = open(nullptr);
  task_options paused;
  paused.paused = true;
  scripted_server server{resource_responder({{"x", "\"v0\"", ""}}, no_fault())};
  const task_id id = runner->add(download_of(server, "p"), paused).id;
  // A controller's command, committed just before the close: the runner's journal thread has
  // not looked yet (it looks every 100 ms), and close() must not strand it.
  std::error_code ec;
  auto j = detail::journal::open(runner->state_directory() / "journal.sqlite", {}, ec);
  ASSERT_FALSE(ec) << ec.message();
  detail::command c;
  c.verb = detail::command_verb::cancel;
  c.task = id;
  const std::uint64_t seq = j->submit(c, wall_time{}, ec);
  ASSERT_FALSE(ec);
  runner->close();
  const auto answer = j->answer_of(seq, ec);
  ASSERT_TRUE(answer);
  EXPECT_FALSE(answer->result) << answer->result.message();
  EXPECT_EQ(j->find(id, ec)->state, task_state::cancelled);
}

// The bound on a command's answer from another process: 1 s, 5 s under the sanitizers.
std::chrono::milliseconds answer_bound() {
  const char* scale = std::getenv("FERRY_TEST_SCALE");
  return scale != nullptr && std::strcmp(scale, "small") == 0 ? 5000ms : 1000ms;
}

TEST_F(SessionControlTest, AControllerInAnotherProcessIsAnsweredWithinTheBound) {
  const std::string body = test::version_bytes(40'000, 0);
  scripted_server server{resource_responder({{body, "\"v0\"", ""}}, no_fault())};
  recording_delegate delegate;
  auto runner = open(&delegate);
  const fs::path out = scratch_ / "peer.out";
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/peer";
  const std::string dir = runner->state_directory().string();
  ASSERT_EQ(test::run_process({FERRY_SESSION_PEER, dir, "add", url, (scratch_ / "peer").string()},
                              {}, out, scratch_ / "peer.err", 30s),
            0)
      << test::read_file(scratch_ / "peer.err");
  std::istringstream answer{test::read_file(out)};
  task_id id = 0;
  long long milliseconds = -1;
  answer >> id >> milliseconds;
  ASSERT_NE(id, 0U) << test::read_file(out);
  EXPECT_GE(milliseconds, 0);
  EXPECT_LE(milliseconds, answer_bound().count());
  wait_idle(*runner);
  EXPECT_EQ(runner->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "peer"), body);

  ASSERT_EQ(test::run_process({FERRY_SESSION_PEER, dir, "runner-active"}, {}, out, {}, 30s), 0);
  EXPECT_EQ(test::read_file(out), "yes\n");
  runner.reset();
  ASSERT_EQ(test::run_process({FERRY_SESSION_PEER, dir, "runner-active"}, {}, out, {}, 30s), 0);
  EXPECT_EQ(test::read_file(out), "no\n");
}

}  // namespace
}  // namespace ferry::engine
