#include "ferry/engine/transfer/transfer.hpp"

#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
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

}  // namespace
}  // namespace ferry::engine
