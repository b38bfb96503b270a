// Credential challenges in a session: a task whose server answers 401 waits (`waiting`,
// `waiting_for_credentials`) while its delegate is asked, once per run, and is answered from any
// thread, now or later, through the delegate's answer or `session::answer_challenge`; a task
// re-attached without the credentials the journal withheld asks again; no answer fails it with
// `credentials_required`. Against ferry's scripted server, which wants Basic user:secret.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/session/session.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "session_fixture.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::resource_fault;
using test::scripted_server;

const std::string wanted = http::basic_authorization("user", "secret");

// Serves `body` (ranges too) to requests carrying user:secret, and 401 with a Basic challenge to
// every other; counts the 401s.
scripted_server::responder guarded(std::string body, std::atomic<int>& refused) {
  return [body = std::move(body), &refused](
             std::string_view request, std::size_t index) -> std::optional<test::scripted_answer> {
    if (index >= 200) {
      return std::nullopt;  // a bound on every test
    }
    if (test::request_field(request, "authorization") != wanted) {
      ++refused;
      return scripted_server::raw(
          "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ferry\"\r\n"
          "Content-Length: 6\r\n\r\ndenied");
    }
    return test::answer_resource(request, {{body, "\"v0\"", ""}}, resource_fault{});
  };
}

// Hears challenges, keeps their answers for the test to call (from its own thread), and records
// what the fixture's delegate records.
class challenged_delegate : public recording_delegate {
 public:
  void on_challenge(task_id task, const challenge_request& challenge,
                    challenge_answer answer) override {
    std::lock_guard lock{mutex_};
    asked_.push_back({task, challenge});
    answers_.push_back(std::move(answer));
    changed_.notify_all();
  }

  // Waits (bounded: 20 s) until `n` challenges were asked, then returns the n-th's answer.
  challenge_answer wait_for_challenge(std::size_t n) {
    std::unique_lock lock{mutex_};
    changed_.wait_for(lock, 20s, [&] { return answers_.size() >= n; });
    return answers_.size() >= n ? answers_[n - 1] : challenge_answer{};
  }
  std::vector<std::pair<task_id, challenge_request>> asked() const {
    std::lock_guard lock{mutex_};
    return asked_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<task_id, challenge_request>> asked_;
  std::vector<challenge_answer> answers_;
};

class SessionChallengeTest : public session_fixture {
 protected:
  std::atomic<int> refused_{0};
  const std::string body_ = test::version_bytes(3'000'000, 1);
  scripted_server server_{guarded(body_, refused_)};
};

TEST_F(SessionChallengeTest, AChallengeIsAskedOnceAndItsAnswerFromAnotherThreadCarriesTheTask) {
  challenged_delegate delegate;
  auto s = open(&delegate);
  transfer_request r = download_of(server_, "guarded");
  r.segments = 3;  // several requests of one run, each refused until it carries the answer
  const task_id id = s->add(r, {}).id;

  challenge_answer answer = delegate.wait_for_challenge(1);
  ASSERT_TRUE(answer);
  wait_for_state(*s, id, task_state::waiting);
  EXPECT_EQ(s->find(id)->reason, error::waiting_for_credentials);
  std::thread{[answer] { answer(http::credentials::basic("user", "secret")); }}.join();

  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed) << s->find(id)->message;
  EXPECT_EQ(test::read_file(scratch_ / "guarded"), body_);
  const auto asked = delegate.asked();
  ASSERT_EQ(asked.size(), 1U) << "asked once for the whole run";
  EXPECT_EQ(asked[0].first, id);
  EXPECT_EQ(asked[0].second.status, 401U);
  ASSERT_EQ(asked[0].second.challenges.size(), 1U);
  EXPECT_EQ(asked[0].second.challenges[0].scheme, "Basic");
  EXPECT_GE(server_.requests().size(), 3U) << "the download used several requests";
  EXPECT_GE(refused_.load(), 2) << "a later request met it too, answered without asking";
}

TEST_F(SessionChallengeTest, WithNoDelegateAnswerTheTaskWaitsForAnswerChallenge) {
  recording_delegate delegate;  // does not answer challenges
  auto s = open(&delegate);
  const task_id id = s->add(download_of(server_, "later"), {}).id;
  wait_for_state(*s, id, task_state::waiting);
  EXPECT_EQ(s->find(id)->reason, error::waiting_for_credentials);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(s->find(id)->state, task_state::waiting) << "it waits, unanswered";

  std::error_code ec;
  s->answer_challenge(id + 1, http::credentials::basic("user", "secret"), ec);
  EXPECT_EQ(ec, error::invalid_argument) << "no such task";
  open_control()->answer_challenge(id, http::credentials::basic("user", "secret"), ec);
  EXPECT_EQ(ec, std::errc::operation_not_supported) << "credentials never pass the journal";
  s->answer_challenge(id, http::credentials::basic("user", "secret"));
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "later"), body_);
  s->answer_challenge(id, std::nullopt, ec);
  EXPECT_EQ(ec, error::invalid_argument) << "nothing is asked any more";
}

TEST_F(SessionChallengeTest, NoCredentialsFailTheTaskWithCredentialsRequired) {
  challenged_delegate delegate;
  auto s = open(&delegate);
  const task_id id = s->add(download_of(server_, "refused"), {}).id;
  challenge_answer answer = delegate.wait_for_challenge(1);
  ASSERT_TRUE(answer);
  answer(std::nullopt);
  wait_idle(*s);
  const auto t = s->find(id);
  EXPECT_EQ(t->state, task_state::failed);
  EXPECT_EQ(t->reason, error::credentials_required);
  EXPECT_NE(t->message.find("401"), std::string::npos) << t->message;
  EXPECT_FALSE(fs::exists(scratch_ / "refused"));
  EXPECT_EQ(delegate.asked().size(), 1U);
  EXPECT_EQ(server_.requests().size(), 1U) << "nothing sent again";
  const auto events = delegate.events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, event_kind::failed);
  EXPECT_EQ(events[0].code, error::credentials_required);
}

TEST_F(SessionChallengeTest, WrongCredentialsFailTheTaskRatherThanAskingForever) {
  challenged_delegate delegate;
  auto s = open(&delegate);
  const task_id id = s->add(download_of(server_, "wrong"), {}).id;
  challenge_answer answer = delegate.wait_for_challenge(1);
  ASSERT_TRUE(answer);
  answer(http::credentials::basic("user", "guess"));
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::failed);
  EXPECT_EQ(s->find(id)->reason, error::credentials_required);
  EXPECT_EQ(delegate.asked().size(), 1U);
}

TEST_F(SessionChallengeTest, ATaskReattachedWithoutItsWithheldCredentialsAsksAgain) {
  transfer_request r = download_of(server_, "withheld");
  r.fields = {{"Authorization", wanted}};  // not stored: the journal withholds it
  task_id id = 0;
  {
    auto s = open(nullptr);
    task_options paused;
    paused.paused = true;
    id = s->add(r, paused).id;
  }
  challenged_delegate delegate;
  auto s = open(&delegate);
  EXPECT_TRUE(s->find(id)->secrets_withheld);
  s->resume(id);
  challenge_answer answer = delegate.wait_for_challenge(1);
  ASSERT_TRUE(answer) << "the re-attached task asks for what the journal did not keep";
  answer(http::credentials::basic("user", "secret"));
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "withheld"), body_);
}

TEST_F(SessionChallengeTest, PausingATaskThatWaitsForCredentialsWithdrawsTheQuestion) {
  challenged_delegate delegate;
  auto s = open(&delegate);
  const task_id id = s->add(download_of(server_, "paused"), {}).id;
  challenge_answer first = delegate.wait_for_challenge(1);
  ASSERT_TRUE(first);
  s->pause(id);
  EXPECT_EQ(s->find(id)->state, task_state::paused);
  std::error_code ec;
  s->answer_challenge(id, http::credentials::basic("user", "secret"), ec);
  EXPECT_EQ(ec, error::invalid_argument) << "withdrawn with the run";
  first(http::credentials::basic("user", "secret"));  // late: nothing runs on it
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(s->find(id)->state, task_state::paused);

  s->resume(id);  // a new run asks again
  challenge_answer second = delegate.wait_for_challenge(2);
  ASSERT_TRUE(second);
  wait_for_state(*s, id, task_state::waiting);
  first(http::credentials::basic("user", "secret"));  // the old question's: not this one's
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(s->find(id)->state, task_state::waiting);
  EXPECT_EQ(s->find(id)->reason, error::waiting_for_credentials);
  second(http::credentials::basic("user", "secret"));
  wait_idle(*s);
  EXPECT_EQ(s->find(id)->state, task_state::completed);
  EXPECT_EQ(test::read_file(scratch_ / "paused"), body_);
}

}  // namespace
}  // namespace ferry::engine
