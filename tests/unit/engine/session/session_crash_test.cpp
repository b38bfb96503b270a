// Re-attach after a kill: a runner in another process (ferry_session_peer) is killed with
// SIGKILL at the session's crash points — inside a journal transaction, between a commit and
// its delivery, before and after a download's rename — and the next runner of the same session
// brings every task to its end. Its delegate logs each event and, once its acknowledgement has
// committed, "ack": every completion is delivered at least once, again only if no "ack"
// preceded the kill, and never after one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>
#include <sstream>

#include "child_process.hpp"
#include "ferry/engine/session/session.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;

constexpr std::size_t few_tasks = 4;

struct crash_point {
  const char* milestone;
  std::vector<int> at;  // the n-th occurrence, from 1
};

// What the log says: the events in order, and the position of each "ack".
struct delegate_log {
  struct line {
    bool ack = false;
    std::uint64_t seq = 0;
    task_id task = 0;
    std::string kind;
  };
  std::vector<line> lines;

  static delegate_log read(const fs::path& file) {
    delegate_log log;
    std::istringstream in{test::read_file(file)};
    std::string word;
    while (in >> word) {
      line l;
      if (word == "ack") {
        l.ack = true;
        in >> l.seq;
      } else {
        in >> l.seq >> l.task >> l.kind;
      }
      log.lines.push_back(l);
    }
    return log;
  }
};

class SessionCrashTest : public ::testing::Test {
 protected:
  // One kill at `milestone`'s n-th occurrence (when the run gets that far: `killed` says), then
  // a run to the end, and the checks.
  void kill_then_finish(const scripted_server& server, const std::string& milestone, int n,
                        bool& killed, std::size_t task_count = few_tasks) {
    SCOPED_TRACE(milestone + ":" + std::to_string(n) + " of " + std::to_string(task_count));
    test::temp_directory scratch{"session-crash"};
    const fs::path state = scratch.path() / "state";
    const fs::path out = scratch.path() / "out";
    fs::create_directories(out);
    const fs::path log = scratch.path() / "delegate.log";
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    const std::vector<std::string> argv{
        FERRY_SESSION_PEER,         state.string(), "run",       url,
        std::to_string(task_count), out.string(),   log.string()};
    const int crashed =
        test::run_process(argv, {"FERRY_CRASH_AT=" + milestone + ":" + std::to_string(n)}, {},
                          scratch.path() / "crashed.err", 60s);
    ASSERT_TRUE(crashed == 128 + SIGKILL || crashed == 0)
        << crashed << ": " << test::read_file(scratch.path() / "crashed.err");
    killed = crashed == 128 + SIGKILL;
    const std::size_t lines_before = delegate_log::read(log).lines.size();
    ASSERT_EQ(test::run_process(argv, {}, {}, scratch.path() / "finish.err", 60s), 0)
        << test::read_file(scratch.path() / "finish.err");

    // Every task ended once, completed, its file whole: none lost, none added twice.
    session_config config;
    config.identifier = "peer";
    config.state_directory = state;
    config.durable = durability::process;
    auto s = session::open(config, nullptr);
    const auto tasks = s->tasks();
    ASSERT_EQ(tasks.size(), task_count);
    for (const task_info& t : tasks) {
      EXPECT_EQ(t.state, task_state::completed) << t.id << " " << t.message;
      EXPECT_EQ(test::read_file(t.request.output), body_) << t.request.output;
      EXPECT_FALSE(fs::exists(partial_path(t.request.output)));
    }

    // One completion journaled for each task, whatever the kill interrupted.
    s.reset();
    EXPECT_EQ(completions_per_task(state / "journal.sqlite"), std::vector<int>(task_count, 1));

    // The delegate's log: each task's completion heard at least once; a seq heard again only
    // if no "ack" of it came before (in the killed run or after).
    const delegate_log heard = delegate_log::read(log);
    std::set<std::uint64_t> acknowledged;
    std::set<task_id> completed;
    for (std::size_t i = 0; i < heard.lines.size(); ++i) {
      const auto& l = heard.lines[i];
      if (l.ack) {
        acknowledged.insert(l.seq);
        continue;
      }
      EXPECT_EQ(acknowledged.count(l.seq), 0U)
          << "seq " << l.seq << " delivered after its ack (line " << i << ", " << lines_before
          << " before the kill)";
      if (l.kind == "completed") {
        completed.insert(l.task);
      }
    }
    EXPECT_EQ(completed.size(), task_count);
  }

  // How many completion events the journal holds for each task, by task id.
  static std::vector<int> completions_per_task(const fs::path& journal) {
    std::vector<int> counts;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(journal.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* q = nullptr;
      sqlite3_prepare_v2(db,
                         "SELECT count(e.seq) FROM tasks t LEFT JOIN events e ON e.task = t.id "
                         "AND e.kind = 'completed' GROUP BY t.id ORDER BY t.id",
                         -1, &q, nullptr);
      while (sqlite3_step(q) == SQLITE_ROW) {
        counts.push_back(sqlite3_column_int(q, 0));
      }
      sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return counts;
  }

  std::string body_ = test::version_bytes(40'000, 0);
};

// The bar: a thousand transfers, the process killed in the middle of the adds' commits
// and again in the middle of the completions' deliveries; the next runner brings every task to
// its end, and every outcome is received (at least once, never after its acknowledgement).
TEST_F(SessionCrashTest, AThousandTasksKilledMidwayAllEndAndEveryOutcomeIsReceived) {
  const std::size_t count = test::scaled(1000);
  const std::string small_body = test::version_bytes(2'000, 0);
  body_ = small_body;
  scripted_server server{resource_responder(
      {{small_body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; }, count * 6)};
  for (const auto& [milestone, n] :
       {std::pair<std::string, std::size_t>{"journal_commit", count / 2},
        {"committed", count / 2}}) {
    bool killed = false;
    kill_then_finish(server, milestone, static_cast<int>(n), killed, count);
    if (HasFatalFailure()) {
      return;
    }
    EXPECT_TRUE(killed) << milestone << ":" << n << " is reached";
  }
}

TEST_F(SessionCrashTest, AKillAtAnyCrashPointLosesNoTaskAndRedeliversOnlyWhatWasNotAcknowledged) {
  scripted_server server{resource_responder(
      {{body_, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; }, 4000)};
  // Each occurrence matters: journal_commit counts adds, starts, completions and
  // acknowledgements (about 17 in a run of 4 tasks); the others one per task.
  const bool small = test::scaled(8) == 1;
  std::vector<crash_point> points{
      {"journal_commit",
       small ? std::vector<int>{1, 6, 11, 16}
             : std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}},
      {"committed", small ? std::vector<int>{1, 3} : std::vector<int>{1, 2, 3, 4}},
      {"before_rename", small ? std::vector<int>{2} : std::vector<int>{1, 2, 3, 4}},
      {"after_rename", small ? std::vector<int>{1, 4} : std::vector<int>{1, 2, 3, 4}},
  };
  for (const crash_point& p : points) {
    std::size_t kills = 0;
    for (const int n : p.at) {
      bool killed = false;
      kill_then_finish(server, p.milestone, n, killed);
      if (HasFatalFailure()) {
        return;
      }
      kills += killed ? 1 : 0;
    }
    EXPECT_EQ(kills, p.at.size()) << p.milestone << ": every listed occurrence is reached";
  }
}

}  // namespace
}  // namespace ferry::engine
