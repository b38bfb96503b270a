#include "ferry/engine/io/blocking.hpp"

#include <gtest/gtest.h>

#include <future>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "loop_fixture.hpp"
#include "loopback_server.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::loopback_server;
using test::server_mode;

class BlockingTest : public test::loop_fixture {};

TEST_F(BlockingTest, RefusesToBlockOnALoopThreadAndStartsNothing) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  std::promise<std::error_code> result;
  loop.post([&] {
    std::error_code ec;
    char byte = 0;
    (void)receive(s, buffer(&byte, 1), 1s, ec);
    result.set_value(ec);
  });
  auto f = result.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), error::would_deadlock);
  // Nothing was started: a receive from outside the loop is not `operation_in_progress`.
  EXPECT_EQ(send(s, buffer("k")), 1U);
  char byte = 0;
  EXPECT_EQ(receive(s, buffer(&byte, 1), 10s), 1U);
}

TEST_F(BlockingTest, ThrowingFormsCarryTheErrorCode) {
  tcp_socket s{loop};
  try {
    char byte = 0;
    (void)receive(s, buffer(&byte, 1), 1s);
    FAIL() << "expected an exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::not_connected);
  }
}

}  // namespace
}  // namespace ferry::engine
