// A session's bandwidth limit and its tasks' own limits (the throttle's parent and children), on
// a manual clock that the test steps: what a limit of `rate` may have let through by clock time t
// is at most its burst plus rate * t, whatever the machine's speed, so every bound below is
// exact and none is a timing. Without the limits the tasks finish while the clock stands still,
// and the lower bounds on the clock time fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ferry/engine/io/clock.hpp"
#include "resource_responder.hpp"
#include "session_fixture.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::resource_fault;
using test::resource_responder;
using test::scripted_server;

class SessionRateTest : public session_fixture {
 protected:
  static constexpr std::uint64_t rate = 64 * 1024;   // bytes a second
  static constexpr std::uint64_t burst = 16 * 1024;  // the default: max(16 KiB, rate / 8)
  static constexpr std::size_t length = 256 * 1024;
  // Each step pays for at most one burst of every bucket below, so none overflows its burst
  // while a transfer waits for the next step.
  static constexpr clock_source::duration step = 125ms;

  // What a bucket of `per_second` and `bucket` can have granted once the clock moved `elapsed`.
  static std::uint64_t allowance(std::uint64_t per_second, std::uint64_t bucket,
                                 clock_source::duration elapsed) {
    return bucket + per_second * static_cast<std::uint64_t>(elapsed.count()) / 1'000'000'000U;
  }

  std::unique_ptr<session> open_limited(std::uint64_t session_rate) {
    session_config c = config();
    c.rate_limit = session_rate;
    session_environment e;
    e.time_source = &time;
    std::error_code ec;
    auto s = session::open(c, &delegate, ec, e);
    EXPECT_FALSE(ec) << ec.message();
    return s;
  }

  // The bytes a task has moved so far: its transfer's while it runs, its whole length once it
  // completed, none before it started.
  static std::uint64_t moved(const session& s, task_id id) {
    if (const auto p = s.progress(id)) {
      return p->transferred;
    }
    return s.find(id)->state == task_state::completed ? length : 0;
  }

  // Steps the clock until every task of `ids` completed, checking before each step that
  // `within(elapsed)` holds. Returns the clock time it took (bounded: 100 s of clock time).
  clock_source::duration run_in_steps(const session& s, const std::vector<task_id>& ids,
                                      const std::function<void(clock_source::duration)>& within) {
    clock_source::duration elapsed{};
    for (int i = 0; i < 800; ++i) {
      std::this_thread::sleep_for(10ms);
      if (std::all_of(ids.begin(), ids.end(),
                      [&](task_id id) { return s.find(id)->state == task_state::completed; })) {
        return elapsed;
      }
      within(elapsed);
      time.advance(step);
      elapsed += step;
    }
    ADD_FAILURE() << "the tasks did not complete in 100 s of clock time";
    return elapsed;
  }

  manual_clock time;
  recording_delegate delegate;
  const std::string body = test::version_bytes(length, 5);
  scripted_server server{
      resource_responder({{body, "\"r\"", ""}}, [](std::size_t) { return resource_fault{}; })};
};

TEST_F(SessionRateTest, TheSessionLimitHoldsItsTasksTogether) {
  auto s = open_limited(rate);
  const std::vector<task_id> ids{s->add(download_of(server, "first"), {}).id,
                                 s->add(download_of(server, "second"), {}).id};
  const auto both = [&] { return moved(*s, ids[0]) + moved(*s, ids[1]); };
  std::this_thread::sleep_for(200ms);  // the clock stands still: one burst between them
  EXPECT_LE(both(), burst);
  const auto took = run_in_steps(*s, ids, [&](clock_source::duration t) {
    EXPECT_LE(both(), allowance(rate, burst, t)) << "at " << t.count() << " ns";
  });
  wait_idle(*s);
  EXPECT_EQ(test::read_file(scratch_ / "first"), body);
  EXPECT_EQ(test::read_file(scratch_ / "second"), body);
  EXPECT_GE(allowance(rate, burst, took), 2 * length) << "both went through the one bucket";
}

TEST_F(SessionRateTest, ATaskKeepsToItsOwnLimitUnderTheSessions) {
  auto s = open_limited(4 * rate);  // burst: max(16 KiB, 256 KiB / 8) = 32 KiB
  transfer_request slow = download_of(server, "slow");
  slow.rate_limit = rate;
  const std::vector<task_id> ids{s->add(slow, {}).id, s->add(download_of(server, "free"), {}).id};
  const auto took = run_in_steps(*s, ids, [&](clock_source::duration t) {
    EXPECT_LE(moved(*s, ids[0]), allowance(rate, burst, t)) << "its own limit";
    EXPECT_LE(moved(*s, ids[0]) + moved(*s, ids[1]), allowance(4 * rate, 32 * 1024, t))
        << "the session's";
  });
  wait_idle(*s);
  EXPECT_EQ(test::read_file(scratch_ / "slow"), body);
  EXPECT_EQ(test::read_file(scratch_ / "free"), body);
  EXPECT_GE(allowance(rate, burst, took), length) << "the limited one kept to its rate";
}

TEST_F(SessionRateTest, ATaskLimitIsStoredWithTheTask) {
  transfer_request slow = download_of(server, "stored");
  slow.rate_limit = rate;
  task_id id = 0;
  {
    auto s = open_limited(0);
    task_options paused;
    paused.paused = true;
    id = s->add(slow, paused).id;
  }
  auto s = open_limited(0);
  EXPECT_EQ(s->find(id)->request.rate_limit, rate);
  s->resume(id);
  const auto took = run_in_steps(*s, {id}, [&](clock_source::duration t) {
    EXPECT_LE(moved(*s, id), allowance(rate, burst, t));
  });
  EXPECT_EQ(test::read_file(scratch_ / "stored"), body);
  EXPECT_GE(allowance(rate, burst, took), length);
}

}  // namespace
}  // namespace ferry::engine
