// The journal's commands: what a controller queues and the runner applies and answers, seen
// through two connections to one file as two processes would see it; the first schema change's
// migration; the runner's last transaction, which lets go of its lock only when no command
// waits.
#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
#include "journal_fixture.hpp"
#include "session/journal.hpp"

namespace ferry::engine::detail {
namespace {

using namespace std::chrono_literals;

using JournalCommandsTest = journal_fixture;

command pause_of(task_id id) {
  command c;
  c.verb = command_verb::pause;
  c.task = id;
  return c;
}

TEST_F(JournalCommandsTest, AVersionOneJournalIsMigratedWithItsTasksKept) {
  std::error_code ec;
  {
    auto j = open_journal();
    ASSERT_EQ(j->add_task(download_to("kept"), t0, ec).task.id, 1U);
  }
  // What a version 1 journal is: no commands table, no session row, no idempotent column. The
  // task row was written at the default of that column, so its checksum is a version 1 one.
  raw_sql(
      "DROP TABLE commands; DROP TABLE session; ALTER TABLE tasks DROP COLUMN idempotent; "
      "PRAGMA user_version = 1;");
  ASSERT_EQ(raw_text("SELECT count(*) FROM sqlite_master WHERE name = 'commands'"), "0");
  auto j = open_journal();
  ASSERT_TRUE(j);
  EXPECT_EQ(raw_text("PRAGMA user_version"), std::to_string(journal::schema_version));
  EXPECT_EQ(raw_text("SELECT count(*) FROM sqlite_master WHERE name = 'commands'"), "1");
  EXPECT_EQ(raw_text("SELECT count(*) FROM session"), "1");
  ASSERT_EQ(j->tasks(ec).size(), 1U);
  EXPECT_EQ(j->tasks(ec)[0].request.output, dir_ / "kept");
  EXPECT_NE(j->submit(pause_of(1), t0, ec), 0U);
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(JournalCommandsTest, ARunnerSeesAnotherConnectionsCommandAndItsAnswerReachesTheSubmitter) {
  auto runner = open_journal();
  auto controller = open_journal();
  std::error_code ec;
  const task_id id = runner->add_task(download_to("a"), t0, ec).task.id;
  EXPECT_TRUE(runner->changed_elsewhere(ec));  // the first look
  EXPECT_FALSE(runner->changed_elsewhere(ec)) << "its own commit is not another's";

  const std::uint64_t seq = controller->submit(pause_of(id), t0, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_FALSE(controller->answer_of(seq, ec));
  EXPECT_TRUE(runner->changed_elsewhere(ec));
  EXPECT_FALSE(runner->changed_elsewhere(ec));
  const auto pending = runner->unanswered(t0, ec);
  ASSERT_EQ(pending.size(), 1U);
  EXPECT_EQ(pending[0].seq, seq);
  EXPECT_EQ(pending[0].verb, command_verb::pause);
  EXPECT_EQ(pending[0].task, id);

  runner->answer(seq, {error::invalid_argument, 0}, t0, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(runner->unanswered(t0, ec).empty());
  const auto answer = controller->answer_of(seq, ec);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->result, error::invalid_argument);
  controller->forget_command(seq, ec);
  (void)controller->answer_of(seq, ec);
  EXPECT_EQ(ec, error::invalid_argument) << "forgotten";
}

TEST_F(JournalCommandsTest, AnAddCommandCarriesTheTaskAndIsAnsweredInTheTransactionThatAddsIt) {
  auto runner = open_journal();
  auto controller = open_journal();
  command c;
  c.verb = command_verb::add;
  c.added = download_to("big.iso");
  c.added.options.key = "k";
  c.added.options.description = "the image";
  c.added.options.priority = task_priority::high;
  c.added.options.group = "g";
  c.added.options.order = group_order::serialized;
  c.added.options.earliest_begin = t0 + 1h;
  c.added.options.paused = true;
  c.added.request.fields = {{"Authorization", "Bearer SECRET"}, {"X-Kept", "yes"}};
  std::error_code ec;
  const std::uint64_t seq = controller->submit(c, t0, ec);
  ASSERT_FALSE(ec);
  // Credentials follow the task's rule in the command too.
  EXPECT_EQ((test::read_file(file_) + test::read_file(file_.string() + "-wal")).find("SECRET"),
            std::string::npos);

  auto pending = runner->unanswered(t0, ec);
  ASSERT_EQ(pending.size(), 1U);
  new_task& t = pending[0].added;
  EXPECT_EQ(t.request.output, dir_ / "big.iso");
  EXPECT_EQ(t.options.key, "k");
  EXPECT_EQ(t.options.description, "the image");
  EXPECT_EQ(t.options.priority, task_priority::high);
  EXPECT_EQ(t.options.group, "g");
  EXPECT_EQ(t.options.order, group_order::serialized);
  EXPECT_EQ(t.options.earliest_begin, t0 + 1h);
  EXPECT_TRUE(t.options.paused);
  EXPECT_TRUE(t.secrets_withheld);
  ASSERT_EQ(t.request.fields.size(), 1U);

  const auto added = runner->add_task(t, t0, ec, seq);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(added.task.secrets_withheld) << "the flag survives the command";
  EXPECT_EQ(added.task.state, task_state::paused);
  const auto answer = controller->answer_of(seq, ec);
  ASSERT_TRUE(answer);
  EXPECT_FALSE(answer->result);
  EXPECT_EQ(answer->task, added.task.id);

  // The same key again (a retried add): answered with the first task, nothing added.
  const std::uint64_t again = controller->submit(c, t0, ec);
  pending = runner->unanswered(t0, ec);
  ASSERT_EQ(pending.size(), 1U);
  const auto existing = runner->add_task(pending[0].added, t0, ec, again);
  EXPECT_TRUE(existing.existed);
  EXPECT_EQ(controller->answer_of(again, ec)->task, added.task.id);
  EXPECT_EQ(runner->tasks(ec).size(), 1U);
}

TEST_F(JournalCommandsTest, ACommandThatDoesNotDecodeIsAnsweredCorruptAndLeftOut) {
  auto runner = open_journal();
  std::error_code ec;
  const std::uint64_t seq = runner->submit(pause_of(1), t0, ec);
  raw_sql("UPDATE commands SET verb = 'explode' WHERE seq = " + std::to_string(seq));
  EXPECT_TRUE(runner->unanswered(t0, ec).empty());
  ASSERT_FALSE(ec);
  const auto answer = runner->answer_of(seq, ec);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->result, error::journal_corrupt);
}

TEST_F(JournalCommandsTest, TheRunnerLetsGoOnlyWhenNoCommandWaits) {
  auto runner = open_journal();
  auto controller = open_journal();
  std::error_code ec;
  const std::uint64_t seq = controller->submit(pause_of(1), t0, ec);
  int released = 0;
  EXPECT_FALSE(runner->release_if_no_commands([&] { ++released; }, ec));
  EXPECT_FALSE(ec);
  EXPECT_EQ(released, 0);
  runner->answer(seq, {}, t0, ec);
  EXPECT_TRUE(runner->release_if_no_commands([&] { ++released; }, ec));
  EXPECT_EQ(released, 1);
}

TEST_F(JournalCommandsTest, AnsweredCommandsAreForgottenWhenOldAndWaitingOnesAreKept) {
  auto j = open_journal();
  std::error_code ec;
  const std::uint64_t old_answered = j->submit(pause_of(1), t0, ec);
  const std::uint64_t old_waiting = j->submit(pause_of(2), t0, ec);
  const std::uint64_t new_answered = j->submit(pause_of(3), t0 + 2h, ec);
  j->answer(old_answered, {}, t0, ec);
  j->answer(new_answered, {}, t0 + 2h, ec);
  j->forget_answered(t0 + 1h, ec);
  ASSERT_FALSE(ec);
  (void)j->answer_of(old_answered, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_FALSE(j->answer_of(old_waiting, ec));
  EXPECT_FALSE(ec);
  EXPECT_TRUE(j->answer_of(new_answered, ec));
}

}  // namespace
}  // namespace ferry::engine::detail
