#include "ferry/engine/transfer/connection.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <future>

#include "failing_stream.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/body_source.hpp"
#include "ferry/http/error.hpp"
#include "loop_fixture.hpp"
#include "scripted_server.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::scripted_answer;
using test::scripted_server;

class ConnectionTest : public test::loop_fixture {
 protected:
  std::unique_ptr<tcp_socket> connected(const scripted_server& server) {
    auto s = std::make_unique<tcp_socket>(loop);
    connect(*s, "127.0.0.1", server.port(), 10s);
    return s;
  }

  static http::request request_for(const scripted_server& server, std::string_view method = "GET",
                                   std::string_view path = "/file") {
    http::request r;
    r.method = std::string{method};
    r.url =
        http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + std::string{path});
    return r;
  }

  // Runs one request to completion; returns the head, the error, and what the sink got.
  struct result {
    http::response_head head;
    std::error_code ec;
  };
  static result run(connection& c, const http::request& r, body_sink& sink,
                    body_source* source = nullptr) {
    async_result op = c.begin_request(r, http::target_form::origin, sink, {}, {}, source);
    result out;
    if (!op.wait_for(test::test_deadline)) {
      ADD_FAILURE() << "request did not complete";
      c.close();
      op.wait();
    }
    out.head = c.end_request(op, out.ec);
    return out;
  }
};

TEST_F(ConnectionTest, GetsAContentLengthBodyAndStaysReusable) {
  scripted_server server{{scripted_server::ok("hello")}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(sink.data(), "hello");
  EXPECT_TRUE(c.reusable());
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].rfind("GET /file HTTP/1.1\r\nHost: 127.0.0.1:", 0), 0U);
}

TEST_F(ConnectionTest, KeepAliveCarriesSeveralRequestsOnOneConnection) {
  scripted_server server{
      {scripted_server::ok("one"), scripted_server::ok("two"), scripted_server::ok("three")}};
  connection c{connected(server)};
  for (const char* expected : {"one", "two", "three"}) {
    memory_sink sink;
    const result r = run(c, request_for(server), sink);
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(sink.data(), expected);
    EXPECT_TRUE(c.reusable());
  }
  EXPECT_EQ(server.connections(), 1U);
  EXPECT_EQ(server.requests().size(), 3U);
}

TEST_F(ConnectionTest, AnErrorStatusIsAResponseNotAnError) {
  scripted_answer not_found =
      scripted_server::raw("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
  scripted_server server{{not_found}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_FALSE(r.ec);
  EXPECT_EQ(r.head.status, 404U);
  EXPECT_TRUE(c.reusable());
}

TEST_F(ConnectionTest, ChunkedResponseIsDecoded) {
  scripted_answer chunked = scripted_server::raw(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n");
  chunked.trickle = 5;
  chunked.trickle_delay = 1ms;
  scripted_server server{{chunked}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(sink.data(), "abcdefg");
  EXPECT_TRUE(c.reusable());
}

TEST_F(ConnectionTest, CloseInTheMiddleOfTheBodyIsAPartialMessage) {
  scripted_answer cut = scripted_server::ok(std::string(1000, 'x'));
  cut.close_after = 500;
  scripted_server server{{cut}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_EQ(r.ec, http::error::partial_message);
  EXPECT_FALSE(c.reusable());
}

TEST_F(ConnectionTest, ResetInTheMiddleOfTheBodyIsAConnectionReset) {
  scripted_answer cut = scripted_server::ok(std::string(100'000, 'x'));
  cut.close_after = 50'000;
  cut.reset = true;
  scripted_server server{{cut}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_TRUE(r.ec == error::connection_reset || r.ec == http::error::partial_message)
      << r.ec.message();
  EXPECT_FALSE(c.reusable());
}

TEST_F(ConnectionTest, StalledResponseTimesOut) {
  scripted_answer stall = scripted_server::ok("late");
  stall.stall = 10s;
  scripted_server server{{stall}};
  connection_options options;
  options.first_byte = 200ms;
  connection c{connected(server), options};
  memory_sink sink;
  const auto start = std::chrono::steady_clock::now();
  const result r = run(c, request_for(server), sink);
  EXPECT_EQ(r.ec, error::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(c.reusable());
}

TEST_F(ConnectionTest, TooSlowABodyTripsTheLowSpeedLimit) {
  scripted_answer slow = scripted_server::ok(std::string(400, 's'));
  slow.trickle = 10;
  slow.trickle_delay = 100ms;  // ~100 bytes/s
  scripted_server server{{slow}};
  connection_options options;
  options.low_speed_limit = 1000;
  options.low_speed_time = 1s;
  connection c{connected(server), options};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_EQ(r.ec, error::timed_out);
}

TEST_F(ConnectionTest, GarbageIsAProtocolErrorAndTheConnectionIsDropped) {
  scripted_server server{{scripted_server::raw("SSH-2.0-OpenSSH_9.2\r\n\r\n")}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server), sink);
  EXPECT_EQ(r.ec, http::error::bad_status_line);
  EXPECT_EQ(r.ec, http::condition::protocol);
  EXPECT_FALSE(c.reusable());
}

TEST_F(ConnectionTest, SinkFailureStopsTheRequest) {
  scripted_server server{{scripted_server::ok("too long for the sink")}};
  connection c{connected(server)};
  memory_sink small{4};
  const result r = run(c, request_for(server), small);
  EXPECT_EQ(r.ec, error::no_space);
  EXPECT_FALSE(c.reusable());
}

TEST_F(ConnectionTest, HeadResponseHasNoBody) {
  scripted_server server{{scripted_server::raw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")}};
  connection c{connected(server)};
  memory_sink sink;
  const result r = run(c, request_for(server, "HEAD"), sink);
  EXPECT_FALSE(r.ec);
  EXPECT_EQ(r.head.content_length, 1000U);
  EXPECT_TRUE(sink.data().empty());
  EXPECT_TRUE(c.reusable());
}

TEST_F(ConnectionTest, UploadsAContentLengthBody) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")}};
  connection c{connected(server)};
  const std::string body(200'000, 'u');
  memory_source source{body};
  http::request r = request_for(server, "PUT", "/up");
  r.framing = http::body_framing::content_length;
  r.content_length = body.size();
  memory_sink sink;
  const result out = run(c, r, sink, &source);
  EXPECT_FALSE(out.ec) << out.ec.message();
  EXPECT_EQ(out.head.status, 201U);
  const std::string got = server.requests().at(0);
  EXPECT_NE(got.find("Content-Length: 200000\r\n"), std::string::npos);
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), body);
}

TEST_F(ConnectionTest, UploadsAChunkedBodyFromAGenerator) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")}};
  connection_options options;
  options.send_chunk_size = 1000;
  connection c{connected(server), options};
  std::size_t produced = 0;
  generator_source source{[&](mutable_buffer into, std::error_code&) {
    const std::size_t n = std::min<std::size_t>(into.size, 5000 - produced);
    std::memset(into.data, 'g', n);
    produced += n;
    return n;
  }};
  http::request r = request_for(server, "POST", "/up");
  r.framing = http::body_framing::chunked;
  memory_sink sink;
  const result out = run(c, r, sink, &source);
  EXPECT_FALSE(out.ec) << out.ec.message();
  const std::string got = server.requests().at(0);
  EXPECT_NE(got.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(test::decode_chunked(got.substr(got.find("\r\n\r\n") + 4)), std::string(5000, 'g'));
  EXPECT_TRUE(c.reusable());
}

TEST_F(ConnectionTest, SourceShorterThanDeclaredIsRefused) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")}};
  connection c{connected(server)};
  memory_source source{"short"};
  http::request r = request_for(server, "PUT", "/up");
  r.framing = http::body_framing::content_length;
  r.content_length = 100;
  memory_sink sink;
  EXPECT_EQ(run(c, r, sink, &source).ec, error::invalid_argument);
  EXPECT_FALSE(c.reusable());
}

TEST_F(ConnectionTest, ExpectContinueSendsTheBodyAfter100) {
  scripted_answer go = scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
  go.interim = "HTTP/1.1 100 Continue\r\n\r\n";
  scripted_server server{{go}};
  connection_options options;
  options.continue_wait = 10s;  // the 100 must end the wait, not the timeout
  connection c{connected(server), options};
  memory_source source{"payload"};
  http::request r = request_for(server, "PUT", "/up");
  r.framing = http::body_framing::content_length;
  r.content_length = 7;
  r.expect_continue = true;
  memory_sink sink;
  const auto start = std::chrono::steady_clock::now();
  const result out = run(c, r, sink, &source);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(out.ec) << out.ec.message();
  EXPECT_EQ(out.head.status, 201U);
  const std::string got = server.requests().at(0);
  EXPECT_NE(got.find("Expect: 100-continue\r\n"), std::string::npos);
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "payload");
  EXPECT_TRUE(c.reusable());
}

TEST_F(ConnectionTest, ExpectContinueRefusedEarlyNeverSendsTheBody) {
  scripted_answer refuse =
      scripted_server::raw("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n");
  refuse.read_body = false;
  scripted_server server{{refuse}};
  connection c{connected(server)};
  memory_source source{std::string(1 << 20, 'b')};
  http::request r = request_for(server, "PUT", "/up");
  r.framing = http::body_framing::content_length;
  r.content_length = 1 << 20;
  r.expect_continue = true;
  memory_sink sink;
  const result out = run(c, r, sink, &source);
  EXPECT_FALSE(out.ec) << out.ec.message();
  EXPECT_EQ(out.head.status, 413U);
  EXPECT_EQ(server.requests().at(0).find("bbbb"), std::string::npos);
  EXPECT_FALSE(c.reusable());  // the server may still expect the body: start afresh
}

TEST_F(ConnectionTest, ExpectContinueWithoutAnswerSendsTheBodyAfterTheWait) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")}};
  connection_options options;
  options.continue_wait = 100ms;
  connection c{connected(server), options};
  memory_source source{"late body"};
  http::request r = request_for(server, "PUT", "/up");
  r.framing = http::body_framing::content_length;
  r.content_length = 9;
  r.expect_continue = true;
  memory_sink sink;
  const result out = run(c, r, sink, &source);
  EXPECT_FALSE(out.ec) << out.ec.message();
  EXPECT_EQ(out.head.status, 201U);
  const std::string got = server.requests().at(0);
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "late body");
}

TEST_F(ConnectionTest, SecondRequestWhileOnePendsIsRefused) {
  scripted_answer slow = scripted_server::ok("x");
  slow.stall = 300ms;
  scripted_server server{{slow}};
  connection c{connected(server)};
  memory_sink a;
  memory_sink b;
  async_result first = c.begin_request(request_for(server), http::target_form::origin, a, {});
  async_result second = c.begin_request(request_for(server), http::target_form::origin, b, {});
  std::error_code ec;
  (void)c.end_request(second, ec);
  EXPECT_EQ(ec, error::operation_in_progress);
  (void)c.end_request(first, ec);
  EXPECT_FALSE(ec) << ec.message();
}

// Every operation the connection makes on its stream fails in turn (N = 0, 1, ...): each
// failure ends the request with that error, exactly once, until N passes them all.
TEST_F(ConnectionTest, EveryStreamFailureEndsTheRequestCleanly) {
  const std::string body(3000, 'z');
  bool succeeded = false;
  std::size_t n = 0;
  for (; n < 100 && !succeeded; ++n) {
    scripted_answer a = scripted_server::ok(body);
    a.trickle = 700;
    a.trickle_delay = 1ms;
    scripted_server server{{a}};
    auto inner = std::make_unique<tcp_socket>(loop);
    connect(*inner, "127.0.0.1", server.port(), 10s);
    auto failing =
        std::make_unique<test::failing_stream>(std::move(inner), n, error::connection_reset);
    test::failing_stream* probe = failing.get();
    connection c{std::move(failing)};
    memory_sink sink;
    std::atomic<int> calls{0};
    std::promise<std::error_code> done;
    c.begin_request(request_for(server), http::target_form::origin, sink, [&](async_result& r) {
      std::error_code ec;
      (void)c.end_request(r, ec);
      if (++calls == 1) {
        done.set_value(ec);
      }
    });
    auto f = done.get_future();
    ASSERT_TRUE(test::await(f));
    const std::error_code ec = f.get();
    std::this_thread::sleep_for(2ms);
    ASSERT_EQ(calls.load(), 1);
    if (probe->failed()) {
      EXPECT_EQ(ec, error::connection_reset) << "n = " << n;
      EXPECT_FALSE(c.reusable());
    } else {
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(sink.data(), body);
      succeeded = true;
    }
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GE(n, 3U);  // the send and at least two receives were each failed
}

TEST_F(ConnectionTest, AFailedRequestNeverReturnsThePreviousAnswersHead) {
  scripted_answer then_close = scripted_server::ok("first");
  then_close.close_after = then_close.bytes.size();  // answers, then closes
  scripted_server server{{then_close}};
  connection c{connected(server)};
  memory_sink sink;
  const result first = run(c, request_for(server), sink);
  ASSERT_FALSE(first.ec) << first.ec.message();
  EXPECT_EQ(first.head.status, 200U);
  const result second = run(c, request_for(server), sink);
  EXPECT_TRUE(second.ec);
  EXPECT_EQ(second.head.status, 0U);  // no head came for this one
}

}  // namespace
}  // namespace ferry::engine
