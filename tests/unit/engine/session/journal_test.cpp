// The session journal on a real SQLite file: ids, keys, one transaction for a state and its
// event, events until acknowledged, the schema version, damage found and nothing deleted,
// secrets withheld. (A disk that fails at every write and sync: journal_fault_test.cpp.)
#include "session/journal.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ferry/engine/error.hpp"
#include "ferry/http/error.hpp"
#include "journal_fixture.hpp"
#include "temp_directory.hpp"

namespace ferry::engine::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using JournalTest = journal_fixture;

TEST_F(JournalTest, ANewJournalIsPrivateInWalModeAtTheCurrentSchemaVersion) {
  auto j = open_journal();
  ASSERT_TRUE(j);
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(raw_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_text("PRAGMA user_version"), std::to_string(journal::schema_version));
}

TEST_F(JournalTest, ALooserExistingFileIsNarrowedTo0600) {
  { std::ofstream{file_}; }
  ::chmod(file_.c_str(), 0644);
  auto j = open_journal();
  ASSERT_TRUE(j);
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(JournalTest, TaskIdsGrowFromOneAndAreNeverReusedAcrossReopens) {
  std::error_code ec;
  {
    auto j = open_journal();
    EXPECT_EQ(j->add_task(download_to("a"), t0, ec).task.id, 1U);
    EXPECT_EQ(j->add_task(download_to("b"), t0, ec).task.id, 2U);
    const auto third = j->add_task(download_to("c"), t0, ec).task.id;
    EXPECT_EQ(third, 3U);
    // The last task finishes and is removed: its id is not given again.
    const task_change done{third, task_state::completed, {}, {}, {}, event_kind::completed};
    const auto seqs = j->apply({&done, 1}, t0, ec);
    ASSERT_FALSE(ec);
    j->acknowledge(seqs[0], ec);
    EXPECT_EQ(j->remove_finished(t0 + 1s, ec), std::vector<task_id>{third});
    EXPECT_FALSE(j->find(third, ec));
  }
  auto j = open_journal();
  EXPECT_EQ(j->add_task(download_to("d"), t0, ec).task.id, 4U);
  const auto all = j->tasks(ec);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].id, 1U);
  EXPECT_EQ(all[1].id, 2U);
  EXPECT_EQ(all[2].id, 4U);
}

TEST_F(JournalTest, ATaskKeepsEverythingItWasAddedWith) {
  auto j = open_journal();
  new_task t = download_to("file.iso");
  t.options.key = "nightly-iso";
  t.options.description = "the nightly image";
  t.options.priority = task_priority::high;
  t.options.group = "images";
  t.options.order = group_order::serialized;
  t.options.earliest_begin = t0 + 90min;
  t.options.paused = true;
  t.request.segments = 4;
  std::error_code ec;
  const auto added = j->add_task(t, t0, ec);
  ASSERT_FALSE(ec) << ec.message();
  j.reset();
  j = open_journal();
  const auto found = j->find(added.task.id, ec);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->key, "nightly-iso");
  EXPECT_EQ(found->description, "the nightly image");
  EXPECT_EQ(found->priority, task_priority::high);
  EXPECT_EQ(found->group, "images");
  EXPECT_EQ(found->order, group_order::serialized);
  EXPECT_EQ(found->earliest_begin, t0 + 90min);
  EXPECT_EQ(found->state, task_state::paused);
  EXPECT_EQ(found->request.segments, 4U);
  EXPECT_EQ(found->request.output, dir_ / "file.iso");
  EXPECT_EQ(found->request.url.text(), "http://127.0.0.1:8080/file.iso");
  EXPECT_EQ(found->created, t0);
}

TEST_F(JournalTest, ASecondAddWithTheSameKeyReturnsTheFirstTask) {
  auto j = open_journal();
  new_task t = download_to("a");
  t.options.key = "k";
  std::error_code ec;
  const auto first = j->add_task(t, t0, ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(first.existed);
  t.request.output = dir_ / "elsewhere";  // a retried add is the same add, whatever it says
  const auto second = j->add_task(t, t0 + 1s, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(second.existed);
  EXPECT_EQ(second.task.id, first.task.id);
  EXPECT_EQ(second.task.request.output, dir_ / "a");
  EXPECT_EQ(j->tasks(ec).size(), 1U);
}

TEST_F(JournalTest, TwoLiveDownloadsToOnePathAreOutputInUse) {
  auto j = open_journal();
  std::error_code ec;
  const auto first = j->add_task(download_to("same"), t0, ec);
  ASSERT_FALSE(ec);
  (void)j->add_task(download_to("same"), t0, ec);
  EXPECT_EQ(ec, error::output_in_use);
  // Once the first is over, the path is free again.
  const task_change failed{
      first.task.id, task_state::failed, error::http_error_status, "404", {}, event_kind::failed};
  (void)j->apply({&failed, 1}, t0, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(j->add_task(download_to("same"), t0, ec).task.id, 2U);
  EXPECT_FALSE(ec);
}

TEST_F(JournalTest, ARelativeOutputIsInvalidArgument) {
  auto j = open_journal();
  new_task t = download_to("a");
  t.request.output = "relative/a";
  std::error_code ec;
  (void)j->add_task(t, t0, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_TRUE(j->tasks(ec).empty());
}

TEST_F(JournalTest, AStateAndItsEventCommitTogetherAndABadBatchChangesNothing) {
  auto j = open_journal();
  std::error_code ec;
  const auto a = j->add_task(download_to("a"), t0, ec).task.id;
  const task_change changes[] = {
      {a, task_state::completed, {}, {}, {}, event_kind::completed},
      {99, task_state::failed, error::timed_out, {}, {}, event_kind::failed},  // no such task
  };
  (void)j->apply(changes, t0, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_EQ(j->find(a, ec)->state, task_state::queued);
  EXPECT_TRUE(j->unacknowledged(0, ec).empty());

  const auto seqs = j->apply({changes, 1}, t0 + 5s, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(seqs.size(), 1U);
  EXPECT_GE(seqs[0], 1U);
  j.reset();
  j = open_journal();
  const auto task = j->find(a, ec);
  EXPECT_EQ(task->state, task_state::completed);
  EXPECT_EQ(task->changed, t0 + 5s);
  const auto events = j->unacknowledged(0, ec);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].seq, seqs[0]);
  EXPECT_EQ(events[0].task, a);
  EXPECT_EQ(events[0].kind, event_kind::completed);
  EXPECT_EQ(events[0].state, task_state::completed);
  EXPECT_EQ(events[0].at, t0 + 5s);
}

TEST_F(JournalTest, EventsAreDeliveredUntilAcknowledgedAndNeverAfter) {
  std::error_code ec;
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  {
    auto j = open_journal();
    const auto a = j->add_task(download_to("a"), t0, ec).task.id;
    const auto b = j->add_task(download_to("b"), t0, ec).task.id;
    const task_change changes[] = {
        {a, task_state::completed, {}, {}, {}, event_kind::completed},
        {b, task_state::queued, error::validator_changed, "ETag", {}, event_kind::restarted},
    };
    const auto seqs = j->apply(changes, t0, ec);
    ASSERT_FALSE(ec);
    first = seqs[0];
    second = seqs[1];
    EXPECT_LT(first, second);
    j->acknowledge(first, ec);
    ASSERT_FALSE(ec);
    j->acknowledge(first, ec);  // again: nothing happens
    EXPECT_FALSE(ec);
    j->acknowledge(second + 100, ec);
    EXPECT_EQ(ec, error::invalid_argument);
  }
  auto j = open_journal();
  const auto events = j->unacknowledged(0, ec);
  ASSERT_EQ(events.size(), 1U);  // the unacknowledged one, again, with its seq
  EXPECT_EQ(events[0].seq, second);
  EXPECT_EQ(events[0].kind, event_kind::restarted);
  EXPECT_EQ(events[0].code, error::validator_changed);
  EXPECT_EQ(events[0].message, "ETag");
  EXPECT_TRUE(j->unacknowledged(second, ec).empty());
}

TEST_F(JournalTest, ReasonsOfEveryCategoryComeBackAsTheSameCode) {
  auto j = open_journal();
  std::error_code ec;
  const std::error_code reasons[] = {
      error::retry_at,
      make_error_code(http::error::bad_chunk),
      std::make_error_code(std::errc::connection_reset),
      std::error_code{ENOSPC, std::system_category()},
  };
  for (const std::error_code& reason : reasons) {
    const auto id = j->add_task(download_to("r" + std::to_string(reason.value())), t0, ec).task.id;
    const task_change change{id, task_state::waiting, reason, "m", t0 + 30s, {}};
    (void)j->apply({&change, 1}, t0, ec);
    ASSERT_FALSE(ec);
    const auto t = j->find(id, ec);
    EXPECT_EQ(t->reason, reason) << reason.message();
    EXPECT_EQ(t->retry_at, t0 + 30s);
    EXPECT_EQ(t->state, task_state::waiting);
  }
  EXPECT_EQ(raw_text("SELECT reason_name FROM tasks WHERE id = 1"), "retry_at");
}

TEST_F(JournalTest, AJournalOfANewerSchemaIsRefusedAndLeftAsItIs) {
  open_journal().reset();
  raw_sql("PRAGMA user_version = " + std::to_string(journal::schema_version + 1));
  const std::string before = bytes_of(file_);
  std::error_code ec;
  std::string detail;
  EXPECT_FALSE(journal::open(file_, {}, ec, &detail));
  EXPECT_EQ(ec, error::journal_too_new);
  EXPECT_NE(detail.find(file_.string()), std::string::npos) << detail;
  EXPECT_EQ(bytes_of(file_), before);
}

TEST_F(JournalTest, AFileThatIsNoDatabaseIsCorruptAndKept) {
  const std::string garbage(8192, 'G');
  test::write_file(file_, garbage);
  std::error_code ec;
  std::string detail;
  EXPECT_FALSE(journal::open(file_, {}, ec, &detail));
  EXPECT_EQ(ec, error::journal_corrupt);
  EXPECT_NE(detail.find(file_.string()), std::string::npos) << detail;
  EXPECT_NE(detail.find("nothing was deleted"), std::string::npos) << detail;
  EXPECT_EQ(bytes_of(file_), garbage);
}

TEST_F(JournalTest, BytesOverwrittenInsideARowAreCaughtByItsChecksum) {
  std::error_code ec;
  task_id id = 0;
  {
    auto j = open_journal();
    new_task t = download_to("a");
    t.options.description = "MARKER-description-MARKER";
    id = j->add_task(t, t0, ec).task.id;
    ASSERT_FALSE(ec);
  }  // the last connection's close moves the WAL into the file
  std::string bytes = bytes_of(file_);
  const auto at = bytes.find("MARKER-description");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'N';  // what a stray write does: the page stays well formed
  test::write_file(file_, bytes);

  auto j = open_journal();  // quick_check sees pages, not values
  ASSERT_TRUE(j);
  EXPECT_TRUE(j->tasks(ec).empty());
  EXPECT_EQ(ec, error::journal_corrupt);
  EXPECT_FALSE(j->find(id, ec));
  EXPECT_EQ(ec, error::journal_corrupt);
  const std::string sentence = j->explain(ec);
  EXPECT_NE(sentence.find("task 1"), std::string::npos) << sentence;
  EXPECT_NE(sentence.find(file_.string()), std::string::npos) << sentence;
}

TEST_F(JournalTest, ADamagedPageIsCorruptAtOpen) {
  {
    auto j = open_journal();
    std::error_code ec;
    for (int i = 0; i < 50; ++i) {
      (void)j->add_task(download_to("f" + std::to_string(i)), t0, ec);
    }
  }
  std::string bytes = bytes_of(file_);
  const std::size_t page = std::stoul(raw_text("PRAGMA page_size"));
  ASSERT_GT(bytes.size(), 3 * page);
  for (std::size_t i = page; i < page + 64; ++i) {
    bytes[i] = '\xff';  // the second page's header and cell pointers
  }
  test::write_file(file_, bytes);
  std::error_code ec;
  std::string detail;
  EXPECT_FALSE(journal::open(file_, {}, ec, &detail));
  EXPECT_EQ(ec, error::journal_corrupt);
  EXPECT_EQ(bytes_of(file_), bytes);
}

TEST_F(JournalTest, CredentialsAreNotWrittenUnlessTheTaskAsks) {
  new_task t = download_to("private");
  t.request.url = http::url::parse("http://user:PASSWORD-in-url@127.0.0.1:8080/private");
  t.request.fields = {{"Authorization", "Bearer TOKEN-in-field"},
                      {"cookie", "session=COOKIE-in-field"},
                      {"X-Trace", "kept"}};
  std::error_code ec;
  {
    auto j = open_journal();
    const auto added = j->add_task(t, t0, ec);
    ASSERT_FALSE(ec);
    EXPECT_TRUE(added.task.secrets_withheld);
    ASSERT_EQ(added.task.request.fields.size(), 1U);
    EXPECT_EQ(added.task.request.fields[0].value, "kept");
    // Before the close too: the WAL holds the pages until a checkpoint.
    const std::string everything = bytes_of(file_) + bytes_of(file_.string() + "-wal");
    for (const char* secret : {"PASSWORD-in-url", "TOKEN-in-field", "COOKIE-in-field"}) {
      EXPECT_EQ(everything.find(secret), std::string::npos) << secret;
    }
    EXPECT_NE(everything.find("kept"), std::string::npos);
  }
  t.options.store_credentials = true;
  t.request.output = dir_ / "private2";
  auto j = open_journal();
  const auto stored = j->add_task(t, t0, ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(stored.task.secrets_withheld);
  EXPECT_EQ(j->find(stored.task.id, ec)->request.fields.size(), 3U);
}

}  // namespace
}  // namespace ferry::engine::detail
