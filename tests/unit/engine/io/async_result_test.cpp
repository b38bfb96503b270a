#include "ferry/engine/io/async_result.hpp"

#include <gtest/gtest.h>

#include <future>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "loop_fixture.hpp"
#include "loopback_server.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::loopback_server;
using test::server_mode;

struct receive_context {
  char buffer[8] = {};
  int rounds = 0;
};

class AsyncResultTest : public test::loop_fixture {};

TEST_F(AsyncResultTest, CarriesTheCallersStateObjectWithItsType) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  receive_context context;
  std::promise<receive_context*> seen;
  std::promise<int*> wrong_type;
  send(s, buffer("x"));
  async_result r = s.begin_receive(
      buffer(context.buffer, 1),
      [&](async_result& result) {
        seen.set_value(result.state<receive_context>());
        wrong_type.set_value(result.state<int>());
      },
      &context);
  EXPECT_EQ(r.state<receive_context>(), &context);
  EXPECT_EQ(r.state<const receive_context>(), &context);
  auto f = seen.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), &context);
  EXPECT_EQ(wrong_type.get_future().get(), nullptr);
  EXPECT_EQ(r.kind(), operation_kind::receive);
}

TEST_F(AsyncResultTest, ConstStateIsNotHandedOutAsMutable) {
  const receive_context context;
  const state_ref ref{&context};
  EXPECT_EQ(ref.get<const receive_context>(), &context);
  EXPECT_EQ(ref.get<receive_context>(), nullptr);
}

TEST_F(AsyncResultTest, WaitAndWaitForFromOutsideTheLoop) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  async_result r = s.begin_receive(buffer(&byte, 1), {});
  EXPECT_FALSE(r.is_completed());
  EXPECT_FALSE(r.wait_for(30ms));
  s.cancel();
  r.wait();
  EXPECT_TRUE(r.is_completed());
  EXPECT_EQ(r.error(), error::operation_aborted);
  EXPECT_TRUE(r.wait_for(0ms));
}

TEST_F(AsyncResultTest, WaitOnALoopThreadIsAnErrorNotADeadlock) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  async_result pending = s.begin_receive(buffer(&byte, 1), {});
  std::promise<std::error_code> from_loop;
  loop.post([&] {
    std::error_code ec;
    pending.wait(ec);
    from_loop.set_value(ec);
  });
  auto f = from_loop.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), error::would_deadlock);
  s.close();
}

TEST_F(AsyncResultTest, EndTwiceIsReported) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  async_result r = s.begin_send(buffer("abc"), {});
  EXPECT_EQ(s.end_send(r), 3U);
  std::error_code ec;
  EXPECT_EQ(s.end_send(r, ec), 0U);
  EXPECT_EQ(ec, error::already_ended);
  EXPECT_THROW(s.end_send(r), std::system_error);
}

TEST_F(AsyncResultTest, EndWithAnotherOperationsResultIsReported) {
  loopback_server server{server_mode::echo};
  tcp_socket a{loop};
  tcp_socket b{loop};
  connect(a, "127.0.0.1", server.port());
  connect(b, "127.0.0.1", server.port());
  async_result sent = a.begin_send(buffer("abc"), {});
  std::error_code ec;
  (void)a.end_receive(sent, ec);  // a send's result given to end_receive
  EXPECT_EQ(ec, error::wrong_operation);
  (void)b.end_send(sent, ec);  // socket a's result given to socket b
  EXPECT_EQ(ec, error::wrong_operation);
  EXPECT_EQ(a.end_send(sent), 3U);  // the rightful end still works
}

TEST_F(AsyncResultTest, EmptyResultIsReported) {
  tcp_socket s{loop};
  async_result empty;
  std::error_code ec;
  (void)s.end_receive(empty, ec);
  EXPECT_EQ(ec, error::invalid_result);
  empty.wait(ec);
  EXPECT_EQ(ec, error::invalid_result);
  EXPECT_FALSE(empty.valid());
}

TEST_F(AsyncResultTest, CopiesShareOneOperationAndOneOutcome) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  async_result r = s.begin_send(buffer("abc"), {});
  async_result copy = r;
  async_result moved = std::move(copy);
  EXPECT_FALSE(copy.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty
  moved.wait();
  EXPECT_EQ(moved.bytes_transferred(), 3U);
  EXPECT_EQ(s.end_send(r), 3U);
  std::error_code ec;
  (void)s.end_send(moved, ec);
  EXPECT_EQ(ec, error::already_ended);
}

TEST_F(AsyncResultTest, CallbackAndWaiterRaceToEndExactlyOnce) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  for (int i = 0; i < 200; ++i) {
    std::atomic<int> claimed{0};
    std::promise<void> callback_done;
    async_result r = s.begin_send(buffer("abc"), [&](async_result& result) {
      std::error_code ec;
      (void)s.end_send(result, ec);
      if (!ec) {
        ++claimed;
      }
      callback_done.set_value();
    });
    std::error_code ec;
    (void)s.end_send(r, ec);
    if (!ec) {
      ++claimed;
    }
    callback_done.get_future().wait();
    ASSERT_EQ(claimed.load(), 1) << "round " << i;
    char sink[3];
    std::size_t got = 0;
    while (got < 3) {
      got += receive(s, buffer(sink + got, 3 - got), 10s);
    }
  }
}

}  // namespace
}  // namespace ferry::engine
