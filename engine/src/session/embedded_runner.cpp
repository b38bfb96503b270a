// The embedded runner of a session: the holder of its runner lock, the one process that runs
// its tasks and changes their rows. Three kinds of threads, each with its own work:
//  - the journal thread (`worker_`) owns the journal, the scheduler and every task's state:
//    public calls, transfer events and completions are all jobs on it, so none of them needs a
//    lock and the loop never touches SQLite;
//  - the loop thread runs the transfers; their callbacks only post jobs to the journal thread;
//  - the delegate thread (`deliverer_`) calls the delegate, in the order the journal thread
//    handed the calls over, with no ferry lock held.
// Other processes' calls arrive as commands in the journal (session_controller.cpp): the
// journal thread looks for them whenever another connection has committed, applies them as it
// applies this process's calls, and answers them. It lets go of the runner lock only in a
// transaction that finds no command unanswered.

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/session/scheduler.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "ferry/engine/transfer/upload.hpp"
#include "journal.hpp"
#include "runner_lock.hpp"
#include "session_backend.hpp"
#include "work_thread.hpp"

namespace ferry::engine::detail {
namespace {

using namespace std::chrono_literals;

// How long close() waits for running transfers to reach a checkpoint and let go of their files.
constexpr auto stop_grace = 10s;
// Answered commands older than this are removed at open (their submitters have read them).
constexpr auto answered_commands_kept = 1h;
// How many times close() applies late commands before it lets go of the lock regardless (a
// controller that finds the lock free applies its own).
constexpr int release_attempts = 20;
// How often the journal thread looks for other connections' commits (commands) when idle.
constexpr auto command_poll = 100ms;
// Group commit (durability::power): a group's commits are synced together, and the replies and
// deliveries that rely on them go out after that sync. A group ends when no job waits, or after
// this many commits or this long.
constexpr std::uint64_t group_limit = 256;
constexpr auto group_window = 2ms;
// An idle session checkpoints its WAL once nothing was committed for this long.
constexpr auto checkpoint_quiet = 1s;
// How often a journal that refused a write is tried again.
constexpr auto journal_retry = 1s;
// Finished tasks whose events are all acknowledged are removed after this long, looked for at
// the start and then every hour.
constexpr auto finished_kept = std::chrono::hours{24 * 7};
constexpr auto cleanup_interval = 1h;

std::string host_key(const http::url& url) {
  return url.host() + ":" + std::to_string(url.port());
}

schedule_entry entry_for(const task_info& t) {
  schedule_entry e;
  e.id = t.id;
  e.priority = t.priority;
  e.host = host_key(t.request.url);
  e.connections = t.request.kind == transfer_kind::download ? std::max(1U, t.request.segments) : 1;
  e.group = t.group;
  e.order = t.order;
  e.not_before = t.earliest_begin;
  // An upload starts over from byte 0 until resumable uploads exist: never preempted.
  e.preemptible = t.request.kind == transfer_kind::download;
  return e;
}

// Queued, running or waiting: the session is not idle while a task is.
bool is_active(task_state s) noexcept {
  return s == task_state::queued || s == task_state::running || s == task_state::waiting;
}

// A retry policy left as it comes: the task did not choose one.
bool is_default(const retry_policy& r) noexcept {
  const retry_policy d;
  return r.attempts == d.attempts && r.initial_delay == d.initial_delay &&
         r.max_delay == d.max_delay && r.max_retry_after == d.max_retry_after &&
         r.max_restarts == d.max_restarts && r.malformed_attempts == d.malformed_attempts &&
         r.malformed_delay == d.malformed_delay;
}

// What a task inherits from its session unless it says otherwise: the retry policy when the
// request's is the default one, the durability when the request's is the default (power).
void inherit_defaults(transfer_request& request, const session_config& config) {
  if (is_default(request.retry)) {
    request.retry = config.retry;
  }
  if (request.durable == durability::power) {
    request.durable = config.durable;
  }
}

}  // namespace

// How a cancel of a running task is answered, once its transfer has ended.
using cancel_reply = std::function<void(std::error_code)>;

class embedded_runner final : public session_backend,
                              public std::enable_shared_from_this<embedded_runner> {
 public:
  embedded_runner(session_config config, std::filesystem::path dir, session_delegate* delegate,
                  session_environment environment, bool runs_tasks)
      : config_(std::move(config)),
        dir_(std::move(dir)),
        delegate_(delegate),
        environment_(std::move(environment)),
        clock_(environment_.time_source != nullptr ? *environment_.time_source
                                                   : clock_source::steady()),
        session_rate_(config_.rate_limit, 0, nullptr, clock_),
        scheduler_(scheduler_limits{config_.max_running, config_.per_host}),
        runs_tasks_(runs_tasks) {}

  // Takes the lock and the journal, restores the tasks; then the threads start.
  void open(std::error_code& ec, std::string& detail) {
    lock_ = std::make_unique<runner_lock>(dir_, ec);
    if (ec) {
      return;
    }
    journal_options options;
    options.durable = config_.durable;
    options.vfs = environment_.journal_vfs;
    options.on_milestone = environment_.on_milestone;
    options.group_commit = true;
    journal_ = journal::open(dir_ / "journal.sqlite", options, ec, &detail);
    if (ec) {
      return;
    }
    auto all = journal_->tasks(ec);
    if (ec) {
      detail = journal_->explain(ec);
      return;
    }
    // Tasks a runner held when it stopped (or died) are queued again; they resume from their
    // partial files.
    // A POST that may have reached the server is not sent again unless it is idempotent. (A
    // runner that closes stops its uploads before their bodies end, and queues them again.)
    std::vector<task_change> requeue;
    for (task_info& t : all) {
      if (t.state == task_state::running || t.state == task_state::waiting) {
        // Running (not waiting for a retry, whose attempt has failed) when its runner died.
        const bool sending = t.state == task_state::running &&
                             t.request.kind == transfer_kind::upload && t.request.method == "POST";
        task_change c{t.id, task_state::queued, error::runner_stopped, {}, {}, {}};
        if (sending && !t.idempotent) {
          c = {t.id,
               task_state::failed,
               error::not_idempotent,
               "the runner stopped while it was sending this POST",
               {},
               event_kind::failed};
        }
        requeue.push_back(c);
        t.state = c.state;
        t.reason = c.reason;
        t.message = c.message;
        t.retry_at.reset();
      }
      if (t.state == task_state::queued) {
        scheduler_.add(entry_for(t));
      }
      active_count_ += is_active(t.state) ? 1 : 0;
      tasks_.emplace(t.id, std::move(t));
    }
    if (!requeue.empty()) {
      (void)journal_->apply(requeue, clock_.wall_now(), ec);
      if (ec) {
        detail = journal_->explain(ec);
        return;
      }
    }
    journal_->forget_answered(clock_.wall_now() - answered_commands_kept, ec);
    if (!ec) {
      invalidation_ = journal_->invalidated(ec);
    }
    if (ec) {
      detail = journal_->explain(ec);
      return;
    }
    restored_ = journal_->unacknowledged(0, ec);
    if (ec) {
      detail = journal_->explain(ec);
      return;
    }
    client_options client = environment_.client;
    client.max_connections_per_host = config_.per_host;
    loop_.start(1);
    client_.emplace(loop_, environment_.tls ? *environment_.tls : tls_context{}, client);
    deliverer_ = std::make_unique<work_thread>();
    worker_ = std::make_unique<work_thread>([this] { return on_idle(); },
                                            [this](bool more) { after_job(more); });
  }

  // The first job, posted once the session that owns this runner exists: the delegate hears
  // which session it is, then the restored events, before any live call; only then do
  // commands and scheduling begin.
  void start(session* owner) override {
    (void)worker_->post([this, owner, restored = std::move(restored_)] {
      if (owner != nullptr) {
        to_delegate([owner](session_delegate& d) { d.on_attached(*owner); });
      }
      for (const session_event& e : restored) {
        deliver(e);
      }
      to_delegate([](session_delegate& d) { d.on_all_events_delivered(); });
      ready_ = true;
    });
  }

  // ---- the public calls, each run on the journal thread -----------------------------------

  // Runs `job` on the journal thread and waits for its result. A loop thread may not wait.
  template <class Job>
  auto call(std::error_code& ec, Job&& job) -> decltype(job(ec)) {
    using result = decltype(job(ec));
    ec = {};
    if (loop_.running_in_this_thread()) {
      ec = error::would_deadlock;
      return result{};
    }
    if (closed_.load() || !worker_) {
      ec = error::operation_aborted;
      return result{};
    }
    std::promise<std::pair<result, std::error_code>> done;
    auto future = done.get_future();
    const bool posted = worker_->post([&] {
      try {
        std::error_code job_ec;
        result r = job(job_ec);
        refresh_idle();  // before the caller returns: a wait_idle right after sees this call
        // The caller hears once what the call committed is durable (its group's sync).
        after_commit([&done, r = std::move(r), job_ec]() mutable {
          done.set_value({std::move(r), job_ec});
        });
      } catch (...) {
        done.set_exception(std::current_exception());  // rethrown on the caller's thread
      }
    });
    if (!posted) {
      ec = error::operation_aborted;
      return result{};
    }
    auto [r, job_ec] = future.get();
    ec = job_ec;
    return r;
  }

  task_info add(transfer_request request, const task_options& options,
                std::error_code& ec) override {
    std::error_code path_ec = make_absolute(request);
    return call(ec, [&](std::error_code& jec) -> task_info {
      if (path_ec) {
        jec = path_ec;
        return {};
      }
      return do_add(new_task{std::move(request), options}, jec);
    });
  }

  std::vector<added_task> add_all(std::vector<task_spec> tasks, std::error_code& ec) override {
    std::vector<std::error_code> path_errors(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      path_errors[i] = make_absolute(tasks[i].request);
    }
    return call(ec, [&](std::error_code& jec) { return do_add_all(tasks, path_errors, jec); });
  }

  void pause(task_id id, std::error_code& ec) override {
    (void)call(ec, [&](std::error_code& jec) { return do_pause(id, jec); });
  }
  void resume(task_id id, std::error_code& ec) override {
    (void)call(ec, [&](std::error_code& jec) { return do_resume(id, jec); });
  }
  // A running task's cancel is answered when its transfer ends: too_late when it completed
  // (the cancel came after it began to verify and rename), else no error.
  void cancel(task_id id, std::error_code& ec) override {
    auto answer = std::make_shared<std::promise<std::error_code>>();
    std::future<std::error_code> answered = answer->get_future();
    const bool later = call(ec, [&](std::error_code& jec) {
      return do_cancel(id, jec, [answer](std::error_code r) { answer->set_value(r); });
    });
    if (ec || !later) {
      return;
    }
    if (answered.wait_for(stop_grace) != std::future_status::ready) {
      ec = error::timed_out;
      return;
    }
    ec = answered.get();
  }
  void invalidate(bool cancel, std::error_code& ec) override {
    (void)call(ec, [&](std::error_code& jec) {
      return do_invalidate(cancel ? invalidation::cancel : invalidation::finish, jec);
    });
  }
  std::size_t remove_finished(std::error_code& ec) override {
    return call(ec,
                [&](std::error_code& jec) { return do_remove_finished(wall_time::max(), jec); });
  }
  void set_priority(task_id id, task_priority priority, std::error_code& ec) override {
    (void)call(ec, [&](std::error_code& jec) { return do_set_priority(id, priority, jec); });
  }

  std::vector<task_info> tasks(std::error_code& ec) override {
    return call(ec, [&](std::error_code&) {
      std::vector<task_info> all;
      all.reserve(tasks_.size());
      for (const auto& [id, t] : tasks_) {
        all.push_back(t);
      }
      return all;
    });
  }

  std::optional<task_info> find(task_id id, std::error_code& ec) override {
    return call(ec, [&](std::error_code&) -> std::optional<task_info> {
      const auto it = tasks_.find(id);
      if (it == tasks_.end()) {
        return std::nullopt;
      }
      return it->second;
    });
  }

  std::optional<transfer_progress> progress(task_id id) override {
    std::error_code ec;
    return call(ec, [&](std::error_code&) -> std::optional<transfer_progress> {
      const auto it = running_.find(id);
      if (it == running_.end()) {
        return std::nullopt;
      }
      const active_task& a = it->second;
      return a.down ? a.down->progress() : a.up->progress();
    });
  }

  void answer_challenge(task_id id, std::optional<http::credentials> answer,
                        std::error_code& ec) override {
    (void)call(ec, [&](std::error_code& jec) {
      const auto it = running_.find(id);
      if (it == running_.end() || !it->second.asked()) {
        jec = error::invalid_argument;
        return 0;
      }
      const active_task& run = it->second;
      const std::size_t k = run.asking[1].empty() ? 0 : 1;  // the proxy's first
      give_credentials(id, run.generation, k, run.question[k], std::move(answer));
      return 0;
    });
  }

  void acknowledge(std::uint64_t seq, std::error_code& ec) override {
    (void)call(ec, [&](std::error_code& jec) {
      journal_->acknowledge(seq, jec);
      return 0;
    });
  }

  void wait_idle(std::chrono::milliseconds limit, std::error_code& ec) override {
    ec = {};
    if (loop_.running_in_this_thread() || (deliverer_ && deliverer_->running_here())) {
      // The delegate thread waiting for its own deliveries would wait forever.
      ec = error::would_deadlock;
      return;
    }
    std::unique_lock lock{idle_mutex_};
    const bool idle = idle_changed_.wait_for(
        lock, limit, [&] { return (idle_ && pending_deliveries_ == 0) || closed_.load(); });
    if (!idle) {
      ec = error::timed_out;
    }
  }

  // Stops the runner: running tasks go back to queued (runner_stopped) at a checkpoint.
  void close() override {
    if ((deliverer_ && deliverer_->running_here()) || loop_.running_in_this_thread()) {
      // The thread would wait for itself: a misuse that no error code can report from a
      // destructor, so say so plainly.
      std::fputs("ferry: a session was closed on its own delegate or loop thread\n", stderr);
      std::abort();
    }
    if (closed_.exchange(true) || !worker_) {
      return;
    }
    std::promise<void> stopped;
    auto future = stopped.get_future();
    const bool posted = worker_->post([&] {
      std::vector<task_id> ids;
      for (const auto& [id, a] : running_) {
        ids.push_back(id);
      }
      for (const task_id id : ids) {
        stop_running(id);
        record(tasks_.at(id), task_state::queued, error::runner_stopped, {}, {});
      }
      stopped.set_value();
    });
    if (posted) {
      future.wait();
    }
    // The stopped transfers let go of their files when their completions come: wait for them.
    const auto give_up = std::chrono::steady_clock::now() + stop_grace;
    while (stopping_count_.load() > 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(5ms);
    }
    // Their ends' deliveries wait for their group's sync: once this effect has run, every one
    // before it has reached the delegate thread.
    std::promise<void> handed_over;
    auto all_handed = handed_over.get_future();
    if (worker_->post(
            [this, &handed_over] { after_commit([&handed_over] { handed_over.set_value(); }); })) {
      all_handed.wait();
    }
    // The delegate hears the rest first, while the journal thread can still commit its
    // acknowledgements; then the journal thread applies late commands and lets go of the lock,
    // and drains; then no transfer is left for the loop.
    deliverer_->stop();
    bool remove_directory = false;
    (void)worker_->post([this, &remove_directory] {
      remove_directory = finished_invalidation();
      release_lock();
    });
    worker_->stop();
    if (remove_directory) {
      journal_.reset();
      remove_state_files();
    }
    running_.clear();
    stopping_.clear();
    loop_.shutdown();
    { std::lock_guard lock{idle_mutex_}; }
    idle_changed_.notify_all();
  }

  bool runner_active() override { return true; }
  bool on_delegate_thread() const noexcept override {
    return deliverer_ && deliverer_->running_here();
  }

  const session_config& config() const noexcept override { return config_; }
  const std::filesystem::path& directory() const noexcept override { return dir_; }

 private:
  // A task this runner is transferring.
  struct active_task {
    std::uint64_t generation = 0;  // tells its callbacks from those of an earlier run
    std::unique_ptr<download> down;
    std::unique_ptr<upload> up;
    async_result op;
    bool cancelling = false;
    std::vector<cancel_reply> cancel_replies;  // answered when the transfer ends
    // Challenges, [0] the server's and [1] the proxy's, asked once a run: the answer this run
    // was given (credentials, or a refusal), which answers its later requests unasked; the
    // requests that wait for the open question, and that question's number (a late answer to
    // an earlier one is not taken for it). A stopped run's go with it.
    std::array<std::optional<std::optional<http::credentials>>, 2> answered;
    std::array<std::vector<challenge_answer>, 2> asking;
    std::array<std::uint64_t, 2> question{};
    [[nodiscard]] bool asked() const noexcept { return !asking[0].empty() || !asking[1].empty(); }
  };

  // ---- the calls' work, on the journal thread (this process's calls and commands alike) -----

  // Stores and queues a task. `answering`: the command this applies (answered in the same
  // transaction).
  task_info do_add(new_task t, std::error_code& ec, std::uint64_t answering = 0) {
    if (invalidation_ != invalidation::none) {
      ec = error::session_invalidated;
      return {};
    }
    ec = admit(t.request);
    if (ec) {
      return {};
    }
    auto added = journal_->add_task(t, clock_.wall_now(), ec, answering);
    if (ec) {
      return added.task;
    }
    return keep(std::move(added), std::move(t.request), t.secrets_withheld);
  }

  // Checks a task as it will run, before it reaches the journal: the session's defaults, then
  // the request. No error: it may be stored.
  std::error_code admit(transfer_request& request) {
    inherit_defaults(request, config_);
    transfer_environment e;
    e.via = &*client_;
    std::error_code ec = validate(request, e);
    if (!ec && request.kind == transfer_kind::upload && request.body.empty()) {
      ec = error::invalid_argument;  // a descriptor or a generator cannot be stored
    }
    return ec;
  }

  // A task the journal stored (or found by its key): in memory, and queued unless paused.
  // `request` is the app's, credentials included, which the journal's copy may lack.
  task_info keep(journal::added added, transfer_request request, bool secrets_withheld) {
    if (added.existed) {
      return added.task;
    }
    added.task.request = std::move(request);
    added.task.secrets_withheld = added.task.secrets_withheld && secrets_withheld;
    if (added.task.state == task_state::queued) {
      scheduler_.add(entry_for(added.task));
    }
    active_count_ += is_active(added.task.state) ? 1 : 0;
    tasks_.emplace(added.task.id, added.task);
    return added.task;
  }

  // Stores many tasks, up to group_limit a transaction (see session::add_all).
  std::vector<added_task> do_add_all(std::vector<task_spec>& tasks,
                                     const std::vector<std::error_code>& path_errors,
                                     std::error_code& ec) {
    if (invalidation_ != invalidation::none) {
      ec = error::session_invalidated;
      return {};
    }
    std::vector<added_task> added(tasks.size());
    std::vector<new_task> batch;
    std::vector<std::size_t> position;  // of each batch entry in `tasks`
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      added[i].error = path_errors[i] ? path_errors[i] : admit(tasks[i].request);
      if (!added[i].error) {
        batch.push_back(new_task{std::move(tasks[i].request), tasks[i].options});
        position.push_back(i);
      }
    }
    for (std::size_t from = 0; from < batch.size(); from += group_limit) {
      const std::size_t n = std::min<std::size_t>(group_limit, batch.size() - from);
      const auto entries = journal_->add_tasks({batch.data() + from, n}, clock_.wall_now(), ec);
      if (ec) {
        for (std::size_t k = from; k < batch.size(); ++k) {
          added[position[k]].error = ec;  // this transaction and the ones after it
        }
        return added;
      }
      for (std::size_t k = 0; k < n; ++k) {
        added_task& a = added[position[from + k]];
        a.error = entries[k].error;
        if (!a.error) {
          a.task = keep(entries[k].result, std::move(batch[from + k].request),
                        batch[from + k].secrets_withheld);
        }
      }
    }
    return added;
  }

  int do_pause(task_id id, std::error_code& ec) {
    task_info* t = live_task(id, ec);
    if (t == nullptr || t->state == task_state::paused) {
      return 0;
    }
    change(*t, task_state::paused, {}, {}, {}, ec);  // committed first, then acted on
    if (ec) {
      return 0;
    }
    stop_running(id);
    scheduler_.remove(id);
    start_when_stopped_.erase(id);
    return 0;
  }

  int do_resume(task_id id, std::error_code& ec) {
    task_info* t = live_task(id, ec);
    if (t == nullptr || t->state != task_state::paused) {
      return 0;
    }
    change(*t, task_state::queued, {}, {}, {}, ec);
    if (!ec) {
      scheduler_.add(entry_for(*t));
    }
    return 0;
  }

  // Cancels a task. One with a transfer in flight (or stopped and not yet ended) is cancelled
  // through it: it removes its files and ends with operation_aborted, finish() journals the
  // outcome (a completion that came first stays a completion) and calls `reply` with the
  // answer; this returns true then. Otherwise the cancel is done when this returns false.
  bool do_cancel(task_id id, std::error_code& ec, cancel_reply reply = {}) {
    task_info* t = live_task(id, ec);
    if (t == nullptr) {
      return false;
    }
    scheduler_.remove(id);
    start_when_stopped_.erase(id);
    for (auto* runs : {&running_, &stopping_}) {
      if (auto it = runs->find(id); it != runs->end() && (it->second.down || it->second.up)) {
        it->second.cancelling = true;
        if (reply) {
          it->second.cancel_replies.push_back(std::move(reply));
        }
        cancel_transfer(it->second);
        return true;
      }
    }
    change(*t, task_state::cancelled, {}, {}, event_kind::cancelled, ec);
    if (!ec && t->request.kind == transfer_kind::download) {
      // Once the cancel is durable: a power loss before it finds the task and its bytes.
      after_commit([output = t->request.output] {
        std::error_code ignored;
        std::filesystem::remove(partial_path(output), ignored);
        std::filesystem::remove(record_path(output), ignored);
      });
    }
    return false;
  }

  int do_set_priority(task_id id, task_priority priority, std::error_code& ec) {
    task_info* t = live_task(id, ec);
    if (t == nullptr) {
      return 0;
    }
    journal_->set_priority(id, priority, ec);
    if (!ec) {
      t->priority = priority;
      scheduler_.set_priority(id, priority);
    }
    return 0;
  }

  // Invalidates the session: no task is added from now on; `finish` lets the live tasks run to
  // their ends and cancels the paused ones, `cancel` cancels them all (partial files removed,
  // completed outputs kept). Committed first; the delegate hears on_invalidated once every task
  // has ended (check_invalidated), and the state directory goes when the last event is
  // acknowledged too (at close). A cancel after a finish stays a cancel.
  int do_invalidate(invalidation how, std::error_code& ec) {
    if (invalidation_ == invalidation::cancel) {
      how = invalidation::cancel;
    }
    journal_->set_invalidated(how, ec);
    if (ec) {
      return 0;
    }
    invalidation_ = how;
    std::vector<task_id> ending;
    for (const auto& [id, t] : tasks_) {
      if (!is_final(t.state) && (how == invalidation::cancel || t.state == task_state::paused)) {
        ending.push_back(id);
      }
    }
    for (const task_id id : ending) {
      std::error_code ignored;  // a journal error holds the task; it is cancelled at next open
      (void)do_cancel(id, ignored);
    }
    check_invalidated();
    return 0;
  }

  // Tells the delegate, once, that an invalidated session has no live task left.
  void check_invalidated() {
    if (invalidation_ == invalidation::none || told_invalidated_ || !stopping_.empty() ||
        !running_.empty()) {
      return;
    }
    if (std::any_of(tasks_.begin(), tasks_.end(),
                    [](const auto& entry) { return !is_final(entry.second.state); })) {
      return;
    }
    told_invalidated_ = true;
    to_delegate([](session_delegate& d) { d.on_invalidated(); });
  }

  // Removes the finished tasks (changed before `before`) whose events are all acknowledged.
  std::size_t do_remove_finished(wall_time before, std::error_code& ec) {
    const std::vector<task_id> removed = journal_->remove_finished(before, ec);
    for (const task_id id : removed) {
      tasks_.erase(id);
    }
    return removed.size();
  }

  // Applies and answers the commands other processes queued. A command whose answer cannot be
  // written stays unanswered and is applied again later (each verb but add, which is answered
  // in its own transaction, does nothing the second time).
  void apply_commands() {
    std::error_code ec;
    std::vector<command> pending = journal_->unanswered(clock_.wall_now(), ec);
    if (!pending.empty()) {
      // Not idle from here on: a controller that has its answer and waits for this session's
      // idleness must not find the flag of before its command (refresh_idle settles it).
      std::lock_guard lock{idle_mutex_};
      idle_ = false;
    }
    for (command& c : pending) {
      std::error_code result;
      task_id task = 0;
      switch (c.verb) {
        case command_verb::add:
          task = do_add(std::move(c.added), result, c.seq).id;
          if (!result) {
            continue;  // answered with the task's row
          }
          break;
        case command_verb::pause:
          do_pause(c.task, result);
          break;
        case command_verb::resume:
          do_resume(c.task, result);
          break;
        case command_verb::cancel:
          if (do_cancel(c.task, result, [this, seq = c.seq](std::error_code r) {
                std::error_code ignored;  // unanswered, it is applied again: a no-op then
                journal_->answer(seq, {r, 0}, clock_.wall_now(), ignored);
              })) {
            continue;  // answered when the transfer ends
          }
          break;
        case command_verb::priority:
          do_set_priority(c.task, c.priority, result);
          break;
        case command_verb::acknowledge:
          journal_->acknowledge(c.task, result);
          break;
        case command_verb::finish_and_invalidate:
        case command_verb::cancel_and_invalidate:
          do_invalidate(c.verb == command_verb::cancel_and_invalidate ? invalidation::cancel
                                                                      : invalidation::finish,
                        result);
          break;
        case command_verb::remove_finished:
          task = do_remove_finished(wall_time::max(), result);  // the count
          break;
      }
      journal_->answer(c.seq, {result, task}, clock_.wall_now(), ec);
    }
  }

  // An invalidated session whose tasks have all ended and whose events are all acknowledged:
  // nothing is left to read, and its state directory goes.
  bool finished_invalidation() {
    if (invalidation_ == invalidation::none || journal_broken_ || !stopping_.empty() ||
        std::any_of(tasks_.begin(), tasks_.end(),
                    [](const auto& entry) { return !is_final(entry.second.state); })) {
      return false;
    }
    std::error_code ec;
    return !journal_->has_unacknowledged(ec) && !ec;
  }

  // Removes the session's own files and then its directory, if nothing else is in it (a state
  // directory the app chose may hold its own files: they stay, and so does the directory).
  void remove_state_files() {
    std::error_code ignored;
    for (const char* name : {"journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm",
                             "journal.sqlite-journal", "runner.lock"}) {
      std::filesystem::remove(dir_ / name, ignored);
    }
    std::filesystem::remove(dir_, ignored);  // only when empty
  }

  // The runner's last job: late commands applied, then the lock released in a transaction that
  // finds none unanswered (or, after a bounded number of tries, released regardless: the
  // controllers waiting then find it free and apply theirs).
  void release_lock() {
    for (auto* runs : {&running_, &stopping_}) {
      for (auto& [id, a] : *runs) {
        answer_cancels(a, error::operation_aborted);  // a run that did not end in time
      }
    }
    for (int attempt = 0; attempt < release_attempts; ++attempt) {
      apply_commands();
      std::error_code ec;
      if (journal_->release_if_no_commands([this] { lock_->release(); }, ec) || ec) {
        break;
      }
    }
    lock_->release();
  }

  // ---- the journal thread's own work ------------------------------------------------------

  task_info* live_task(task_id id, std::error_code& ec) {
    const auto it = tasks_.find(id);
    if (it == tasks_.end() || is_final(it->second.state)) {
      ec = error::invalid_argument;
      return nullptr;
    }
    return &it->second;
  }

  // Journals a state change the app asked for (pause, resume, cancel) or a start, then tells
  // the delegate. When the commit fails nothing changes, the call fails with the journal's
  // error, and the session holds its queued tasks (see hold_for_journal).
  bool change(task_info& t, task_state state, std::error_code reason, std::string message,
              std::optional<event_kind> event, std::error_code& ec,
              std::optional<wall_time> retry_at = {}) {
    if (journal_broken_) {
      ec = error::journal_unwritable;
      return false;
    }
    const wall_time now = clock_.wall_now();
    const task_change c{t.id, state, reason, std::move(message), retry_at, event};
    const auto seqs = journal_->apply({&c, 1}, now, ec);
    if (ec) {
      hold_for_journal();
      return false;
    }
    settle(t, c, now, seqs[0]);
    return true;
  }

  // Journals what happened to a task (a transfer's outcome, a retry, a stop). When the journal
  // cannot be written the change is kept, in order, and committed when the journal takes writes
  // again: the task's state moves on here now, and its event reaches the delegate only after
  // that commit. A process that dies meanwhile finds the task as last committed (running), and
  // the next runner queues it again.
  void record(task_info& t, task_state state, std::error_code reason, std::string message,
              std::optional<event_kind> event, std::optional<wall_time> retry_at = {}) {
    const wall_time now = clock_.wall_now();
    const task_change c{t.id, state, reason, std::move(message), retry_at, event};
    if (!journal_broken_) {
      std::error_code ec;
      const auto seqs = journal_->apply({&c, 1}, now, ec);
      if (!ec) {
        settle(t, c, now, seqs[0]);
        return;
      }
      hold_for_journal();
    }
    unjournaled_.push_back(c);
    show(t, c, now);
  }

  // A committed change: in memory, to the delegate, and its event (seq) delivered.
  void settle(task_info& t, const task_change& c, wall_time now, std::uint64_t seq) {
    show(t, c, now);
    if (c.event) {
      milestone("committed");
      deliver(session_event{seq, t.id, *c.event, c.state, c.reason, c.message, now});
    }
  }

  // A change in memory, and the delegate's on_state.
  void show(task_info& t, const task_change& c, wall_time now) {
    if (is_active(t.state) != is_active(c.state)) {
      active_count_ += is_active(c.state) ? 1 : -1;
    }
    t.state = c.state;
    t.reason = c.reason;
    t.message = c.message;
    t.retry_at = c.retry_at;
    t.changed = now;
    to_delegate([copy = t](session_delegate& d) { d.on_state(copy); });
  }

  // The journal refused a write: no task starts, and every queued task is shown `waiting` with
  // reason journal_unwritable (in memory only: the journal still says queued) until a write
  // passes again (retry_journal). Running transfers go on; their outcomes wait in unjournaled_.
  void hold_for_journal() {
    if (journal_broken_) {
      return;
    }
    journal_broken_ = true;
    last_journal_try_ = std::chrono::steady_clock::now();
    const wall_time now = clock_.wall_now();
    for (auto& [id, t] : tasks_) {
      if (t.state == task_state::queued) {
        show(t, {id, task_state::waiting, error::journal_unwritable, {}, {}, {}}, now);
        held_.push_back(id);
      }
    }
  }

  // Once a second while the journal is broken: commits what waited (or, with nothing waiting,
  // a write that changes nothing), and on success delivers the waiting events in order and
  // queues the held tasks again.
  void retry_journal() {
    const auto now_steady = std::chrono::steady_clock::now();
    if (now_steady - last_journal_try_ < journal_retry) {
      return;
    }
    last_journal_try_ = now_steady;
    const wall_time now = clock_.wall_now();
    std::error_code ec;
    std::vector<std::uint64_t> seqs;
    if (unjournaled_.empty()) {
      journal_->probe(now, ec);
    } else {
      seqs = journal_->apply(unjournaled_, now, ec);
    }
    if (!ec) {
      journal_->sync(ec);
    }
    if (ec) {
      return;
    }
    journal_broken_ = false;
    for (std::size_t i = 0; i < unjournaled_.size(); ++i) {
      const task_change& c = unjournaled_[i];
      if (c.event) {
        deliver(session_event{seqs[i], c.id, *c.event, c.state, c.reason, c.message, now});
      }
    }
    unjournaled_.clear();
    for (const task_id id : held_) {
      task_info& t = tasks_.at(id);
      if (t.state == task_state::waiting && t.reason == error::journal_unwritable) {
        show(t, {id, task_state::queued, {}, {}, {}, {}}, now);
      }
    }
    held_.clear();
  }

  // ---- group commit ------------------------------------------------------------------------

  // Runs `effect` (a reply, a delivery, a file removal) once every commit so far is as durable
  // as the session asks: at once with durability::process (a commit survives a killed process
  // when it returns), after the group's sync with power. Effects run in the order they came.
  void after_commit(std::function<void()> effect) {
    if (effects_.empty() && journal_->unsynced() == 0) {
      effect();
      return;
    }
    open_group();
    effects_.push_back(std::move(effect));
  }

  void open_group() {
    if (!group_open_) {
      group_open_ = true;
      group_started_ = std::chrono::steady_clock::now();
    }
  }

  // After each job: the group ends when no other job waits (nobody would join it), when it
  // holds group_limit commits, or after group_window.
  void after_job(bool more) {
    if (effects_.empty() && journal_->unsynced() == 0) {
      return;
    }
    open_group();
    if (!more || journal_->unsynced() >= group_limit ||
        std::chrono::steady_clock::now() - group_started_ >= group_window) {
      end_group();
    }
  }

  // One sync for the group's commits, then its effects. A sync that fails leaves the commits
  // standing (they survive a killed process) but perhaps not a power loss: the session holds
  // its queue as for a write that failed, until a write and its sync pass again.
  void end_group() {
    group_open_ = false;
    // Effects may commit again (a command's answer): bounded rounds until nothing is left.
    for (int round = 0; round < 4 && (!effects_.empty() || journal_->unsynced() != 0); ++round) {
      if (!journal_broken_) {  // a broken journal is tried at retry_journal's pace
        std::error_code ec;
        journal_->sync(ec);
        if (ec) {
          hold_for_journal();
        } else {
          milestone("synced");
        }
      }
      for (std::function<void()>& effect : std::exchange(effects_, {})) {
        effect();
      }
    }
    refresh_idle();  // idle waits for the effects (a cancel's file removal, say)
  }

  void milestone(std::string_view name) const {
    if (environment_.on_milestone) {
      environment_.on_milestone(name);
    }
  }

  // The scheduler's turn, whenever the journal thread has nothing queued. Returns how long it
  // may sleep.
  std::chrono::milliseconds on_idle() {
    std::chrono::milliseconds sleep{command_poll};
    if (!ready_) {
      return sleep;  // before the first job: not idle yet, the restored events are not handed over
    }
    if (journal_broken_) {
      retry_journal();
    }
    if (!closed_.load()) {
      std::error_code ec;
      if (journal_->changed_elsewhere(ec)) {
        apply_commands();
      }
    }
    if (runs_tasks_ && !closed_.load() && !journal_broken_) {
      const wall_time now = clock_.wall_now();
      const schedule_decision d = scheduler_.decide(now);
      for (const task_id id : d.preempt) {
        stop_running(id);
        record(tasks_.at(id), task_state::queued, error::preempted, {}, {});
      }
      for (const task_id id : d.start) {
        start(id);
      }
      if (d.wake) {
        const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*d.wake - now);
        sleep = std::clamp(until, std::chrono::milliseconds{1}, sleep);
      }
    }
    if (std::chrono::steady_clock::now() >= next_cleanup_ && !journal_broken_) {
      next_cleanup_ = std::chrono::steady_clock::now() + cleanup_interval;
      std::error_code ignored;  // tried again in an hour
      (void)do_remove_finished(clock_.wall_now() - finished_kept, ignored);
    }
    check_invalidated();
    if (!effects_.empty() || journal_->unsynced() != 0) {
      end_group();  // what this turn committed (starts, preemptions, commands)
    }
    on_idle_turn_ = true;
    refresh_idle();
    on_idle_turn_ = false;
    return sleep;
  }

  // Idle: no task queued, running or waiting, and no stopped run whose end is still due.
  void refresh_idle() {
    const bool idle = stopping_.empty() && active_count_ == 0 && effects_.empty();
    const auto now = std::chrono::steady_clock::now();
    if (journal_->commits() != commits_seen_) {
      commits_seen_ = journal_->commits();
      last_commit_seen_ = now;
    }
    if (idle && commits_seen_ != checkpointed_at_ && !journal_broken_ && on_idle_turn_ &&
        now - last_commit_seen_ >= checkpoint_quiet) {
      // Nothing runs, and nothing was committed for a while (seen on an idle turn, not after
      // every call: an app adding paused tasks one by one would pay a checkpoint's syncs for
      // each): the WAL's pages go into the database, and the WAL is emptied.
      std::error_code ec;
      journal_->checkpoint(ec);
      if (!ec) {
        checkpointed_at_ = journal_->commits();
      }
    }
    {
      std::lock_guard lock{idle_mutex_};
      idle_ = idle;
    }
    idle_changed_.notify_all();
  }

  void start(task_id id) {
    if (stopping_.count(id) != 0) {
      start_when_stopped_.insert(id);  // its last run still holds the partial file
      return;
    }
    task_info& t = tasks_.at(id);
    active_task& a = running_[id];
    a.generation = ++generation_;
    std::weak_ptr<embedded_runner> self = weak_from_this();
    const std::uint64_t generation = a.generation;
    transfer_environment e;
    e.via = &*client_;
    e.time_source = environment_.time_source;
    e.on_milestone = environment_.on_milestone;
    if (config_.rate_limit != 0) {
      e.rate_parent = &session_rate_;
    }
    e.on_event = [self, id, generation](const transfer_event& event) {
      if (auto core = self.lock()) {
        (void)core->worker_->post(
            [core, id, generation, event] { core->on_transfer_event(id, generation, event); });
      }
    };
    e.on_challenge = [self, id, generation](const challenge_request& question,
                                            challenge_answer answer) {
      auto core = self.lock();
      if (!core || !core->worker_->post([core, id, generation, question, answer] {
            core->on_challenge(id, generation, question, answer);
          })) {
        answer(std::nullopt);  // the session is closing: the 401 is the result
      }
    };
    auto ended = [self, id, generation](async_result&) {
      if (auto core = self.lock()) {
        (void)core->worker_->post([core, id, generation] { core->on_end(id, generation); });
      }
    };
    std::error_code ec;
    change(t, task_state::running, {}, {}, {}, ec);
    if (ec) {
      running_.erase(id);
      scheduler_.stopped(id);  // queued again; no start while the journal is broken
      return;
    }
    if (t.request.kind == transfer_kind::download) {
      download_options tuning;
      tuning.progress_interval = config_.progress_interval;
      a.down = std::make_unique<download>(t.request, e, tuning);
      a.op = a.down->begin_download(ended);
    } else {
      upload_options tuning;
      tuning.progress_interval = config_.progress_interval;
      a.up = std::make_unique<upload>(t.request, e, tuning);
      a.op = a.up->begin_upload(ended);
    }
  }

  // Stops a running task's transfer at a checkpoint (the partial file and record stay). The
  // transfer is kept until it says it paused — or that it finished first, which on_end then
  // journals — and destroyed then, which ends its operation and frees its files for the next
  // run (see on_transfer_event's `paused`).
  void stop_running(task_id id) {
    const auto it = running_.find(id);
    if (it == running_.end()) {
      return;
    }
    active_task& a = stopping_[id];
    a = std::move(it->second);
    running_.erase(it);
    ++stopping_count_;
    if (a.down) {
      a.down->pause();
    } else {
      a.up->pause();
    }
  }

  void cancel_transfer(active_task& a) {
    if (a.down) {
      a.down->cancel();
    } else {
      a.up->cancel();
    }
  }

  void on_transfer_event(task_id id, std::uint64_t generation, const transfer_event& event) {
    if (const auto s = stopping_.find(id);
        s != stopping_.end() && s->second.generation == generation) {
      // A stopped run that has paused (its record saved, nothing in flight): destroying it
      // ends its operation with operation_aborted and frees its files. One that finished
      // first never says `paused`; its end is journaled by on_end.
      if (event.kind == transfer_event_kind::paused) {
        s->second.down.reset();
        s->second.up.reset();
      }
      return;
    }
    const auto it = running_.find(id);
    if (it == running_.end() || it->second.generation != generation) {
      return;
    }
    task_info& t = tasks_.at(id);
    std::error_code ec;
    switch (event.kind) {
      case transfer_event_kind::retry: {
        if (it->second.asked()) {
          return;  // still waiting for credentials, whatever another request's retry says
        }
        const auto delay = std::chrono::duration_cast<wall_time::duration>(event.delay);
        record(t, task_state::waiting, error::retry_at, event.reason.message(), {},
               clock_.wall_now() + delay);
        return;
      }
      case transfer_event_kind::restarted:
        record(t, task_state::running, event.reason, {}, event_kind::restarted);
        return;
      case transfer_event_kind::started:
      case transfer_event_kind::progress:
        if (t.state == task_state::waiting && !it->second.asked()) {
          record(t, task_state::running, {}, {}, {});  // a retry's wait is over
        }
        if (event.kind == transfer_event_kind::progress) {
          to_delegate([id, p = event.progress](session_delegate& d) { d.on_progress(id, p); });
        }
        return;
      case transfer_event_kind::paused:
      case transfer_event_kind::completed:
      case transfer_event_kind::failed:
        return;  // the operation's end says it
    }
  }

  void on_end(task_id id, std::uint64_t generation) {
    if (const auto s = stopping_.find(id);
        s != stopping_.end() && s->second.generation == generation) {
      active_task a = std::move(s->second);
      stopping_.erase(s);
      --stopping_count_;
      if (a.down || a.up) {
        finish(id, a);  // it finished before the pause took effect
      }
      if (start_when_stopped_.erase(id) != 0 && !closed_.load() &&
          tasks_.at(id).state == task_state::queued) {
        start(id);
      }
      return;
    }
    const auto it = running_.find(id);
    if (it == running_.end() || it->second.generation != generation) {
      return;
    }
    active_task a = std::move(it->second);
    running_.erase(it);
    scheduler_.remove(id);
    finish(id, a);
  }

  // A request of a running task met a 401 or 407. Credentials this run was given answer it at
  // once; otherwise the task waits (waiting_for_credentials) and the delegate is asked, once for
  // every request that meets the challenge meanwhile. A stopped run's request gets nothing.
  void on_challenge(task_id id, std::uint64_t generation, const challenge_request& question,
                    const challenge_answer& answer) {
    const auto it = running_.find(id);
    if (it == running_.end() || it->second.generation != generation) {
      answer(std::nullopt);
      return;
    }
    active_task& run = it->second;
    const std::size_t k = question.proxy ? 1 : 0;
    if (run.answered[k]) {
      answer(*run.answered[k]);  // asked once a run: what it answered stands
      return;
    }
    run.asking[k].push_back(answer);
    if (run.asking[k].size() > 1) {
      return;  // asked already: its answer serves this request too
    }
    const std::uint64_t number = ++run.question[k];
    task_info& t = tasks_.at(id);
    record(t, task_state::waiting, error::waiting_for_credentials,
           "HTTP " + std::to_string(question.status) + " from " + question.url.host(), {});
    std::weak_ptr<embedded_runner> self = weak_from_this();
    challenge_answer reply = [self, id, generation, k,
                              number](std::optional<http::credentials> given) {
      if (auto core = self.lock()) {
        (void)core->worker_->post([core, id, generation, k, number, given = std::move(given)] {
          core->give_credentials(id, generation, k, number, given);
        });
      }
    };
    to_delegate(
        [id, question, reply](session_delegate& d) { d.on_challenge(id, question, reply); });
  }

  // The answer to question `number` of a run's challenge `k` (0 server, 1 proxy): every request
  // that waits for it gets it, and so do the run's later ones. The first answer counts; one to
  // a question that is no longer open (answered, or its run stopped or ended) is dropped.
  void give_credentials(task_id id, std::uint64_t generation, std::size_t k, std::uint64_t number,
                        const std::optional<http::credentials>& given) {
    const auto it = running_.find(id);
    if (it == running_.end() || it->second.generation != generation) {
      return;  // stopped or ended meanwhile: the question was withdrawn
    }
    active_task& run = it->second;
    if (number != run.question[k] || run.asking[k].empty()) {
      return;  // answered already
    }
    run.answered[k] = given;
    for (challenge_answer& waiting : std::exchange(run.asking[k], {})) {
      waiting(given);
    }
    task_info& t = tasks_.at(id);
    if (given && !run.asked() && t.state == task_state::waiting &&
        t.reason == error::waiting_for_credentials) {
      record(t, task_state::running, {}, {}, {});
    }
  }

  // Journals how a transfer ended: completed, cancelled or failed (with its event), and answers
  // the cancels waiting for it.
  void finish(task_id id, active_task& a) {
    std::error_code outcome;
    unsigned status = 0;
    bool unconfirmed = false;
    if (a.down) {
      const download_result r = a.down->end_download(a.op, outcome);
      status = r.status;
      unconfirmed = r.unconfirmed;
    } else {
      const upload_result r = a.up->end_upload(a.op, outcome);
      status = r.head.status;
      if (!outcome && status >= 400) {
        outcome = error::http_error_status;
      }
    }
    if (outcome == error::http_error_status && (status == 401 || status == 407)) {
      outcome = error::credentials_required;  // refused, unanswered, or answered wrongly
    }
    task_info& t = tasks_.at(id);
    const std::error_code answer = outcome ? std::error_code{} : error::too_late;
    if (unconfirmed && !a.cancelling &&
        (t.state == task_state::running || t.state == task_state::waiting)) {
      // Its complete output (left by a crash between the rename and the journal's commit)
      // could not be confirmed: the server is out of reach. It waits and asks again, neither
      // restarted (the file stays as it is) nor failed.
      const wall_time at = clock_.wall_now() + t.request.retry.max_delay;
      record(t, task_state::waiting, error::retry_at, outcome.message(), {}, at);
      schedule_entry e = entry_for(t);
      e.not_before = at;
      scheduler_.add(e);
      answer_cancels(a, answer);
      return;
    }
    if ((outcome != error::operation_aborted || a.cancelling) && !is_final(t.state)) {
      scheduler_.remove(id);
      if (!outcome) {
        record(t, task_state::completed, {}, {}, event_kind::completed);
      } else if (a.cancelling && outcome == error::operation_aborted) {
        record(t, task_state::cancelled, {}, {}, event_kind::cancelled);
      } else {
        std::string message = outcome.message();
        if (status != 0) {
          message += " (HTTP " + std::to_string(status) + ")";
        }
        record(t, task_state::failed, outcome, std::move(message), event_kind::failed);
      }
    }
    // A stopped run (operation_aborted without a cancel) stays as stop_running left it.
    answer_cancels(a, answer);
  }

  void answer_cancels(active_task& a, std::error_code answer) {
    for (cancel_reply& reply : std::exchange(a.cancel_replies, {})) {
      after_commit([reply = std::move(reply), answer] { reply(answer); });
    }
  }

  // ---- the delegate thread ----------------------------------------------------------------

  template <class Call>
  void to_delegate(Call&& call) {
    if (delegate_ == nullptr || !deliverer_) {
      return;
    }
    ++pending_deliveries_;
    std::function<void()> delivery = [this, call = std::forward<Call>(call)]() mutable {
      try {
        call(*delegate_);
      } catch (...) {
        // A delegate's exception must not stop the session: dropped, as documented.
      }
      {
        std::lock_guard lock{idle_mutex_};
        --pending_deliveries_;
      }
      idle_changed_.notify_all();
    };
    // In order with the replies, once what it tells is durable.
    after_commit([this, delivery = std::move(delivery)]() mutable {
      if (!deliverer_->post(std::move(delivery))) {
        std::lock_guard lock{idle_mutex_};
        --pending_deliveries_;
      }
    });
  }

  // Hands an event to the delegate; `done` acknowledges it on the journal thread.
  void deliver(const session_event& event) {
    if (delegate_ == nullptr) {
      return;  // nobody to hear it: it stays for the next owner
    }
    std::weak_ptr<embedded_runner> self = weak_from_this();
    to_delegate([self, event](session_delegate& d) {
      if (d.on_event(event) != delivery::done) {
        return;
      }
      if (auto core = self.lock()) {
        (void)core->worker_->post([core, seq = event.seq] {
          std::error_code ec;
          core->journal_->acknowledge(seq, ec);
        });
      }
    });
  }

  session_config config_;
  std::filesystem::path dir_;
  session_delegate* delegate_;
  session_environment environment_;
  clock_source& clock_;
  // The session's bandwidth, the parent of every task's own limit (a task without one is held
  // by it alone); unused when the session has no limit. Outlives the transfers below.
  throttle session_rate_;

  // Before the transfers below: they go first, while their loop still exists.
  io_loop loop_;
  std::optional<client> client_;
  std::unique_ptr<runner_lock> lock_;
  std::unique_ptr<journal> journal_;
  scheduler scheduler_;
  std::map<task_id, task_info> tasks_;       // every task, as journaled
  std::ptrdiff_t active_count_ = 0;          // of them queued, running or waiting
  std::map<task_id, active_task> running_;   // the ones transferring
  std::map<task_id, active_task> stopping_;  // stopped runs whose completion is due
  std::set<task_id> start_when_stopped_;     // started again before that completion
  std::uint64_t generation_ = 0;
  const bool runs_tasks_;  // false: opened by a controller only to apply commands
  // The journal refused a write (hold_for_journal): what waits to be committed, the tasks held
  // meanwhile, and when a write was last tried.
  bool journal_broken_ = false;
  std::vector<task_change> unjournaled_;
  std::vector<task_id> held_;
  std::chrono::steady_clock::time_point last_journal_try_;
  invalidation invalidation_ = invalidation::none;
  bool told_invalidated_ = false;
  std::chrono::steady_clock::time_point next_cleanup_;  // the epoch: at the first idle turn
  std::uint64_t checkpointed_at_ = 0;  // journal_->commits() at the last idle checkpoint
  std::uint64_t commits_seen_ = 0;     // journal_->commits() when last seen to change...
  std::chrono::steady_clock::time_point last_commit_seen_;  // ...and when
  bool on_idle_turn_ = false;            // refresh_idle runs from on_idle (it may checkpoint)
  bool ready_ = false;                   // set by the journal thread's first job (start)
  std::vector<session_event> restored_;  // the events not acknowledged at open, for start
  // Group commit: the effects that wait for the group's sync, and when the group began.
  std::vector<std::function<void()>> effects_;
  bool group_open_ = false;
  std::chrono::steady_clock::time_point group_started_;

  std::atomic<bool> closed_{false};
  std::atomic<int> stopping_count_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_changed_;
  bool idle_ = false;
  std::atomic<int> pending_deliveries_{0};

  std::unique_ptr<work_thread> deliverer_;
  std::unique_ptr<work_thread> worker_;
};

std::shared_ptr<session_backend> open_embedded_runner(
    const session_config& config, std::filesystem::path dir, session_delegate* delegate,
    session_environment environment, bool runs_tasks, std::error_code& ec, std::string& detail) {
  auto runner = std::make_shared<embedded_runner>(config, std::move(dir), delegate,
                                                  std::move(environment), runs_tasks);
  runner->open(ec, detail);
  if (ec) {
    runner->close();
    return nullptr;
  }
  return runner;
}

}  // namespace ferry::engine::detail
