// The stream contract, driven through the failure-injection double: a small request/response
// routine written on begin/end is failed at each of its operations in turn (N upward from 0)
// until it succeeds, so every error path runs, and each failure is reported exactly once.
#include "ferry/engine/io/stream.hpp"

#include <gtest/gtest.h>

#include <future>

#include "failing_stream.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "loop_fixture.hpp"
#include "loopback_server.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::failing_stream;
using test::loopback_server;
using test::server_mode;

// Sends `request`, shuts down the sending side, and reads until the peer closes.
class request_response {
 public:
  request_response(stream& s, std::string request, std::function<void(std::error_code)> done)
      : stream_(s), request_(std::move(request)), done_(std::move(done)) {}

  void start() {
    stream_.begin_send(
        buffer(request_), [this](async_result& r) { on_send(r); }, this);
  }
  [[nodiscard]] const std::string& response() const { return response_; }

 private:
  void on_send(async_result& r) {
    std::error_code ec;
    (void)stream_.end_send(r, ec);
    if (ec) {
      return done_(ec);
    }
    stream_.begin_shutdown([this](async_result& s) { on_shutdown(s); });
  }
  void on_shutdown(async_result& r) {
    std::error_code ec;
    stream_.end_shutdown(r, ec);
    if (ec) {
      return done_(ec);
    }
    receive_next();
  }
  void receive_next() {
    stream_.begin_receive(buffer(chunk_, sizeof chunk_),
                          [this](async_result& r) { on_receive(r); });
  }
  void on_receive(async_result& r) {
    std::error_code ec;
    const std::size_t n = stream_.end_receive(r, ec);
    if (ec) {
      return done_(ec);
    }
    if (n == 0) {
      return done_({});
    }
    response_.append(chunk_, n);
    receive_next();
  }

  stream& stream_;
  std::string request_;
  std::function<void(std::error_code)> done_;
  std::string response_;
  char chunk_[7];  // small, so that the response takes several receives
};

class StreamTest : public test::loop_fixture {};

TEST_F(StreamTest, EveryFailingOperationIsReportedOnceUntilSuccess) {
  loopback_server server{server_mode::echo};
  const std::string request(100, 'r');
  const std::error_code injected = error::connection_reset;
  bool succeeded = false;
  std::size_t fail_at = 0;
  for (; fail_at < 200 && !succeeded; ++fail_at) {
    auto inner = std::make_unique<tcp_socket>(loop);
    connect(*inner, "127.0.0.1", server.port());
    failing_stream s{std::move(inner), fail_at, injected};
    std::atomic<int> reports{0};
    std::promise<std::error_code> result;
    request_response routine{s, request, [&](std::error_code ec) {
                               if (++reports == 1) {
                                 result.set_value(ec);
                               }
                             }};
    loop.post([&] { routine.start(); });
    auto f = result.get_future();
    ASSERT_TRUE(test::await(f));
    const std::error_code ec = f.get();
    std::this_thread::sleep_for(1ms);
    ASSERT_EQ(reports.load(), 1) << "fail_at " << fail_at;
    if (s.failed()) {
      EXPECT_EQ(ec, injected) << "fail_at " << fail_at;
    } else {
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(routine.response(), request);
      succeeded = true;
    }
    s.close();
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GT(fail_at, 10U);  // send, shutdown, and many receives of 7 bytes were each failed
}

}  // namespace
}  // namespace ferry::engine
