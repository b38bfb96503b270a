// ferry::test::failing_vfs — an SQLite VFS whose Nth write, truncate or sync fails, or ends the
// process: failure injection for tests of the session journal.
#pragma once

#include <cstddef>
#include <memory>

namespace ferry::test {

/// Registers an SQLite VFS named `failing_vfs::name` (not as the default) that forwards every
/// call to the default VFS, counting the operations that change or persist a file: xWrite,
/// xTruncate and xSync on every file opened through it (the database, its -wal and -journal,
/// temporary files). All else is forwarded untouched and uncounted: the xShm* methods, so WAL
/// mode works, and xDelete, the commit point of a rollback journal in DELETE mode. A test opens a
/// connection with `sqlite3_open_v2(path, &db, flags, failing_vfs::name)`.
///
/// One instance at a time: the constructor throws when the name is already registered. Close
/// every connection opened through it before destroying it. The counters and modes are atomic,
/// so SQLite may call in from any thread; set a mode between statements.
class failing_vfs {
 public:
  static constexpr const char name[] = "ferry-failing";

  /// Which operations a trigger's `n` counts.
  enum class counting {
    all,         ///< Writes, truncates and syncs.
    syncs_only,  ///< Syncs alone: "fail (or die) at the Nth sync".
  };

  /// How an injected failure reports itself.
  enum class failure {
    io_error,   ///< SQLITE_IOERR_WRITE, SQLITE_IOERR_TRUNCATE or SQLITE_IOERR_FSYNC, by operation.
    disk_full,  ///< SQLITE_FULL, whatever the operation.
  };

  /// Registers the VFS; throws std::runtime_error when SQLite has no default VFS or `name` is
  /// already registered.
  failing_vfs();
  /// Unregisters the VFS.
  ~failing_vfs();
  failing_vfs(const failing_vfs&) = delete;
  failing_vfs& operator=(const failing_vfs&) = delete;

  /// Restarts the count; the `n`-th (from 0) operation of the kind `among` fails with `what`
  /// without reaching the file, and so does every counted operation after it, until `heal()`.
  /// Loop `n` upward from 0 until the code under test succeeds with `!triggered()`.
  void fail_at(std::size_t n, failure what = failure::io_error, counting among = counting::all);

  /// Restarts the count; the `n`-th (from 0) operation of the kind `among` calls
  /// `_exit(exit_code)` before reaching the file: a crash test, in a fork()ed child. What was
  /// written before stays in the OS's cache, as after a process crash (not a power loss).
  void exit_at(std::size_t n, int exit_code, counting among = counting::all);

  /// Stops failing and exiting; the count goes on.
  void heal() noexcept;

  /// Restarts operations(), syncs() and injected() from 0; a trigger not yet reached counts from
  /// here, one already reached keeps failing.
  void reset_count() noexcept;

  /// Writes, truncates and syncs since the last fail_at, exit_at or reset_count, failed or not.
  [[nodiscard]] std::size_t operations() const noexcept;
  /// The syncs among operations().
  [[nodiscard]] std::size_t syncs() const noexcept;
  /// The operations among operations() that this double failed.
  [[nodiscard]] std::size_t injected() const noexcept;
  /// Whether it failed any: `injected() != 0`. A success with `!triggered()` ends the loop.
  [[nodiscard]] bool triggered() const noexcept { return injected() != 0; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ferry::test
