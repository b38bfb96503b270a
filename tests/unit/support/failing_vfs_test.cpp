// The failing VFS under real SQLite in WAL mode: it forwards everything when told nothing, a
// transaction failing at any of its writes, truncates or syncs leaves the database intact with
// the row in or out, a full disk is SQLITE_FULL, and a child ending at any operation loses no
// commit it saw succeed.
#include "failing_vfs.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace {

namespace fs = std::filesystem;
using ferry::test::failing_vfs;

// One row with a payload larger than a page, so a commit writes overflow pages too.
constexpr const char* commit_one_row =
    "BEGIN IMMEDIATE; INSERT INTO row (payload) VALUES (randomblob(6000)); COMMIT;";

// A result SQLite gives for a failed write, truncate or sync (extended codes on).
bool is_write_failure(int rc) {
  return (rc & 0xff) == SQLITE_IOERR || rc == SQLITE_FULL;
}

// An SQLite connection in WAL mode, closed on destruction.
class connection {
 public:
  // Opens (or creates) `path` through `vfs` (nullptr: the default VFS), with extended result
  // codes, journal_mode=WAL and the given synchronous level.
  connection(const fs::path& path, const char* vfs, const std::string& synchronous = "FULL") {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
    if (rc != SQLITE_OK) {
      ADD_FAILURE() << "open " << path << ": " << sqlite3_errstr(rc);
      return;
    }
    sqlite3_extended_result_codes(db_, 1);
    EXPECT_EQ(text("PRAGMA journal_mode=WAL"), "wal");
    EXPECT_EQ(exec("PRAGMA synchronous=" + synchronous), SQLITE_OK);
  }
  ~connection() { close(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void close() {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  int exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

  // The first column of the first row of `sql` as text; "" when there is none or it fails.
  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      return "";
    }
    std::string result;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* value = sqlite3_column_text(statement, 0);
      result = value == nullptr ? "" : reinterpret_cast<const char*>(value);
    }
    sqlite3_finalize(statement);
    return result;
  }

  [[nodiscard]] bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3* db_ = nullptr;
};

// What a healthy reopening through the default VFS finds.
struct verdict {
  std::string integrity;
  long long rows = 0;
  long long max_id = 0;  // == rows when no row is missing in the middle
};

class FailingVfsTest : public ::testing::Test {
 protected:
  FailingVfsTest() {
    std::string pattern = (fs::temp_directory_path() / "ferry-failing-vfs-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error{"mkdtemp failed"};
    }
    directory_ = pattern;
  }
  ~FailingVfsTest() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  // A new WAL database `name` with `rows` rows in table `row`, written through the default VFS.
  fs::path seed(const std::string& name, int rows) {
    const fs::path path = directory_ / name;
    connection db{path, nullptr};
    EXPECT_EQ(db.exec("CREATE TABLE row (id INTEGER PRIMARY KEY, payload BLOB)"), SQLITE_OK);
    for (int i = 0; i < rows; ++i) {
      EXPECT_EQ(db.exec(commit_one_row), SQLITE_OK);
    }
    return path;
  }

  static verdict inspect(const fs::path& path) {
    connection db{path, nullptr};
    return {db.text("PRAGMA integrity_check"), std::stoll(db.text("SELECT count(*) FROM row")),
            std::stoll(db.text("SELECT coalesce(max(id), 0) FROM row"))};
  }

  failing_vfs vfs_;
  fs::path directory_;
};

TEST_F(FailingVfsTest, ForwardsAWalDatabaseUntouchedAndCountsItsWrites) {
  EXPECT_NE(sqlite3_vfs_find(failing_vfs::name), nullptr);
  EXPECT_NE(sqlite3_vfs_find(nullptr), sqlite3_vfs_find(failing_vfs::name));  // not the default
  const fs::path path = directory_ / "plain.db";
  connection db{path, failing_vfs::name};  // journal_mode=WAL took: xShm* reach the real file
  EXPECT_EQ(db.exec("CREATE TABLE row (id INTEGER PRIMARY KEY, payload BLOB)"), SQLITE_OK);
  EXPECT_EQ(db.exec(commit_one_row), SQLITE_OK);
  EXPECT_EQ(db.text("SELECT count(*) FROM row"), "1");
  EXPECT_TRUE(fs::exists(path.string() + "-wal"));
  EXPECT_GT(vfs_.operations(), 0U);
  EXPECT_GT(vfs_.syncs(), 0U);
  EXPECT_FALSE(vfs_.triggered());
  db.close();
  EXPECT_EQ(inspect(path).rows, 1);
}

TEST_F(FailingVfsTest, SecondInstanceIsRefused) {
  EXPECT_THROW({ failing_vfs second; }, std::runtime_error);
  EXPECT_NE(sqlite3_vfs_find(failing_vfs::name), nullptr);  // the first stays registered
}

// N upward from 0: the transaction fails with an I/O error or commits; either way the database,
// reopened on a healthy disk, is intact, and holds the row whenever the commit reported success.
// The connection is closed while still failing; the close may still delete the WAL (xDelete is
// not counted), dropping the frames of a commit whose last sync failed.
TEST_F(FailingVfsTest, TransactionFailingAtAnyOperationLeavesTheDatabaseIntact) {
  constexpr int seeded = 3;
  bool succeeded_untouched = false;
  int failures = 0;
  for (std::size_t n = 0; n < 200 && !succeeded_untouched; ++n) {
    SCOPED_TRACE("fail_at " + std::to_string(n));
    const fs::path path = seed("fail-" + std::to_string(n) + ".db", seeded);
    connection db{path, failing_vfs::name};
    vfs_.fail_at(n);
    const int rc = db.exec(commit_one_row);
    succeeded_untouched = rc == SQLITE_OK && !vfs_.triggered();
    db.close();
    vfs_.heal();
    const verdict after = inspect(path);
    EXPECT_EQ(after.integrity, "ok");
    EXPECT_EQ(after.rows, after.max_id);
    if (rc == SQLITE_OK) {
      EXPECT_EQ(after.rows, seeded + 1);
    } else {
      ++failures;
      EXPECT_TRUE(is_write_failure(rc)) << sqlite3_errstr(rc);
      EXPECT_GE(after.rows, seeded);  // a failed sync may leave a complete commit in the WAL
      EXPECT_LE(after.rows, seeded + 1);
    }
  }
  EXPECT_TRUE(succeeded_untouched);
  EXPECT_GT(failures, 2);
}

TEST_F(FailingVfsTest, DiskFullIsSqliteFullUntilHealed) {
  const fs::path path = seed("full.db", 3);
  connection db{path, failing_vfs::name};
  vfs_.fail_at(0, failing_vfs::failure::disk_full);
  EXPECT_EQ(db.exec(commit_one_row), SQLITE_FULL);
  EXPECT_TRUE(vfs_.triggered());
  vfs_.heal();
  if (db.in_transaction()) {
    EXPECT_EQ(db.exec("ROLLBACK"), SQLITE_OK);
  }
  EXPECT_EQ(db.exec(commit_one_row), SQLITE_OK);
  db.close();
  const verdict after = inspect(path);
  EXPECT_EQ(after.integrity, "ok");
  EXPECT_EQ(after.rows, 4);  // the first write failed: nothing of the failed commit is stored
}

TEST_F(FailingVfsTest, FailingAtTheFirstSyncLetsTheWritesBeforeItThrough) {
  const fs::path path = seed("sync.db", 3);
  connection db{path, failing_vfs::name};
  vfs_.fail_at(0, failing_vfs::failure::io_error, failing_vfs::counting::syncs_only);
  EXPECT_EQ(db.exec(commit_one_row), SQLITE_IOERR_FSYNC);
  EXPECT_EQ(vfs_.injected(), 1U);  // the sync alone; the commit's writes went through
  EXPECT_GT(vfs_.operations(), vfs_.syncs());
  db.close();
  vfs_.heal();
  EXPECT_EQ(inspect(path).integrity, "ok");
}

// Past the first commit into a fresh WAL, which syncs the new WAL header at either level.
TEST_F(FailingVfsTest, SynchronousFullSyncsEveryWalCommitAndNormalNone) {
  const fs::path path = seed("levels.db", 1);
  for (const std::string level : {"FULL", "NORMAL"}) {
    SCOPED_TRACE(level);
    connection db{path, failing_vfs::name, level};
    ASSERT_EQ(db.exec(commit_one_row), SQLITE_OK);
    vfs_.reset_count();
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(db.exec(commit_one_row), SQLITE_OK);
    }
    EXPECT_GT(vfs_.operations(), 5U);
    if (level == "FULL") {
      EXPECT_EQ(vfs_.syncs(), 5U);
    } else {
      EXPECT_EQ(vfs_.syncs(), 0U);
    }
  }
}

// How a fork()ed child that commits rows one by one, acknowledging each on a pipe, ended.
struct crash {
  int status = 0;           // from waitpid
  long long committed = 0;  // commits the child saw succeed
};

constexpr int crash_code = 77;
constexpr int child_broken = 90;    // the child failed before the crash point
constexpr int child_finished = 91;  // the crash point was never reached

// In the child: opens `path` through the failing VFS, arms exit_at(n), commits rows until it
// dies. Uses no gtest (its reports would be lost with the process).
[[noreturn]] void commit_until_exit(const fs::path& path, failing_vfs& vfs, std::size_t n,
                                    failing_vfs::counting among, int acknowledgements) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, failing_vfs::name) != SQLITE_OK) {
    _exit(child_broken);
  }
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", nullptr, nullptr,
                   nullptr) != SQLITE_OK) {
    _exit(child_broken);
  }
  vfs.exit_at(n, crash_code, among);
  for (int i = 0; i < 100; ++i) {
    if (sqlite3_exec(db, commit_one_row, nullptr, nullptr, nullptr) != SQLITE_OK) {
      _exit(child_broken);
    }
    const char committed = 1;
    if (write(acknowledgements, &committed, 1) != 1) {
      _exit(child_broken);
    }
  }
  _exit(child_finished);
}

class FailingVfsCrashTest : public FailingVfsTest {
 protected:
  crash run_child(const fs::path& path, std::size_t n, failing_vfs::counting among) {
    int pipe_ends[2];
    if (pipe(pipe_ends) != 0) {
      throw std::runtime_error{"pipe failed"};
    }
    std::fflush(nullptr);
    const pid_t child = fork();
    if (child < 0) {
      throw std::runtime_error{"fork failed"};
    }
    if (child == 0) {
      close(pipe_ends[0]);
      commit_until_exit(path, vfs_, n, among, pipe_ends[1]);
    }
    close(pipe_ends[1]);
    crash result;
    char committed = 0;
    while (read(pipe_ends[0], &committed, 1) == 1) {
      ++result.committed;
    }
    close(pipe_ends[0]);
    waitpid(child, &result.status, 0);
    return result;
  }

  // Crashes a child at the n-th operation of kind `among` for n in [0, limit), each on a fresh
  // database, and checks that every commit the child saw succeed survived.
  void crash_at_every(std::size_t limit, failing_vfs::counting among) {
    constexpr int seeded = 2;
    for (std::size_t n = 0; n < limit; ++n) {
      SCOPED_TRACE("exit_at " + std::to_string(n));
      const fs::path path = seed("crash-" + std::to_string(n) + ".db", seeded);
      const crash ended = run_child(path, n, among);
      ASSERT_TRUE(WIFEXITED(ended.status));
      ASSERT_EQ(WEXITSTATUS(ended.status), crash_code);
      const verdict after = inspect(path);
      EXPECT_EQ(after.integrity, "ok");
      EXPECT_EQ(after.rows, after.max_id);
      EXPECT_GE(after.rows, seeded + ended.committed);
      // The commit it died in may be whole in the WAL: written, not yet synced.
      EXPECT_LE(after.rows, seeded + ended.committed + 1);
    }
  }
};

TEST_F(FailingVfsCrashTest, ChildExitingAtAnyOperationLosesNoAcknowledgedCommit) {
  crash_at_every(40, failing_vfs::counting::all);
}

TEST_F(FailingVfsCrashTest, ChildExitingAtTheNthSyncLosesNoAcknowledgedCommit) {
  crash_at_every(5, failing_vfs::counting::syncs_only);
}

}  // namespace
