#include "ferry/engine/io/throttled_stream.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "loop_fixture.hpp"
#include "loopback_server.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;

// A throttled connection to an echo server, paced on a manual clock: 1,000 bytes a second in
// bursts of at most 100, so that the test decides when each burst may go.
class ThrottledStreamTest : public test::loop_fixture {
 protected:
  ThrottledStreamTest() : limit{1000, 100, nullptr, time} {
    auto raw = std::make_unique<tcp_socket>(loop);
    connect(*raw, "127.0.0.1", echo.port(), 10s);
    paced = std::make_unique<throttled_stream>(loop, std::move(raw), limit);
  }

  std::size_t send_all(std::string_view bytes) {
    std::error_code ec;
    async_result r = paced->begin_send(buffer(bytes), {});
    if (!r.wait_for(test::test_deadline)) {
      ADD_FAILURE() << "send did not complete";
      return 0;
    }
    const std::size_t n = paced->end_send(r, ec);
    EXPECT_FALSE(ec) << ec.message();
    return n;
  }

  test::loopback_server echo{test::server_mode::echo};
  manual_clock time;
  throttle limit;
  std::unique_ptr<throttled_stream> paced;
};

TEST_F(ThrottledStreamTest, AReceiveTakesAtMostWhatTheBucketGrants) {
  // The echo sends back what a raw send would; the first burst is granted at once.
  ASSERT_EQ(send_all(std::string(100, 'a')), 100U);  // the whole burst
  std::string into(1000, '\0');
  time.advance(1s);  // refills: the receive may take a burst
  std::error_code ec;
  async_result r = paced->begin_receive(buffer(into), {});
  ASSERT_TRUE(r.wait_for(test::test_deadline));
  const std::size_t n = paced->end_receive(r, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_GT(n, 0U);
  EXPECT_LE(n, 100U);  // never more than the bucket holds, whatever the buffer's size
}

TEST_F(ThrottledStreamTest, ASendWaitsForTheBucketOnItsClock) {
  ASSERT_EQ(send_all(std::string(100, 'b')), 100U);  // empties the bucket
  std::string more(50, 'c');
  async_result r = paced->begin_send(buffer(more), {});
  EXPECT_FALSE(r.wait_for(200ms));  // nothing moves while the clock stands still
  time.advance(100ms);              // 100 ms at 1,000 B/s pays for 100 bytes
  ASSERT_TRUE(r.wait_for(test::test_deadline));
  std::error_code ec;
  EXPECT_EQ(paced->end_send(r, ec), 50U);
  EXPECT_FALSE(ec) << ec.message();
}

TEST_F(ThrottledStreamTest, CancelEndsAWaitWithOperationAborted) {
  ASSERT_EQ(send_all(std::string(100, 'd')), 100U);
  std::string more(50, 'e');
  async_result r = paced->begin_send(buffer(more), {});
  EXPECT_FALSE(r.wait_for(50ms));
  paced->cancel();
  ASSERT_TRUE(r.wait_for(test::test_deadline));
  std::error_code ec;
  (void)paced->end_send(r, ec);
  EXPECT_EQ(ec, error::operation_aborted);
}

}  // namespace
}  // namespace ferry::engine
