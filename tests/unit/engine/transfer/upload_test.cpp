#include "ferry/engine/transfer/upload.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "failing_stream.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/http/error.hpp"
#include "loop_fixture.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

using test::scripted_answer;
using test::scripted_server;

class UploadTest : public test::loop_fixture {
 protected:
  UploadTest() { test::write_file(path, content); }

  static http::url url_of(const scripted_server& s) {
    return http::url::parse("http://127.0.0.1:" + std::to_string(s.port()) + "/put/here");
  }
  static std::string body_of(const std::string& request) {
    return request.substr(request.find("\r\n\r\n") + 4);
  }

  test::temp_directory scratch{"upload"};
  std::filesystem::path path = scratch / "body";
  std::string content = test::version_bytes(300'000, 3);
  tls_context tls;
};

scripted_answer created() {
  return scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
}

TEST_F(UploadTest, FileGoesWithContentLengthByteIdentical) {
  scripted_answer answer = created();
  answer.interim = "HTTP/1.1 100 Continue\r\n\r\n";
  scripted_server server{{answer}};
  client c{loop, tls};
  upload_options o;
  o.expect_continue_from = 1;
  upload u{c, url_of(server), file_body(path), o};
  const upload_result r = u.run();
  EXPECT_EQ(r.head.status, 201U);
  EXPECT_EQ(r.response, "ok");
  EXPECT_EQ(r.sent, content.size());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(test::request_field(requests[0], "content-length"), std::to_string(content.size()));
  EXPECT_EQ(test::request_field(requests[0], "expect"), "100-continue");
  EXPECT_EQ(body_of(requests[0]), content);
}

TEST_F(UploadTest, ChunkedUploadUsesTheChunkSize) {
  scripted_server server{{created()}};
  client_options co;
  co.connection.send_chunk_size = 256 * 1024;
  client c{loop, tls, co};
  upload_options o;
  o.chunked = true;
  o.chunk_size = 10'000;
  o.method = "POST";
  upload u{c, url_of(server), file_body(path), o};
  const upload_result r = u.run();
  EXPECT_EQ(r.head.status, 201U);
  const std::string request = server.requests().at(0);
  EXPECT_EQ(request.rfind("POST /put/here HTTP/1.1\r\n", 0), 0U);
  EXPECT_EQ(test::request_field(request, "transfer-encoding"), "chunked");
  const std::string body = body_of(request);
  EXPECT_EQ(test::decode_chunked(body), content);
  EXPECT_EQ(body.rfind("2710\r\n", 0), 0U);  // 10,000 bytes a chunk
}

// The server answers 413 to the head: the body is never sent.
TEST_F(UploadTest, EarlyFinalResponseStopsTheBody) {
  scripted_answer refuse =
      scripted_server::raw("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n");
  refuse.read_body = false;
  refuse.keep_open = false;
  scripted_server server{{refuse}};
  client c{loop, tls};
  upload_options o;
  o.expect_continue_from = 1;
  upload u{c, url_of(server), file_body(path), o};
  const upload_result r = u.run();
  EXPECT_EQ(r.head.status, 413U);
  EXPECT_EQ(r.sent, 0U);
  EXPECT_EQ(body_of(server.requests().at(0)), "");
}

// No 100 Continue ever comes: after the short wait the body goes anyway.
TEST_F(UploadTest, SilentServerGetsTheBodyAfterTheContinueWait) {
  scripted_server server{{created()}};
  client_options co;
  co.connection.continue_wait = std::chrono::milliseconds{100};
  client c{loop, tls, co};
  upload_options o;
  o.expect_continue_from = 1;
  upload u{c, url_of(server), file_body(path), o};
  const auto start = std::chrono::steady_clock::now();
  const upload_result r = u.run();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.head.status, 201U);
  EXPECT_EQ(test::request_field(server.requests().at(0), "expect"), "100-continue");
  EXPECT_EQ(body_of(server.requests().at(0)), content);
  // A floor, not a speed target: the body waited for the 100 that never came.
  EXPECT_GE(took, co.connection.continue_wait);
}

TEST_F(UploadTest, StreamOfUnknownLengthGoesChunked) {
  scripted_server server{{created()}};
  client c{loop, tls};
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::thread writer{[&] {
    std::size_t at = 0;
    while (at < content.size()) {
      const ssize_t n =
          ::write(fds[1], content.data() + at, std::min<std::size_t>(7000, content.size() - at));
      if (n <= 0) {
        break;
      }
      at += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
  }};
  upload u{c, url_of(server), descriptor_body(fds[0])};
  const upload_result r = u.run();
  writer.join();
  ::close(fds[0]);
  EXPECT_EQ(r.head.status, 201U);
  const std::string request = server.requests().at(0);
  EXPECT_EQ(test::request_field(request, "transfer-encoding"), "chunked");
  EXPECT_EQ(test::decode_chunked(body_of(request)), content);
}

TEST_F(UploadTest, ServiceUnavailableIsRetriedWithTheWholeBody) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"), created()}};
  client c{loop, tls};
  upload_options o;
  o.retry.initial_delay = std::chrono::milliseconds{1};
  upload u{c, url_of(server), file_body(path), o};
  const upload_result r = u.run();
  EXPECT_EQ(r.head.status, 201U);
  EXPECT_EQ(r.retries, 1U);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(body_of(requests[1]), content);
}

TEST_F(UploadTest, MissingFileIsALocalError) {
  scripted_server server{std::vector<scripted_answer>{}};
  client c{loop, tls};
  upload u{c, url_of(server), file_body(path.string() + ".absent")};
  std::error_code ec;
  (void)u.run(ec);
  EXPECT_EQ(ec, error::file_not_found);
}

TEST_F(UploadTest, AStaleKeepAliveConnectionIsRetriedWithTheBody) {
  // The first exchange leaves a pooled connection that the server closes behind our back; the
  // upload meets it, and the close before any byte of an answer is a stale connection (retried
  // with the body re-opened), not an empty reply from a broken server.
  scripted_answer then_close = scripted_server::ok("warm");
  then_close.close_after = then_close.bytes.size();
  scripted_server server{{then_close, created()}};
  client c{loop, tls};
  memory_sink sink;
  http::request warm;
  warm.url = url_of(server);
  (void)c.exchange(warm, sink);
  ASSERT_EQ(c.pool().idle(), 1U);
  const std::string small = "a small body that goes with the head";
  std::ofstream{path, std::ios::binary | std::ios::trunc} << small;
  upload_options o;
  o.retry.initial_delay = std::chrono::milliseconds{1};
  upload u{c, url_of(server), file_body(path), o};
  std::error_code ec;
  const upload_result r = u.run(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 201U);
  EXPECT_EQ(r.retries, 1U);
  ASSERT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(body_of(server.requests()[1]), small);
}

TEST_F(UploadTest, MalformedAnswerAfterTheBodyFailsAtOnce) {
  // The whole body is read, then the answer's framing is broken: sending 300 kB twice more to
  // this server would only repeat it.
  scripted_server server{[](std::string_view, std::size_t i) -> std::optional<scripted_answer> {
    if (i >= 5) {
      return std::nullopt;
    }
    auto a = scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: -1\r\n\r\n");
    a.keep_open = false;
    return a;
  }};
  client c{loop, tls};
  upload_options o;
  o.retry.malformed_delay = std::chrono::milliseconds{1};
  upload u{c, url_of(server), file_body(path), o};
  std::error_code ec;
  const upload_result r = u.run(ec);
  EXPECT_EQ(ec, http::error::bad_content_length);
  EXPECT_EQ(ec, condition::malformed);
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(r.retries, 0U);
  EXPECT_EQ(r.sent, content.size());
}

TEST_F(UploadTest, MalformedAnswerBeforeTheBodyIsTriedTwiceMoreOnNewConnections) {
  // An answer to Expect: 100-continue that is no HTTP at all: nothing of the body was sent,
  // so two more attempts (each on a new connection), then the violation.
  auto smtp = scripted_server::raw("220 smtp.example ESMTP ready\r\n");
  smtp.read_body = false;  // answers the head at once (a script, not a responder, can)
  smtp.keep_open = false;
  scripted_server server{std::vector<scripted_answer>(5, smtp)};
  client c{loop, tls};
  upload_options o;
  o.expect_continue_from = 1;
  o.retry.malformed_delay = std::chrono::milliseconds{1};
  std::vector<transfer_event> retries;
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::retry) {
      retries.push_back(e);
    }
  };
  upload u{c, url_of(server), file_body(path), o};
  std::error_code ec;
  const upload_result r = u.run(ec);
  EXPECT_EQ(ec, http::error::bad_status_line);
  EXPECT_EQ(server.requests().size(), 3U);
  EXPECT_EQ(server.connections(), 3U);
  EXPECT_EQ(r.sent, 0U);
  ASSERT_EQ(retries.size(), 2U);
  EXPECT_EQ(retries[1].reason, http::error::bad_status_line);
  for (const auto& request : server.requests()) {
    EXPECT_EQ(test::request_field(request, "expect"), "100-continue");
    EXPECT_EQ(body_of(request), "");  // the body never went out
  }
}

TEST_F(UploadTest, EveryStreamFailureIsSurvivedBySendingTheWholeBodyAgain) {
  // The first connection fails at its n-th operation (in the head, in the body, in the answer),
  // for n = 0, 1, ... until one run meets no failure; the retry's connection does not fail.
  // Every run must end with the whole body at the server: never a crash, a hang, or a body cut
  // at the failure taken for the upload.
  bool clean_run = false;
  std::size_t n = 0;
  int recovered = 0;
  for (; n < 200 && !clean_run; ++n) {
    scripted_server server{{created(), created(), created()}};
    std::atomic<int> injections{0};
    std::atomic<int> streams{0};
    client_options co;
    co.wrap_stream = [&](std::unique_ptr<stream> s) -> std::unique_ptr<stream> {
      const std::size_t fail_at = streams++ == 0 ? n : SIZE_MAX;
      return std::make_unique<test::failing_stream>(std::move(s), fail_at, error::connection_reset,
                                                    &injections);
    };
    client c{loop, tls, co};
    upload_options o;
    o.chunk_size = 16 * 1024;  // many operations: the sweep reaches the middle of the body
    o.retry.initial_delay = std::chrono::milliseconds{1};
    o.retry.attempts = 1;
    upload u{c, url_of(server), file_body(path), o};
    std::error_code ec;
    const upload_result r = u.run(ec);
    ASSERT_FALSE(ec) << "n = " << n << ": " << ec.message();
    EXPECT_EQ(r.head.status, 201U) << "n = " << n;
    ASSERT_FALSE(server.requests().empty()) << "n = " << n;
    EXPECT_EQ(body_of(server.requests().back()), content) << "n = " << n;
    const bool injected = injections.load() > 0;
    EXPECT_EQ(r.retries, injected ? 1U : 0U) << "n = " << n;
    recovered += injected ? 1 : 0;
    clean_run = !injected;
  }
  EXPECT_TRUE(clean_run);
  EXPECT_GT(n, 5U);  // the sweep went through the head and into the body
  EXPECT_EQ(recovered, static_cast<int>(n) - 1);
}

TEST_F(UploadTest, CancelStopsAnUploadWaitingForItsAnswer) {
  scripted_answer silent = created();
  silent.stall = std::chrono::seconds{30};  // reads the body, then says nothing for a while
  scripted_server server{{silent}};
  client c{loop, tls};
  upload u{c, url_of(server), file_body(path)};
  async_result pending = u.begin_upload({});
  for (int i = 0; i < 1000 && server.requests().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  ASSERT_EQ(server.requests().size(), 1U);
  u.cancel();
  ASSERT_TRUE(pending.wait_for(std::chrono::seconds{10}));
  std::error_code ec;
  (void)u.end_upload(pending, ec);
  EXPECT_EQ(ec, error::operation_aborted);
}

TEST_F(UploadTest, AStreamIsNeverSentTwice) {
  // A 503 to a body read from a pipe: the body cannot be read again, so no retry; the 503's
  // failure is the outcome, after one request.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string piped = "bytes from a pipe";
  ASSERT_EQ(::write(fds[1], piped.data(), piped.size()), static_cast<ssize_t>(piped.size()));
  ::close(fds[1]);
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"), created()}};
  client c{loop, tls};
  upload_options o;
  o.retry.initial_delay = std::chrono::milliseconds{1};
  upload u{c, url_of(server), descriptor_body(fds[0]), o};
  std::error_code ec;
  (void)u.run(ec);
  ::close(fds[0]);
  EXPECT_EQ(ec, error::http_error_status);
  EXPECT_EQ(server.requests().size(), 1U);
}

// Records an upload's events; signals the first of a kind.
struct upload_log {
  std::mutex mutex;
  std::vector<transfer_event> events;
  std::promise<void> paused;
  bool paused_seen = false;

  std::function<void(const transfer_event&)> listener() {
    return [this](const transfer_event& e) {
      std::lock_guard lock{mutex};
      events.push_back(e);
      if (e.kind == transfer_event_kind::paused && !paused_seen) {
        paused_seen = true;
        paused.set_value();
      }
    };
  }
  std::vector<transfer_event_kind> kinds() {
    std::lock_guard lock{mutex};
    std::vector<transfer_event_kind> out;
    for (const auto& e : events) {
      if (e.kind != transfer_event_kind::progress) {
        out.push_back(e.kind);
      }
    }
    return out;
  }
};

// Waits (bounded) until the server has read `n` requests.
bool wait_for_requests(const scripted_server& server, std::size_t n) {
  for (int i = 0; i < 2000 && server.requests().size() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return server.requests().size() >= n;
}

TEST_F(UploadTest, PauseStopsTheRequestAndResumeSendsTheWholeBodyAgain) {
  scripted_answer silent = created();
  silent.stall = std::chrono::seconds{30};  // reads the body, then says nothing for a while
  scripted_server server{{silent, created()}};
  client c{loop, tls};
  upload_log log;
  upload_options o;
  o.on_event = log.listener();
  upload u{c, url_of(server), file_body(path), o};
  EXPECT_EQ(u.state(), transfer_state::idle);
  async_result pending = u.begin_upload({});
  ASSERT_TRUE(wait_for_requests(server, 1));
  EXPECT_EQ(u.state(), transfer_state::running);
  u.pause();
  auto paused = log.paused.get_future();
  ASSERT_TRUE(test::await(paused));
  EXPECT_EQ(u.state(), transfer_state::paused);
  EXPECT_FALSE(pending.is_completed());  // a paused upload stays pending
  u.resume();
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  std::error_code ec;
  const upload_result r = u.end_upload(pending, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 201U);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(body_of(requests[1]), content);  // from byte 0 again
  EXPECT_EQ(u.state(), transfer_state::completed);
  EXPECT_EQ(log.kinds(), (std::vector<transfer_event_kind>{transfer_event_kind::started,
                                                           transfer_event_kind::paused,
                                                           transfer_event_kind::completed}));
  EXPECT_EQ(u.progress().total, content.size());
  EXPECT_EQ(u.progress().done, content.size());
  EXPECT_EQ(u.progress().transferred, 2 * content.size());  // both attempts' bytes
}

TEST_F(UploadTest, CancelWhilePausedCompletesWithOperationAborted) {
  scripted_answer silent = created();
  silent.stall = std::chrono::seconds{30};
  scripted_server server{{silent}};
  client c{loop, tls};
  upload_log log;
  upload_options o;
  o.on_event = log.listener();
  upload u{c, url_of(server), file_body(path), o};
  async_result pending = u.begin_upload({});
  ASSERT_TRUE(wait_for_requests(server, 1));
  u.pause();
  auto paused = log.paused.get_future();
  ASSERT_TRUE(test::await(paused));
  u.cancel();
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  std::error_code ec;
  (void)u.end_upload(pending, ec);
  EXPECT_EQ(ec, error::operation_aborted);
  EXPECT_EQ(u.state(), transfer_state::cancelled);
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(UploadTest, ResumingAStreamBodyFailsWithBodyNotReplayable) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string piped = "bytes from a pipe";
  ASSERT_EQ(::write(fds[1], piped.data(), piped.size()), static_cast<ssize_t>(piped.size()));
  ::close(fds[1]);
  scripted_answer silent = created();
  silent.stall = std::chrono::seconds{30};
  scripted_server server{{silent, created()}};
  client c{loop, tls};
  upload_log log;
  upload_options o;
  o.on_event = log.listener();
  upload u{c, url_of(server), descriptor_body(fds[0]), o};
  async_result pending = u.begin_upload({});
  ASSERT_TRUE(wait_for_requests(server, 1));
  u.pause();
  auto paused = log.paused.get_future();
  ASSERT_TRUE(test::await(paused));
  u.resume();
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  std::error_code ec;
  (void)u.end_upload(pending, ec);
  ::close(fds[0]);
  EXPECT_EQ(ec, error::body_not_replayable);
  EXPECT_EQ(ec, condition::local_io);
  EXPECT_EQ(server.requests().size(), 1U);  // never sent twice
  EXPECT_EQ(u.state(), transfer_state::failed);
  std::lock_guard lock{log.mutex};
  ASSERT_FALSE(log.events.empty());
  EXPECT_EQ(log.events.back().kind, transfer_event_kind::failed);
  EXPECT_EQ(log.events.back().reason, error::body_not_replayable);
}

TEST_F(UploadTest, RetryAfterIsHonouredOnTheUploadsClock) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n"),
       created()}};
  client c{loop, tls};
  manual_clock time;
  std::promise<clock_source::duration> retry_delay;
  upload_options o;
  o.time_source = &time;
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::retry) {
      EXPECT_EQ(e.status, 503U);
      EXPECT_EQ(e.reason, error::http_error_status);
      retry_delay.set_value(e.delay);
    }
  };
  upload u{c, url_of(server), file_body(path), o};
  async_result pending = u.begin_upload({});
  auto delay = retry_delay.get_future();
  ASSERT_TRUE(test::await(delay));
  EXPECT_EQ(delay.get(), std::chrono::seconds{7});
  EXPECT_FALSE(pending.wait_for(std::chrono::milliseconds{100}));  // it really waits
  EXPECT_EQ(u.state(), transfer_state::backing_off);
  time.advance(std::chrono::seconds{7});
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  std::error_code ec;
  const upload_result r = u.end_upload(pending, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 201U);
  EXPECT_EQ(r.retries, 1U);
}

TEST_F(UploadTest, FailedAttemptsInARowWithoutProgressEndIt) {
  // Every attempt sends the whole body and meets a 503: the first got further than nothing
  // (progress), the next two did not. attempts = 2: three requests, then the 503 is the
  // result (an upload's status is the caller's to judge, as a 413's is).
  scripted_server server{[](std::string_view, std::size_t i) -> std::optional<scripted_answer> {
    if (i >= 10) {
      return std::nullopt;
    }
    return scripted_server::raw("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
  }};
  client c{loop, tls};
  upload_log log;
  upload_options o;
  o.retry.attempts = 2;
  o.retry.initial_delay = std::chrono::milliseconds{1};
  o.on_event = log.listener();
  upload u{c, url_of(server), file_body(path), o};
  std::error_code ec;
  const upload_result r = u.run(ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 503U);
  EXPECT_EQ(server.requests().size(), 3U);
  EXPECT_EQ(r.retries, 2U);
  std::lock_guard lock{log.mutex};
  ASSERT_FALSE(log.events.empty());
  EXPECT_EQ(log.events.back().kind, transfer_event_kind::completed);
  EXPECT_EQ(log.events.back().status, 503U);
}

}  // namespace
}  // namespace ferry::engine
