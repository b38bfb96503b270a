// The fixture of the session tests: a state directory of their own, a delegate that records
// what it hears, downloads from ferry's scripted server, and bounded waits.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry/engine/session/session.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {

// Records what the delegate hears; answers events with `answer`.
class recording_delegate : public session_delegate {
 public:
  explicit recording_delegate(delivery answer = delivery::done) : answer_(answer) {}

  void on_state(const task_info& task) override {
    std::lock_guard lock{mutex_};
    states_[task.id].push_back(task.state);
    reasons_[task.id].push_back(task.reason);
  }
  delivery on_event(const session_event& event) override {
    std::lock_guard lock{mutex_};
    events_.push_back(event);
    return answer_;
  }
  void on_all_events_delivered() override {
    std::lock_guard lock{mutex_};
    ++all_delivered_;
  }

  std::vector<session_event> events() const {
    std::lock_guard lock{mutex_};
    return events_;
  }
  std::vector<task_state> states(task_id id) const {
    std::lock_guard lock{mutex_};
    const auto it = states_.find(id);
    return it == states_.end() ? std::vector<task_state>{} : it->second;
  }
  std::vector<std::error_code> reasons(task_id id) const {
    std::lock_guard lock{mutex_};
    const auto it = reasons_.find(id);
    return it == reasons_.end() ? std::vector<std::error_code>{} : it->second;
  }
  int all_delivered() const {
    std::lock_guard lock{mutex_};
    return all_delivered_;
  }

 private:
  delivery answer_;
  mutable std::mutex mutex_;
  std::vector<session_event> events_;
  std::map<task_id, std::vector<task_state>> states_;
  std::map<task_id, std::vector<std::error_code>> reasons_;
  int all_delivered_ = 0;
};

class session_fixture : public ::testing::Test {
 protected:
  session_config config() const {
    session_config c;
    c.identifier = "test";
    c.state_directory = scratch_ / "state";
    c.durable = durability::process;
    c.progress_interval = std::chrono::milliseconds{50};
    c.retry.initial_delay = std::chrono::milliseconds{1};
    c.retry.max_delay = std::chrono::milliseconds{5};
    return c;
  }

  std::unique_ptr<session> open(session_delegate* delegate) {
    std::error_code ec;
    auto s = session::open(config(), delegate, ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
  }

  // A controller of the same session: another process's view, in this one.
  std::unique_ptr<session> open_control() {
    session_config c = config();
    c.role = session_role::control;
    std::error_code ec;
    auto s = session::open(c, nullptr, ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
  }

  transfer_request download_of(const test::scripted_server& server, const std::string& name) const {
    transfer_request r;
    r.kind = transfer_kind::download;
    r.url = http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/" + name);
    r.output = scratch_ / name;
    r.retry.initial_delay = std::chrono::milliseconds{1};
    r.retry.max_delay = std::chrono::milliseconds{5};
    r.durable = durability::process;
    return r;
  }

  // Polls (bounded: 20 s) until the task is in `state`.
  static void wait_for_state(const session& s, task_id id, task_state state) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (s.find(id)->state != state && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    ASSERT_EQ(s.find(id)->state, state);
  }

  // Polls (bounded: 10 s) until the running task has moved at least `bytes`.
  static void wait_for_progress(const session& s, task_id id, std::uint64_t bytes) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    const auto moved = [&] { return s.progress(id).value_or(transfer_progress{}).transferred; };
    while (moved() < bytes && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    ASSERT_GE(moved(), bytes);
  }

  static void wait_idle(session& s) {
    std::error_code ec;
    s.wait_idle(std::chrono::seconds{30}, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  test::temp_directory scratch_{"session"};
};

}  // namespace ferry::engine
