// A controller of a session (`session_role::control`): another process runs the tasks. Every
// change goes to the runner as a command in the journal, and the call waits for its answer;
// reads go to the journal. When no process holds the runner lock, the controller applies its
// commands itself: it opens an embedded runner that starts no task, which applies every
// command waiting and lets go of the lock again.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "ferry/engine/error.hpp"
#include "journal.hpp"
#include "runner_lock.hpp"
#include "session_backend.hpp"

namespace ferry::engine::detail {
namespace {

using namespace std::chrono_literals;

// How long a call waits for the runner's answer.
constexpr auto command_timeout = 10s;
// How often it looks for the answer (the runner looks for commands every 100 ms).
constexpr auto answer_poll = 10ms;
// How often wait_idle reads the tasks' states.
constexpr auto idle_poll = 50ms;

bool active(task_state s) noexcept {
  return s == task_state::queued || s == task_state::running || s == task_state::waiting;
}

class session_controller final : public session_backend {
 public:
  session_controller(session_config config, std::filesystem::path dir,
                     session_environment environment)
      : config_(std::move(config)),
        dir_(std::move(dir)),
        environment_(std::move(environment)),
        clock_(environment_.time_source != nullptr ? *environment_.time_source
                                                   : clock_source::steady()) {}

  void open(std::error_code& ec, std::string& detail) {
    journal_options options;
    options.durable = config_.durable;
    options.vfs = environment_.journal_vfs;
    journal_ = journal::open(dir_ / "journal.sqlite", options, ec, &detail);
  }

  task_info add(transfer_request request, const task_options& options,
                std::error_code& ec) override {
    ec = make_absolute(request);
    if (ec) {
      return {};
    }
    command c;
    c.verb = command_verb::add;
    c.added = new_task{std::move(request), options};
    const command_answer a = run(c, ec);
    if (ec) {
      return {};
    }
    std::optional<task_info> t = find(a.task, ec);
    if (!ec && !t) {
      ec = error::invalid_argument;  // removed again before we could read it
    }
    return t.value_or(task_info{});
  }

  void pause(task_id id, std::error_code& ec) override {
    (void)run(on(command_verb::pause, id), ec);
  }
  void resume(task_id id, std::error_code& ec) override {
    (void)run(on(command_verb::resume, id), ec);
  }
  void cancel(task_id id, std::error_code& ec) override {
    (void)run(on(command_verb::cancel, id), ec);
  }
  void set_priority(task_id id, task_priority priority, std::error_code& ec) override {
    command c = on(command_verb::priority, id);
    c.priority = priority;
    (void)run(c, ec);
  }
  void acknowledge(std::uint64_t seq, std::error_code& ec) override {
    (void)run(on(command_verb::acknowledge, seq), ec);
  }
  // Credentials would have to pass through the journal, which keeps none it was not asked to.
  void answer_challenge(task_id, std::optional<http::credentials>, std::error_code& ec) override {
    ec = std::make_error_code(std::errc::operation_not_supported);
  }

  void invalidate(bool cancel, std::error_code& ec) override {
    (void)run(
        on(cancel ? command_verb::cancel_and_invalidate : command_verb::finish_and_invalidate, 0),
        ec);
  }
  std::size_t remove_finished(std::error_code& ec) override {
    return run(on(command_verb::remove_finished, 0), ec).task;  // the count, in the answer
  }

  std::vector<task_info> tasks(std::error_code& ec) override {
    std::lock_guard lock{mutex_};
    if (!usable(ec)) {
      return {};
    }
    return journal_->tasks(ec);
  }

  std::optional<task_info> find(task_id id, std::error_code& ec) override {
    std::lock_guard lock{mutex_};
    if (!usable(ec)) {
      return std::nullopt;
    }
    return journal_->find(id, ec);
  }

  std::optional<transfer_progress> progress(task_id) override {
    return std::nullopt;  // never journaled: only the runner knows
  }

  void wait_idle(std::chrono::milliseconds limit, std::error_code& ec) override {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const std::vector<task_info> all = tasks(ec);
      if (ec) {
        return;
      }
      if (std::none_of(all.begin(), all.end(),
                       [](const task_info& t) { return active(t.state); })) {
        return;
      }
      if (std::chrono::steady_clock::now() >= give_up) {
        ec = error::timed_out;
        return;
      }
      std::this_thread::sleep_for(idle_poll);
    }
  }

  bool runner_active() override { return runner_lock::held_by_anyone(dir_); }

  void close() override {
    std::lock_guard lock{mutex_};
    journal_.reset();
  }

  const session_config& config() const noexcept override { return config_; }
  const std::filesystem::path& directory() const noexcept override { return dir_; }

 private:
  static command on(command_verb verb, std::uint64_t target) {
    command c;
    c.verb = verb;
    c.task = target;
    return c;
  }

  bool usable(std::error_code& ec) const {
    if (!journal_) {
      ec = error::operation_aborted;  // closed
      return false;
    }
    return true;
  }

  // Queues `c`, waits for its answer (applying it here when no runner is there), and returns
  // it; the answer's error is the call's.
  command_answer run(const command& c, std::error_code& ec) {
    std::uint64_t seq = 0;
    {
      std::lock_guard lock{mutex_};
      if (!usable(ec)) {
        return {};
      }
      seq = journal_->submit(c, clock_.wall_now(), ec);
      if (ec) {
        return {};
      }
    }
    const auto give_up = std::chrono::steady_clock::now() + command_timeout;
    for (;;) {
      {
        std::lock_guard lock{mutex_};
        if (!usable(ec)) {
          return {};
        }
        const std::optional<command_answer> a = journal_->answer_of(seq, ec);
        if (ec) {
          return {};
        }
        if (a) {
          if (config_.durable == durability::power) {
            // The runner syncs its group after the answer is visible here: what this call
            // returns must survive a power loss first (one file, so any connection's sync
            // covers the runner's commits).
            journal_->sync_now(ec);
            if (ec) {
              return {};
            }
          }
          std::error_code ignored;  // a row left behind goes at the runner's next open
          journal_->forget_command(seq, ignored);
          ec = a->result;
          return *a;
        }
      }
      if (std::chrono::steady_clock::now() >= give_up) {
        ec = error::timed_out;
        return {};
      }
      if (!runner_lock::held_by_anyone(dir_)) {
        apply_without_runner();
      } else {
        std::this_thread::sleep_for(answer_poll);
      }
    }
  }

  // Takes the runner lock through a runner that starts no task: opening it applies the
  // commands waiting, and closing it lets go of the lock. Another runner that came first
  // (session_busy) answers them itself.
  void apply_without_runner() {
    std::error_code ec;
    std::string detail;
    auto runner = open_embedded_runner(config_, dir_, nullptr, environment_, false, ec, detail);
    if (runner) {
      runner->close();
    } else if (ec != error::session_busy) {
      std::this_thread::sleep_for(answer_poll);  // the journal's trouble: the next try may pass
    }
  }

  session_config config_;
  std::filesystem::path dir_;
  session_environment environment_;
  clock_source& clock_;
  std::mutex mutex_;  // one connection, one thread at a time
  std::unique_ptr<journal> journal_;
};

}  // namespace

std::shared_ptr<session_backend> open_session_controller(const session_config& config,
                                                         std::filesystem::path dir,
                                                         session_environment environment,
                                                         std::error_code& ec, std::string& detail) {
  auto controller =
      std::make_shared<session_controller>(config, std::move(dir), std::move(environment));
  controller->open(ec, detail);
  if (ec) {
    return nullptr;
  }
  return controller;
}

}  // namespace ferry::engine::detail
