// The session journal on a disk that fails: every write and sync of a transaction in turn,
// and a full disk. SQLite's own failure paths run through a failing VFS (tests/support).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "failing_vfs.hpp"
#include "ferry/engine/error.hpp"
#include "journal_fixture.hpp"
#include "session/journal.hpp"

namespace ferry::engine::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using JournalFaultTest = journal_fixture;

TEST_F(JournalFaultTest, ProcessDurabilitySyncsLessThanPower) {
  test::failing_vfs vfs;
  auto count_syncs = [&](durability d) {
    std::error_code ec;
    fs::remove(file_);
    fs::remove(file_.string() + "-wal");
    fs::remove(file_.string() + "-shm");
    journal_options options;
    options.durable = d;
    options.vfs = test::failing_vfs::name;
    auto j = journal::open(file_, options, ec);
    EXPECT_FALSE(ec);
    vfs.reset_count();
    for (int i = 0; i < 10; ++i) {
      (void)j->add_task(download_to("s" + std::to_string(i)), t0, ec);
    }
    return vfs.syncs();
  };
  const auto power = count_syncs(durability::power);
  const auto process = count_syncs(durability::process);
  EXPECT_GE(power, 10U);  // one per commit at least
  EXPECT_LT(process, power);
}

// Group commit: commits are not synced one by one; sync() syncs the WAL once for all of them
// (through the VFS, which counts it), a second sync() with nothing new does nothing, and a sync
// that fails says so and leaves the commits to be synced by the next.
TEST_F(JournalFaultTest, GroupCommitSyncsOnceForManyCommitsAndOnlyWhenAsked) {
  test::failing_vfs vfs;
  journal_options options;
  options.durable = durability::power;
  options.group_commit = true;
  options.vfs = test::failing_vfs::name;
  std::error_code ec;
  auto j = journal::open(file_, options, ec);
  ASSERT_FALSE(ec);
  j->sync(ec);  // the schema's creation
  ASSERT_FALSE(ec);
  vfs.reset_count();
  for (int i = 0; i < 10; ++i) {
    (void)j->add_task(download_to("g" + std::to_string(i)), t0, ec);
    ASSERT_FALSE(ec);
  }
  EXPECT_EQ(vfs.syncs(), 0U) << "no commit synced itself";
  EXPECT_EQ(j->unsynced(), 10U);
  j->sync(ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(vfs.syncs(), 1U);
  EXPECT_EQ(j->unsynced(), 0U);
  j->sync(ec);
  EXPECT_EQ(vfs.syncs(), 1U) << "nothing new to sync";

  (void)j->add_task(download_to("late"), t0, ec);
  vfs.fail_at(0, test::failing_vfs::failure::io_error, test::failing_vfs::counting::syncs_only);
  j->sync(ec);
  EXPECT_EQ(ec, error::journal_unwritable);
  EXPECT_EQ(j->unsynced(), 1U) << "still to be synced";
  vfs.heal();
  j->sync(ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(j->unsynced(), 0U);
  EXPECT_EQ(j->tasks(ec).size(), 11U);
}

// A batch of adds is one transaction: a failure at any of its writes and syncs (N upward from 0)
// stores none of it, a success all of it, and a task's own error (an output twice) only leaves
// that task out.
TEST_F(JournalFaultTest, ABatchOfAddsIsStoredWholeOrNotAtAll) {
  test::failing_vfs vfs;
  journal_options options;
  options.vfs = test::failing_vfs::name;
  std::vector<new_task> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(download_to("b" + std::to_string(i)));
  }
  batch[7] = download_to("b6");  // its output is b6's: output_in_use, alone
  bool succeeded = false;
  for (std::size_t n = 0; n < 200 && !succeeded; ++n) {
    std::error_code ec;
    fs::remove(file_);
    fs::remove(file_.string() + "-wal");
    fs::remove(file_.string() + "-shm");
    {
      auto j = journal::open(file_, options, ec);
      ASSERT_FALSE(ec);
      vfs.fail_at(n);
      const auto entries = j->add_tasks(batch, t0, ec);
      vfs.heal();
      succeeded = !ec && !vfs.triggered();
      if (!ec) {
        ASSERT_EQ(entries.size(), batch.size());
        EXPECT_EQ(entries[7].error, error::output_in_use);
      } else {
        EXPECT_EQ(ec, error::journal_unwritable) << n;
      }
    }
    auto again = journal::open(file_, {}, ec);
    ASSERT_FALSE(ec) << n;
    const auto stored = again->tasks(ec);
    ASSERT_FALSE(ec) << n;
    const bool whole = stored.size() == batch.size() - 1;
    EXPECT_TRUE(stored.empty() || whole) << n << ": " << stored.size() << " tasks";
  }
  EXPECT_TRUE(succeeded);
}

// Every write and sync of one transaction fails in turn (N upward from 0, until none is hit):
// the call reports journal_unwritable, and the journal, opened again on a healthy disk, holds
// the state before or after the transaction, never a mixture, and is never damaged.
TEST_F(JournalFaultTest, AFailureAtEveryWriteAndSyncLosesNothingCommitted) {
  test::failing_vfs vfs;
  journal_options options;
  options.vfs = test::failing_vfs::name;
  std::error_code ec;
  task_id id = 0;
  {
    auto j = journal::open(file_, options, ec);
    ASSERT_FALSE(ec);
    id = j->add_task(download_to("a"), t0, ec).task.id;
    ASSERT_FALSE(ec);
  }
  bool succeeded = false;
  int failures = 0;
  for (std::uint64_t n = 0; n < 200 && !succeeded; ++n) {
    {
      auto j = journal::open(file_, options, ec);
      ASSERT_FALSE(ec) << n;
      vfs.fail_at(n, test::failing_vfs::failure::io_error);
      const task_change done{id, task_state::completed, {}, {}, {}, event_kind::completed};
      (void)j->apply({&done, 1}, t0, ec);
      succeeded = !ec && !vfs.triggered();
      if (ec) {
        ++failures;
        EXPECT_EQ(ec, error::journal_unwritable) << n << ": " << ec.message();
      }
      vfs.heal();
    }
    auto j = journal::open(file_, {}, ec);  // the default VFS: a healthy disk
    ASSERT_FALSE(ec) << n << ": " << ec.message();
    const auto t = j->find(id, ec);
    ASSERT_FALSE(ec) << n;
    const auto events = j->unacknowledged(0, ec);
    if (t->state == task_state::completed) {
      ASSERT_EQ(events.size(), 1U) << n;  // the state and its event, together
      const task_change back{id, task_state::queued, {}, {}, {}, {}};
      (void)j->apply({&back, 1}, t0, ec);  // and again from the same start
      j->acknowledge(events[0].seq, ec);
    } else {
      EXPECT_EQ(t->state, task_state::queued) << n;
      EXPECT_TRUE(events.empty()) << n;
    }
    EXPECT_EQ(raw_text("PRAGMA integrity_check"), "ok") << n;
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GT(failures, 2);
}

TEST_F(JournalFaultTest, AFullDiskIsJournalUnwritableAndTheJournalStaysUsable) {
  test::failing_vfs vfs;
  journal_options options;
  options.vfs = test::failing_vfs::name;
  std::error_code ec;
  auto j = journal::open(file_, options, ec);
  ASSERT_FALSE(ec);
  vfs.fail_at(0, test::failing_vfs::failure::disk_full);
  (void)j->add_task(download_to("a"), t0, ec);
  EXPECT_EQ(ec, error::journal_unwritable);
  vfs.heal();
  EXPECT_EQ(j->add_task(download_to("a"), t0, ec).task.id, 1U);
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace ferry::engine::detail
