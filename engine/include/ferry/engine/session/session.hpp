// ferry::engine::session — a named, journaled queue of downloads and uploads that outlives the
// process: open it by identifier, add tasks, and hear what happened to them, including while
// nobody listened.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/session/session_config.hpp"
#include "ferry/engine/session/session_event.hpp"
#include "ferry/engine/session/task_info.hpp"
#include "ferry/engine/session/task_options.hpp"
#include "ferry/engine/session/task_state.hpp"
#include "ferry/engine/transfer/challenge.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine {

class session;
namespace detail {
class session_backend;
class idle_waits;
}  // namespace detail

/// Hears a session. Every call runs on the session's delegate thread (one per session, never a
/// loop thread), one at a time, in order for each task, with no ferry lock held; a call may use
/// the session's blocking functions. An exception thrown here is caught and dropped.
class session_delegate {
 public:
  virtual ~session_delegate() = default;

  /// The first call, before any other: the session these calls are about (the one `open` is
  /// returning — restored events may come before it has returned). A delegate that calls the
  /// session, from an event of its own, keeps it here.
  virtual void on_attached(session& owner) { (void)owner; }
  /// A task changed state (`task.reason` says why when the system moved it).
  virtual void on_state(const task_info& task) { (void)task; }
  /// A running task moved bytes: at most once per `session_config::progress_interval`.
  virtual void on_progress(task_id task, const transfer_progress& progress) {
    (void)task;
    (void)progress;
  }
  /// An outcome, committed to the journal before this call. Delivered at least once: an event
  /// not acknowledged when the process stops comes again, with the same seq, after a
  /// re-attach. `done` acknowledges it now; `later` leaves that to `session::acknowledge`.
  virtual delivery on_event(const session_event& event) {
    (void)event;
    return delivery::done;
  }
  /// A running task's server (401) or proxy (407) wants credentials; the task is `waiting` with
  /// reason `waiting_for_credentials` until an answer comes. Call `answer` once — now or later,
  /// from any thread — or `session::answer_challenge`: with credentials the request goes again
  /// with them, and the task's later requests of this run that meet the same challenge get them
  /// without asking (asked once a run); with nothing, or with credentials the server refuses
  /// too, the task fails with `credentials_required`. Withheld credentials (see
  /// `task_options::store_credentials`) are asked for here after a re-attach. While the
  /// question is open the task keeps its running slot and its request its connection to the
  /// host. The default does not answer: the task waits for `session::answer_challenge`, or for
  /// a pause or cancel (a new run asks again).
  virtual void on_challenge(task_id task, const challenge_request& challenge,
                            challenge_answer answer) {
    (void)task;
    (void)challenge;
    (void)answer;
  }
  /// Every event the journal held when the session opened has been delivered.
  virtual void on_all_events_delivered() {}
  /// The session was invalidated and every task has ended. Its events may still be read and
  /// acknowledged; once all are (and the session closes), its state directory is removed.
  virtual void on_invalidated() {}
};

/// One task of a batch for `session::add_all`.
struct task_spec {
  transfer_request request;
  task_options options;
};

/// What `session::add_all` made of one task: the task (new, or the one its key already
/// names), or why it was not added (`error`, and `task` empty).
struct added_task {
  task_info task;
  std::error_code error;
};

/// What a session runs with (never stored).
struct session_environment {
  /// Options of the session's client; its per-host cap is the configuration's `per_host`.
  client_options client;
  /// TLS settings for https (empty: the system's CA store).
  std::optional<tls_context> tls;
  /// Time for transfers, and wall time for the journal and schedules; null: the real clock.
  clock_source* time_source = nullptr;
  /// Named moments, for tests that end the process there and for tracing: "journal_commit"
  /// (inside a journal transaction, before its COMMIT), "committed" (a state change with an
  /// event is committed and not yet handed to the delegate), "synced" (with durability::power,
  /// a group's commits were synced; what waited for them goes next), and the transfers' own
  /// ("checkpoint", "before_rename", "after_rename"). Called on the journal thread or a loop
  /// thread; must not block or call the session.
  std::function<void(std::string_view milestone)> on_milestone;
  /// The SQLite VFS the journal is opened through (tests register failing ones); empty: SQLite's
  /// default.
  std::string journal_vfs;
};

/// A background session, run by this process (`session_runner::embedded`), or controlled from
/// it while another process runs it (`session_role::control`).
///
/// As a runner, opening takes the session's runner lock (`<state>/runner.lock`, an flock the kernel
/// drops when the process dies) and its journal, restores every task with its id, key, state and
/// options, queues the ones that were running (they resume from their partial files), delivers
/// the events not yet acknowledged, then `on_all_events_delivered`, and starts scheduling. A
/// second runner of the same session gets `session_busy`.
///
/// Closing (or destroying) stops running tasks at a checkpoint and leaves them `queued` with
/// reason `runner_stopped`, never paused; the next open continues them.
///
/// As a controller (`session_config::role` control), a session never runs a task: add, pause,
/// resume, cancel, set_priority and acknowledge are queued as commands in the journal, which
/// the runner applies and answers within a second; the call returns the answer. When no runner
/// holds the session, the controller applies its commands itself, under the runner lock taken
/// briefly, and the tasks wait, queued, for the next runner (`runner_active` says whether one
/// is there). `tasks` and `find` read the journal; `progress` is always empty (progress is
/// never journaled); `wait_idle` waits for no task to be queued, running or waiting; a
/// controller hears no delegate calls. A command unanswered for 10 s is `timed_out`.
///
/// All functions are safe from any thread. The blocking ones return `would_deadlock` on a loop
/// thread. Every function has an error_code form and a throwing form. Closing or destroying the
/// session from its own delegate (or a loop thread) would wait for itself: it aborts the
/// process with a message; close it from another thread.
class session;

/// One task of a session, by its id: each call forwards to the session, which must outlive the
/// handle. Copyable; an id stays valid across restarts (a handle rebuilt from `id()` after a
/// re-attach names the same task).
class task_handle {
 public:
  task_handle(session& owner, task_id id) noexcept : session_(&owner), id_(id) {}

  [[nodiscard]] task_id id() const noexcept { return id_; }
  void pause(std::error_code& ec);
  void pause();
  void resume(std::error_code& ec);
  void resume();
  void cancel(std::error_code& ec);
  void cancel();
  void set_priority(task_priority priority, std::error_code& ec);
  void set_priority(task_priority priority);
  /// The task as the session knows it now. Error: invalid_argument once it was removed.
  [[nodiscard]] task_info info(std::error_code& ec) const;
  [[nodiscard]] task_info info() const;
  [[nodiscard]] task_state state() const { return info().state; }
  /// Empty when it is not running.
  [[nodiscard]] std::optional<transfer_progress> progress() const;

 private:
  session* session_;
  task_id id_;
};

class session {
 public:
  /// Errors: invalid_argument (a bad identifier), session_busy, unsupported_filesystem,
  /// journal_corrupt, journal_too_new, journal_unwritable, and the state directory's.
  /// `delegate` (may be null) must outlive the session.
  [[nodiscard]] static std::unique_ptr<session> open(const session_config& config,
                                                     session_delegate* delegate,
                                                     std::error_code& ec,
                                                     session_environment environment = {});
  /// As above; on a journal's error `detail` receives a sentence for people that names the
  /// file, what is wrong and the next step (the throwing form puts it in its message).
  [[nodiscard]] static std::unique_ptr<session> open(const session_config& config,
                                                     session_delegate* delegate,
                                                     std::error_code& ec, std::string& detail,
                                                     session_environment environment = {});
  [[nodiscard]] static std::unique_ptr<session> open(const session_config& config,
                                                     session_delegate* delegate,
                                                     session_environment environment = {});
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Adds a download (`request.kind` download) or an upload, committed when this returns. A
  /// relative output or body path is made absolute here. Errors: invalid_argument (a request
  /// `validate` refuses, or an upload body that is not a file), output_in_use, output_exists
  /// (a file is at the output and `overwrite` is off), journal_unwritable, would_deadlock.
  task_info add(const transfer_request& request, const task_options& options, std::error_code& ec);
  task_info add(const transfer_request& request, const task_options& options = {});
  /// As `add`, for a download (`request.kind` download, else invalid_argument) or an upload,
  /// returning a handle to the new (or, for a key already present, the existing) task.
  task_handle add_download(const transfer_request& request, const task_options& options,
                           std::error_code& ec);
  task_handle add_download(const transfer_request& request, const task_options& options = {});
  task_handle add_upload(const transfer_request& request, const task_options& options,
                         std::error_code& ec);
  task_handle add_upload(const transfer_request& request, const task_options& options = {});

  /// Adds many tasks at once, as `add` adds each (the same checks, keys and errors), in
  /// transactions of up to 256 tasks: one commit (and with durability::power one sync) for
  /// each. Returns one entry per task, in order; a task's own error (invalid_argument,
  /// output_in_use) leaves the others be, and a key or an output given twice in
  /// the batch is seen by the second. `ec`: the journal's error (journal_unwritable, ...), and
  /// the entries from the failed transaction on carry it too; session_invalidated,
  /// would_deadlock. A controller adds them one command at a time. The throwing form throws
  /// that error and loses the entries: the tasks of the transactions that committed before it
  /// stay added (give them keys to find them again).
  std::vector<added_task> add_all(std::vector<task_spec> tasks, std::error_code& ec);
  std::vector<added_task> add_all(std::vector<task_spec> tasks);

  /// Stops a task at a checkpoint and keeps it `paused` until `resume`. A finished task:
  /// invalid_argument. Unknown: invalid_argument.
  void pause(task_id id, std::error_code& ec);
  void pause(task_id id);
  /// Queues a paused task again. Not paused: nothing happens.
  void resume(task_id id, std::error_code& ec);
  void resume(task_id id);
  /// Cancels a task: its partial file and record go. A finished task: invalid_argument.
  void cancel(task_id id, std::error_code& ec);
  void cancel(task_id id);
  void set_priority(task_id id, task_priority priority, std::error_code& ec);
  void set_priority(task_id id, task_priority priority);

  /// Invalidates the session: it takes no new task (session_invalidated); the tasks running
  /// or queued run to their ends, paused ones are cancelled. Committed when this returns; the
  /// delegate hears on_invalidated when the last task has ended.
  void finish_tasks_and_invalidate(std::error_code& ec);
  void finish_tasks_and_invalidate();
  /// Invalidates the session and cancels every task that has not ended (partial files
  /// removed, completed outputs kept).
  void invalidate_and_cancel(std::error_code& ec);
  void invalidate_and_cancel();
  /// Removes every finished task whose events are all acknowledged (the session does so itself
  /// after 7 days). Returns how many went.
  std::size_t remove_finished(std::error_code& ec);
  std::size_t remove_finished();

  /// Every task, by id.
  [[nodiscard]] std::vector<task_info> tasks(std::error_code& ec) const;
  [[nodiscard]] std::vector<task_info> tasks() const;
  /// One task; empty when the session has none with this id.
  [[nodiscard]] std::optional<task_info> find(task_id id, std::error_code& ec) const;
  [[nodiscard]] std::optional<task_info> find(task_id id) const;
  /// A running task's progress; empty when it is not running.
  [[nodiscard]] std::optional<transfer_progress> progress(task_id id) const;

  /// Answers the challenge a task waits on (`waiting_for_credentials`; the proxy's first when
  /// both ask), as the delegate's `answer` does. Errors: invalid_argument (the task waits for
  /// no answer: unknown, answered already, or its run stopped), operation_not_supported (a
  /// controller: credentials never pass through the journal).
  void answer_challenge(task_id id, std::optional<http::credentials> answer, std::error_code& ec);
  void answer_challenge(task_id id, std::optional<http::credentials> answer);

  /// Acknowledges an event that the delegate answered `later`. Committed when this returns.
  void acknowledge(std::uint64_t seq, std::error_code& ec);
  void acknowledge(std::uint64_t seq);

  /// Blocks until no task is queued, running or waiting, and every event so far has been
  /// handed to the delegate, or `limit` passed (`timed_out`).
  void wait_idle(std::chrono::milliseconds limit, std::error_code& ec);
  void wait_idle(std::chrono::milliseconds limit);
  /// Begins the same wait without blocking the caller: `callback(result)` runs on a completion
  /// thread of the session's own (never in this call, on the transfers' loop or on the delegate
  /// thread) once the session is idle, `limit` passed (`timed_out`), or the session closed
  /// (`operation_aborted`; a wait begun after close completes so at once); `state` travels to
  /// it. Closing the session from that callback would wait for itself: it aborts the process
  /// with a message, as above.
  [[nodiscard]] async_result begin_wait_idle(std::chrono::milliseconds limit,
                                             async_callback callback, state_ref state = {});
  /// The wait's outcome. Errors: timed_out, operation_aborted, would_deadlock (on the delegate
  /// thread while the wait is pending: idleness waits for the delegate's calls, that one
  /// included), and end_X's own (invalid_result, wrong_operation, already_ended).
  void end_wait_idle(async_result& result, std::error_code& ec);
  void end_wait_idle(async_result& result);

  /// Stops the session as the destructor does (not from the delegate: see above); later calls
  /// fail with `operation_aborted`.
  void close();

  /// True when a runner holds the session: this one, or (for a controller) another process.
  [[nodiscard]] bool runner_active() const;

  [[nodiscard]] const std::string& identifier() const noexcept;
  [[nodiscard]] const std::filesystem::path& state_directory() const noexcept;

 private:
  explicit session(std::shared_ptr<detail::session_backend> core);
  std::shared_ptr<detail::session_backend> core_;
  std::unique_ptr<detail::idle_waits> waits_;  // begin_wait_idle's threads and loop
};

}  // namespace ferry::engine
