// detail::journal — a session's lifecycle on disk (SQLite): its tasks with their ids, keys,
// requests and states, and the events its owner has not yet acknowledged. The `.part.ferry`
// record stays the authority for a file's bytes; the journal holds what happened to the tasks.
// Engine-internal; the only file that includes <sqlite3.h> is journal.cpp.
//
// On disk: WAL, every write `BEGIN IMMEDIATE` with a busy timeout, `synchronous` FULL for
// durability::power (NORMAL with `group_commit`, whose caller syncs the WAL per group) and
// NORMAL for durability::process, `secure_delete` on, the file 0600.
// Versioned with `PRAGMA user_version` and migrated at open; a newer version is refused. At
// open `PRAGMA quick_check` runs, and every task row carries a CRC-32C of its columns checked
// whenever it is read: a damaged journal is `journal_corrupt`, and nothing is deleted.
//
// Other processes (a session opened with `session_role::control`) never change a task's row:
// they queue *commands* (add, pause, resume, cancel, priority, acknowledge) in the `commands`
// table, and the runner — the holder of the runner lock — applies and answers them. The runner
// notices other connections' commits through `PRAGMA data_version` (`changed_elsewhere`).
//
// One journal is one connection, used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/engine/session/session_event.hpp"
#include "ferry/engine/session/task_info.hpp"
#include "ferry/engine/session/task_options.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine::detail {

struct journal_options {
  /// power: `synchronous=FULL` (a commit survives a power loss); process: NORMAL (it survives a
  /// killed process).
  durability durable = durability::power;
  /// The SQLite VFS to open through (tests register failing ones); empty: SQLite's default.
  std::string vfs;
  /// How long a write waits for another connection's transaction.
  std::chrono::milliseconds busy_timeout{5000};
  /// Called with "journal_commit" inside every write transaction, just before its COMMIT (crash
  /// tests end the process there).
  std::function<void(std::string_view milestone)> on_milestone;
  /// Group commit, for durability::power: commits are not synced one by one (`synchronous`
  /// NORMAL: each survives a killed process when it returns), and `sync()` makes every commit
  /// so far survive a power loss with one sync of the WAL. The caller lets nothing rely on a
  /// commit (a reply, a delivery) before the `sync()` after it. No effect with process.
  bool group_commit = false;
};

/// A task as `add_task` stores it. `request`'s paths must be absolute.
struct new_task {
  transfer_request request;
  task_options options;
  /// `request` already lacks credentials it was given (it came through a command).
  bool secrets_withheld = false;
};

/// One change of a task's row for `apply`, with the event it brings, if any.
struct task_change {
  task_id id = 0;
  task_state state = task_state::queued;
  std::error_code reason;
  std::string message;
  std::optional<wall_time> retry_at;
  std::optional<event_kind> event;
};

/// What a controller asks the runner to do.
enum class command_verb {
  add,
  pause,
  resume,
  cancel,
  priority,
  acknowledge,
  finish_and_invalidate,  // finish_tasks_and_invalidate
  cancel_and_invalidate,  // invalidate_and_cancel
  remove_finished,
};

/// What is wrong with one task being added (invalid_argument, output_in_use), not with the
/// journal: a batch goes on without that task.
[[nodiscard]] bool is_task_error(std::error_code ec) noexcept;

/// Whether a session is being invalidated, and how (the session row).
enum class invalidation { none, finish, cancel };

/// A queued command. `task` is the task (pause .. priority) or the event's seq (acknowledge).
struct command {
  std::uint64_t seq = 0;  // given by `submit`
  command_verb verb = command_verb::pause;
  std::uint64_t task = 0;
  task_priority priority = task_priority::normal;  // priority
  new_task added;                                  // add (paths absolute)
};

/// How the runner answered a command: its error (none: done) and, for an add, the task.
struct command_answer {
  std::error_code result;
  task_id task = 0;
};

class journal {
 public:
  /// The schema this code writes; a journal of a higher `user_version` is refused.
  static constexpr int schema_version = 4;

  /// Opens (creating it 0600, or migrating it) the journal at `file`. Errors: journal_corrupt
  /// (not a database, a failed quick_check), journal_too_new, journal_unwritable (it cannot be
  /// created or migrated), session_busy (another connection held it past the busy timeout).
  /// `detail`, when given, receives a sentence for people naming the file and the next step.
  [[nodiscard]] static std::unique_ptr<journal> open(const std::filesystem::path& file,
                                                     const journal_options& options,
                                                     std::error_code& ec,
                                                     std::string* detail = nullptr);
  ~journal();  // sqlite3_close_v2
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  [[nodiscard]] const std::filesystem::path& file() const noexcept;
  /// A sentence for people about `ec`, an error of this journal's: the file, what is wrong
  /// (which row is damaged), and the next step.
  [[nodiscard]] std::string explain(std::error_code ec) const;

  struct added {
    task_info task;
    /// A task with the same key was already there: `task` is that one, nothing was written.
    bool existed = false;
  };
  /// Stores a new task (queued, or paused), its id the next AUTOINCREMENT value. A key already
  /// present returns that task instead. Errors: output_in_use (a live download of this journal
  /// writes to the same output), invalid_argument (a relative path), and the journal's own.
  /// `answering`, when not 0, is the add command this applies: it is answered (with the task's
  /// id) in the same transaction, so a command is never applied twice.
  [[nodiscard]] added add_task(const new_task& task, wall_time now, std::error_code& ec,
                               std::uint64_t answering = 0);
  /// One task of `add_tasks`: as `add_task` returns it, or the task's own error (output_in_use,
  /// invalid_argument), which leaves the others be.
  struct batch_entry {
    added result;
    std::error_code error;
  };
  /// Stores many tasks in one transaction (one commit for all), each as `add_task` would,
  /// against the journal and the tasks before it in the batch (a key or an output twice in one
  /// batch: the second finds the first). `ec`: the journal's own error, and then nothing is
  /// stored.
  [[nodiscard]] std::vector<batch_entry> add_tasks(std::span<const new_task> tasks, wall_time now,
                                                   std::error_code& ec);

  /// Applies `changes` in one transaction: each row's new state, and each change's event,
  /// committed together. Returns each change's event seq (0 for a change with none). Errors:
  /// invalid_argument (an unknown task; nothing is applied), journal_corrupt (a row's checksum),
  /// and the journal's own (nothing is applied).
  std::vector<std::uint64_t> apply(std::span<const task_change> changes, wall_time now,
                                   std::error_code& ec);
  /// A task's new class. Errors: invalid_argument (an unknown task) and the journal's own.
  void set_priority(task_id id, task_priority priority, std::error_code& ec);

  /// Every task, by id. Errors: journal_corrupt (a row's checksum, or a request that does not
  /// decode) and the journal's own.
  [[nodiscard]] std::vector<task_info> tasks(std::error_code& ec);
  /// One task; empty when there is none with this id.
  [[nodiscard]] std::optional<task_info> find(task_id id, std::error_code& ec);

  /// The events not acknowledged, with a seq above `after`, in seq order.
  [[nodiscard]] std::vector<session_event> unacknowledged(std::uint64_t after, std::error_code& ec);
  /// Marks the event `seq` acknowledged (again: nothing happens); committed when this returns.
  /// Errors: invalid_argument (no such event) and the journal's own.
  void acknowledge(std::uint64_t seq, std::error_code& ec);
  /// Removes the tasks in a final state since before `changed_before` whose events are all
  /// acknowledged, with their events. Returns the ids that went.
  std::vector<task_id> remove_finished(wall_time changed_before, std::error_code& ec);

  /// Moves the WAL's pages into the database and empties the WAL (when idle). session_busy
  /// when another connection's reader holds pages back (try again later).
  void checkpoint(std::error_code& ec);
  /// How many write transactions this connection has committed (when to checkpoint).
  [[nodiscard]] std::uint64_t commits() const noexcept;
  /// With `group_commit`: syncs the WAL, so that every commit so far survives a power loss (a
  /// no-op when none came since the last sync, or without group commit, where each commit
  /// synced itself). Errors: journal_unwritable (the sync failed: the commits since the last
  /// sync may not survive a power loss; they stand otherwise).
  void sync(std::error_code& ec);
  /// Syncs the WAL whatever this connection committed: a controller that read an answer the
  /// runner committed makes it survive a power loss before it returns it.
  void sync_now(std::error_code& ec);
  /// Commits since the last `sync()` (always 0 without group commit).
  [[nodiscard]] std::uint64_t unsynced() const noexcept;
  /// A write that changes nothing a reader sees: whether the journal takes writes again.
  void probe(wall_time now, std::error_code& ec);

  /// The session's invalidation, as last set (none for a session never invalidated).
  [[nodiscard]] invalidation invalidated(std::error_code& ec);
  void set_invalidated(invalidation how, std::error_code& ec);
  /// Whether any event waits for its acknowledgement.
  [[nodiscard]] bool has_unacknowledged(std::error_code& ec);

  // ---- commands: a controller's side -----------------------------------------------------

  /// Queues `c` (an add's request is stored as `add_task` stores it: credentials withheld unless
  /// the task keeps them) and returns its seq, committed when this returns.
  std::uint64_t submit(const command& c, wall_time now, std::error_code& ec);
  /// The runner's answer to command `seq`; empty while it is unanswered. invalid_argument: there
  /// is no such command.
  [[nodiscard]] std::optional<command_answer> answer_of(std::uint64_t seq, std::error_code& ec);
  /// Removes command `seq` (its submitter has read the answer).
  void forget_command(std::uint64_t seq, std::error_code& ec);

  // ---- commands: the runner's side -------------------------------------------------------

  /// True when another connection committed since this one last asked (the first call: true).
  [[nodiscard]] bool changed_elsewhere(std::error_code& ec);
  /// The commands not yet answered, in seq order. A command that does not decode is answered
  /// journal_corrupt here and left out.
  [[nodiscard]] std::vector<command> unanswered(wall_time now, std::error_code& ec);
  /// Answers command `seq`; committed when this returns.
  void answer(std::uint64_t seq, const command_answer& a, wall_time now, std::error_code& ec);
  /// Removes the answered commands submitted before `before` (their submitters are gone).
  void forget_answered(wall_time before, std::error_code& ec);
  /// The runner's last step: in one `BEGIN IMMEDIATE` transaction, when no command is
  /// unanswered, runs `release` (which lets go of the runner lock) before the COMMIT. A command
  /// committed before that transaction is seen here; one committed after it finds the lock free.
  /// Returns whether `release` ran.
  bool release_if_no_commands(const std::function<void()>& release, std::error_code& ec);

 private:
  struct impl;
  explicit journal(std::unique_ptr<impl> state) noexcept;
  added insert_task(const new_task& task, wall_time now, std::uint64_t answering,
                    std::error_code& wec);
  std::unique_ptr<impl> impl_;
};

}  // namespace ferry::engine::detail
