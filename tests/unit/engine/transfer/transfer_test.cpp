#include "ferry/engine/transfer/transfer.hpp"

#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_source.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "ferry/engine/transfer/upload.hpp"
#include "loop_fixture.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

using test::scripted_server;

class TransferRequestTest : public test::loop_fixture {
 protected:
  transfer_request download_request() const {
    transfer_request r;
    r.url = http::url::parse("http://127.0.0.1:9/file");
    r.output = scratch / "file.bin";
    return r;
  }
  transfer_request upload_request() const {
    transfer_request r;
    r.kind = transfer_kind::upload;
    r.url = http::url::parse("http://127.0.0.1:9/put");
    r.body = scratch / "body.bin";
    return r;
  }
  transfer_environment environment() {
    transfer_environment e;
    e.via = &c;
    return e;
  }

  test::temp_directory scratch{"transfer"};
  tls_context tls;
  client c{loop, tls};
};

TEST_F(TransferRequestTest, WellFormedRequestsValidate) {
  EXPECT_FALSE(validate(download_request(), environment()));
  EXPECT_FALSE(validate(upload_request(), environment()));
  transfer_request post = upload_request();
  post.method = "POST";
  EXPECT_FALSE(validate(post, environment()));
}

TEST_F(TransferRequestTest, EveryMalformedRequestIsInvalidArgument) {
  const std::error_code invalid = error::invalid_argument;
  EXPECT_EQ(validate(download_request(), {}), invalid);  // no client
  auto no_url = download_request();
  no_url.url = {};
  EXPECT_EQ(validate(no_url, environment()), invalid);
  auto no_output = download_request();
  no_output.output.clear();
  EXPECT_EQ(validate(no_output, environment()), invalid);
  auto no_segments = download_request();
  no_segments.segments = 0;
  EXPECT_EQ(validate(no_segments, environment()), invalid);
  auto download_with_body = download_request();
  download_with_body.body = "x";
  EXPECT_EQ(validate(download_with_body, environment()), invalid);
  auto delete_method = download_request();
  delete_method.method = "DELETE";
  EXPECT_EQ(validate(delete_method, environment()), invalid);

  auto no_body = upload_request();
  no_body.body.clear();
  EXPECT_EQ(validate(no_body, environment()), invalid);
  transfer_environment both = environment();
  both.body = descriptor_body(0);
  EXPECT_EQ(validate(upload_request(), both), invalid);  // a path and a descriptor
  auto get_upload = upload_request();
  get_upload.method = "GET";
  EXPECT_EQ(validate(get_upload, environment()), invalid);
  auto zero_chunk = upload_request();
  zero_chunk.chunk_size = 0;
  EXPECT_EQ(validate(zero_chunk, environment()), invalid);
  auto huge_chunk = upload_request();
  huge_chunk.chunk_size = (16U << 20U) + 1;
  EXPECT_EQ(validate(huge_chunk, environment()), invalid);
}

TEST_F(TransferRequestTest, OnlyTransfersWithoutLiveBodiesCanBeStored) {
  EXPECT_TRUE(is_storable(download_request(), environment()));
  EXPECT_TRUE(is_storable(upload_request(), environment()));
  auto from_stdin = upload_request();
  from_stdin.body.clear();
  transfer_environment with_descriptor = environment();
  with_descriptor.body = descriptor_body(0);
  EXPECT_FALSE(is_storable(from_stdin, with_descriptor));
}

TEST_F(TransferRequestTest, ARefusedRequestCompletesBeginWithInvalidArgument) {
  auto wrong_kind = download_request();
  wrong_kind.kind = transfer_kind::upload;  // an upload request given to a download
  download d{wrong_kind, environment()};
  std::error_code ec;
  (void)d.run(ec);
  EXPECT_EQ(ec, error::invalid_argument);
  auto no_body = upload_request();
  no_body.body.clear();
  upload u{no_body, environment()};
  (void)u.run(ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_THROW((download{download_request(), transfer_environment{}}), std::system_error);
}

TEST_F(TransferRequestTest, ADownloadRunsFromItsRequestAndEnvironment) {
  const std::string body = test::version_bytes(50'000, 1);
  scripted_server server{{scripted_server::ok(body)}};
  transfer_request r = download_request();
  r.url = http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/file");
  r.durable = durability::process;
  r.fields = {{"X-Ask", "1"}};
  std::vector<transfer_event_kind> kinds;
  transfer_environment env = environment();
  env.on_event = [&](const transfer_event& e) { kinds.push_back(e.kind); };
  download d{r, env};
  const download_result result = d.run();
  EXPECT_EQ(result.length, body.size());
  EXPECT_EQ(test::read_file(r.output), body);
  EXPECT_EQ(test::request_field(server.requests().at(0), "x-ask"), "1");
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.front(), transfer_event_kind::started);
  EXPECT_EQ(kinds.back(), transfer_event_kind::completed);
  EXPECT_EQ(d.state(), transfer_state::completed);
}

TEST_F(TransferRequestTest, AnUploadRunsFromItsRequestAndEnvironment) {
  const std::string body = test::version_bytes(70'000, 2);
  test::write_file(scratch / "body.bin", body);
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")}};
  transfer_request r = upload_request();
  r.url = http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/put");
  r.method = "POST";
  r.chunked = true;
  upload u{r, environment()};
  const upload_result result = u.run();
  EXPECT_EQ(result.head.status, 201U);
  const std::string sent = server.requests().at(0);
  EXPECT_EQ(sent.substr(0, 5), "POST ");
  EXPECT_EQ(test::request_field(sent, "transfer-encoding"), "chunked");
  EXPECT_EQ(test::decode_chunked(sent.substr(sent.find("\r\n\r\n") + 4)), body);
  EXPECT_EQ(u.state(), transfer_state::completed);
}

// ---- rate limits ----------------------------------------------------------------------------

// Transfers limited by `rate_limit` (and `rate_parent`), on a manual clock that the test steps:
// what a limit may have let through by clock time t is at most its burst plus rate * t, whatever
// the machine's speed, so every bound below is exact and none is a timing. A test that the limit
// is not applied fails them: the transfers then finish on a clock that never moved.
class TransferRateTest : public TransferRequestTest {
 protected:
  static constexpr std::uint64_t rate = 64 * 1024;   // bytes a second
  static constexpr std::uint64_t burst = 16 * 1024;  // the default: max(16 KiB, rate / 8)
  static constexpr std::size_t length = 256 * 1024;
  // Each step pays for one burst, so that a wait for the bucket always ends within a step.
  static constexpr clock_source::duration step = std::chrono::milliseconds{250};

  transfer_request limited_download(const scripted_server& s, const std::string& name) const {
    transfer_request r = download_request();
    r.url = http::url::parse("http://127.0.0.1:" + std::to_string(s.port()) + "/file");
    r.output = scratch / name;
    r.durable = durability::process;
    r.rate_limit = rate;
    return r;
  }
  transfer_environment clocked() {
    transfer_environment e = environment();
    e.time_source = &time;
    return e;
  }

  // What a bucket of `rate` and `burst` can have granted once the clock moved `elapsed`.
  static std::uint64_t allowance(std::uint64_t per_second, std::uint64_t bucket,
                                 clock_source::duration elapsed) {
    return bucket + per_second * static_cast<std::uint64_t>(elapsed.count()) / 1'000'000'000U;
  }

  // Nothing moves past the first burst while the clock stands still: `pending` stays pending
  // for a while of real time, and `moved` (bytes so far) is within `most`.
  static void expect_held(const std::vector<async_result>& pending,
                          const std::function<std::uint64_t()>& moved, std::uint64_t most) {
    EXPECT_FALSE(pending.front().wait_for(std::chrono::milliseconds{200}));
    for (const async_result& p : pending) {
      EXPECT_FALSE(p.wait_for(std::chrono::nanoseconds{0}));
    }
    EXPECT_LE(moved(), most);
  }

  // Steps the clock until every operation of `pending` completed, checking before each step that
  // `moved` is within `limit(elapsed)`. Returns the clock time it took (a bounded number of
  // steps: 100 s of clock time).
  clock_source::duration run_in_steps(
      const std::vector<async_result>& pending, const std::function<std::uint64_t()>& moved,
      const std::function<std::uint64_t(clock_source::duration)>& limit) {
    clock_source::duration elapsed{};
    for (int i = 0; i < 400; ++i) {
      const bool done = std::all_of(pending.begin(), pending.end(), [](const async_result& p) {
        return p.wait_for(std::chrono::milliseconds{10});
      });
      if (done) {
        return elapsed;
      }
      EXPECT_LE(moved(), limit(elapsed)) << "at " << elapsed.count() << " ns";
      time.advance(step);
      elapsed += step;
    }
    ADD_FAILURE() << "the transfers did not finish in 100 s of clock time";
    return elapsed;
  }

  manual_clock time;
  const std::string body = test::version_bytes(length, 4);
};

TEST_F(TransferRateTest, ADownloadKeepsToItsRateLimit) {
  scripted_server server{test::resource_responder(
      {{body, "\"r\"", ""}}, [](std::size_t) { return test::resource_fault{}; })};
  download d{limited_download(server, "limited.bin"), clocked()};
  const std::vector<async_result> pending{d.begin_download({})};
  const auto moved = [&] { return d.progress().transferred; };
  expect_held(pending, moved, burst);
  const auto took = run_in_steps(
      pending, moved, [](clock_source::duration t) { return allowance(rate, burst, t); });
  async_result r = pending.front();
  std::error_code ec;
  (void)d.end_download(r, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(test::read_file(scratch / "limited.bin"), body);
  // Every byte came through the bucket: it cannot have been sooner.
  EXPECT_GE(allowance(rate, burst, took), length);
}

TEST_F(TransferRateTest, TheSegmentsOfADownloadShareItsLimit) {
  scripted_server server{test::resource_responder(
      {{body, "\"s\"", ""}}, [](std::size_t) { return test::resource_fault{}; })};
  transfer_request r = limited_download(server, "segmented.bin");
  r.segments = 2;
  download_options tuning;
  tuning.min_segment_size = length / 4;  // two segments of half the file each
  download d{r, clocked(), tuning};
  const std::vector<async_result> pending{d.begin_download({})};
  const auto moved = [&] { return d.progress().transferred; };
  // One bucket: the second segment gets nothing of its own while the clock stands still.
  expect_held(pending, moved, burst);
  const auto took = run_in_steps(
      pending, moved, [](clock_source::duration t) { return allowance(rate, burst, t); });
  async_result done = pending.front();
  std::error_code ec;
  (void)d.end_download(done, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(test::read_file(r.output), body);
  const auto requests = server.requests();
  ASSERT_GE(requests.size(), 2U);  // both segments ran...
  EXPECT_EQ(test::request_field(requests[1], "range"), "bytes=" + std::to_string(length / 2) + "-");
  EXPECT_GE(server.connections(), 2U);
  EXPECT_GE(allowance(rate, burst, took), length);  // ...at the one rate together
}

TEST_F(TransferRateTest, AParentLimitsTwoTransfersTogether) {
  scripted_server server{test::resource_responder(
      {{body, "\"p\"", ""}}, [](std::size_t) { return test::resource_fault{}; })};
  throttle parent{rate, 0, nullptr, time};  // burst: the default, 16 KiB
  transfer_environment e = clocked();
  e.rate_parent = &parent;
  // Each has a rate of its own four times the parent's: the parent is what holds them.
  transfer_request first = limited_download(server, "first.bin");
  first.rate_limit = 4 * rate;
  transfer_request second = limited_download(server, "second.bin");
  second.rate_limit = 4 * rate;
  download a{first, e};
  download b{second, e};
  const std::vector<async_result> pending{a.begin_download({}), b.begin_download({})};
  const auto moved = [&] { return a.progress().transferred + b.progress().transferred; };
  expect_held(pending, moved, burst);
  const auto took = run_in_steps(
      pending, moved, [](clock_source::duration t) { return allowance(rate, burst, t); });
  for (auto [d, r] : {std::pair{&a, pending[0]}, std::pair{&b, pending[1]}}) {
    std::error_code ec;
    (void)d->end_download(r, ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  EXPECT_EQ(test::read_file(first.output), body);
  EXPECT_EQ(test::read_file(second.output), body);
  EXPECT_GE(allowance(rate, burst, took), 2 * length);  // both bodies went through the parent
}

TEST_F(TransferRateTest, AnUploadKeepsToItsRateLimit) {
  test::write_file(scratch / "body.bin", body);
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")}};
  transfer_request r = upload_request();
  r.url = http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/put");
  r.rate_limit = rate;
  r.chunk_size = 4096;  // the connection reads one piece ahead of what the bucket paid for
  upload u{r, clocked()};
  const std::vector<async_result> pending{u.begin_upload({})};
  const auto moved = [&] { return u.sent(); };
  expect_held(pending, moved, burst + r.chunk_size);
  const auto took = run_in_steps(pending, moved, [&](clock_source::duration t) {
    return allowance(rate, burst, t) + r.chunk_size;
  });
  async_result done = pending.front();
  const upload_result result = u.end_upload(done);
  EXPECT_EQ(result.head.status, 201U);
  const std::string sent = server.requests().at(0);
  EXPECT_EQ(sent.substr(sent.find("\r\n\r\n") + 4), body);
  EXPECT_GE(allowance(rate, burst, took), length);
}

}  // namespace
}  // namespace ferry::engine
