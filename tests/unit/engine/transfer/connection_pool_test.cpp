#include "ferry/engine/transfer/connection_pool.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/connection.hpp"
#include "loop_fixture.hpp"
#include "scripted_server.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::scripted_server;

class ConnectionPoolTest : public test::loop_fixture {
 protected:
  // A connection that has carried one keep-alive exchange: reusable, as the pool wants them.
  std::unique_ptr<connection> reusable_connection() {
    auto s = std::make_unique<tcp_socket>(loop);
    connect(*s, "127.0.0.1", server.port(), 10s);
    auto c = std::make_unique<connection>(std::move(s));
    http::request r;
    r.url = http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/");
    memory_sink sink;
    async_result op = c->begin_request(r, http::target_form::origin, sink, {});
    EXPECT_TRUE(op.wait_for(test::test_deadline));
    std::error_code ec;
    (void)c->end_request(op, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(c->reusable());
    return c;
  }

  scripted_server server{
      [](std::string_view, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 50) {
          return std::nullopt;
        }
        return scripted_server::ok("ok");
      }};
  manual_clock time;
};

TEST_F(ConnectionPoolTest, ConnectionsAreNeverHandedAcrossKeys) {
  connection_pool pool;
  pool.put("http://a:80", reusable_connection());
  EXPECT_EQ(pool.idle(), 1U);
  EXPECT_EQ(pool.take("http://b:80"), nullptr);
  EXPECT_EQ(pool.idle(), 1U);  // still there for its own key
  EXPECT_NE(pool.take("http://a:80"), nullptr);
  EXPECT_EQ(pool.idle(), 0U);
  EXPECT_EQ(pool.take("http://a:80"), nullptr);
}

TEST_F(ConnectionPoolTest, IdleConnectionsExpireOnThePoolsClock) {
  connection_pool_options o;
  o.idle_timeout = 60s;
  o.time_source = &time;
  connection_pool pool{o};
  pool.put("k", reusable_connection());
  time.advance(59s);
  auto kept = pool.take("k");
  EXPECT_NE(kept, nullptr);  // not yet expired
  pool.put("k", std::move(kept));
  time.advance(61s);
  EXPECT_EQ(pool.take("k"), nullptr);  // expired: closed, not handed out
  EXPECT_EQ(pool.idle(), 0U);
}

TEST_F(ConnectionPoolTest, CapsPerKeyAndInAllEvictTheLeastRecentlyUsed) {
  connection_pool_options o;
  o.max_idle_per_key = 2;
  o.max_idle = 3;
  connection_pool pool{o};
  pool.put("a", reusable_connection());
  pool.put("a", reusable_connection());
  pool.put("a", reusable_connection());  // a third for one key: refused (closed)
  EXPECT_EQ(pool.idle(), 2U);
  pool.put("b", reusable_connection());
  pool.put("c", reusable_connection());  // a fourth in all: the oldest ("a") goes
  EXPECT_EQ(pool.idle(), 3U);
  EXPECT_NE(pool.take("a"), nullptr);
  EXPECT_EQ(pool.take("a"), nullptr);
  EXPECT_NE(pool.take("b"), nullptr);
  EXPECT_NE(pool.take("c"), nullptr);
}

TEST_F(ConnectionPoolTest, ConnectionsThatCannotCarryAnotherRequestAreNotKept) {
  connection_pool pool;
  auto closed = reusable_connection();
  closed->close();
  pool.put("k", std::move(closed));
  pool.put("k", nullptr);
  EXPECT_EQ(pool.idle(), 0U);
  // One that the server closes while idle is dropped when next looked at.
  auto idle = reusable_connection();
  pool.put("k", std::move(idle));
  ASSERT_EQ(pool.idle(), 1U);
  auto taken = pool.take("k");
  ASSERT_NE(taken, nullptr);
  taken->close();
  pool.put("k", std::move(taken));
  EXPECT_EQ(pool.idle(), 0U);
}

}  // namespace
}  // namespace ferry::engine
