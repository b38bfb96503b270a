// detail::session_backend — what a `session` is underneath: the embedded runner (this process
// runs the tasks: embedded_runner.cpp) or a controller (another process runs them; calls go
// through the journal's commands: session_controller.cpp). `session` forwards every call to
// one of them. Engine-internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "ferry/engine/session/session.hpp"
#include "journal.hpp"

namespace ferry::engine::detail {

class session_backend {
 public:
  virtual ~session_backend() = default;

  /// Begins: `owner` is the session this backend is under (null for a runner a controller
  /// opened to apply commands), which the delegate hears first.
  virtual void start(session* owner) { (void)owner; }

  virtual task_info add(transfer_request request, const task_options& options,
                        std::error_code& ec) = 0;
  /// session::add_all; by default one `add` after another.
  virtual std::vector<added_task> add_all(std::vector<task_spec> tasks, std::error_code& ec) {
    ec = {};
    std::vector<added_task> added(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      std::error_code one;
      added[i].task = add(std::move(tasks[i].request), tasks[i].options, one);
      added[i].error = one;
      if (one && !is_task_error(one)) {
        ec = one;  // the journal's (or the session's): the rest would fail alike
        for (std::size_t j = i; j < tasks.size(); ++j) {
          added[j] = {{}, one};
        }
        break;
      }
    }
    return added;
  }
  virtual void pause(task_id id, std::error_code& ec) = 0;
  virtual void resume(task_id id, std::error_code& ec) = 0;
  virtual void cancel(task_id id, std::error_code& ec) = 0;
  virtual void set_priority(task_id id, task_priority priority, std::error_code& ec) = 0;
  virtual std::vector<task_info> tasks(std::error_code& ec) = 0;
  virtual std::optional<task_info> find(task_id id, std::error_code& ec) = 0;
  virtual std::optional<transfer_progress> progress(task_id id) = 0;
  virtual void acknowledge(std::uint64_t seq, std::error_code& ec) = 0;
  virtual void answer_challenge(task_id id, std::optional<http::credentials> answer,
                                std::error_code& ec) = 0;
  virtual void wait_idle(std::chrono::milliseconds limit, std::error_code& ec) = 0;
  /// finish_tasks_and_invalidate (`cancel` false) or invalidate_and_cancel (true).
  virtual void invalidate(bool cancel, std::error_code& ec) = 0;
  virtual std::size_t remove_finished(std::error_code& ec) = 0;
  [[nodiscard]] virtual bool runner_active() = 0;
  /// True on the thread that calls the delegate (a runner's), where waiting for idleness would
  /// wait for itself.
  [[nodiscard]] virtual bool on_delegate_thread() const noexcept { return false; }
  virtual void close() = 0;

  [[nodiscard]] virtual const session_config& config() const noexcept = 0;
  [[nodiscard]] virtual const std::filesystem::path& directory() const noexcept = 0;
};

/// Makes a request's output and body paths absolute, against this process's directory.
std::error_code make_absolute(transfer_request& request);

/// Opens the embedded runner of the session in `dir` (prepared): takes the runner lock and the
/// journal, restores the tasks and applies the commands waiting. With `runs_tasks` false it
/// starts no task: a controller opens it so to apply commands when no runner is active.
/// `detail` receives a sentence for people about a journal's error.
std::shared_ptr<session_backend> open_embedded_runner(
    const session_config& config, std::filesystem::path dir, session_delegate* delegate,
    session_environment environment, bool runs_tasks, std::error_code& ec, std::string& detail);

/// Opens a controller of the session in `dir` (prepared): a journal connection of its own.
std::shared_ptr<session_backend> open_session_controller(const session_config& config,
                                                         std::filesystem::path dir,
                                                         session_environment environment,
                                                         std::error_code& ec, std::string& detail);

}  // namespace ferry::engine::detail
