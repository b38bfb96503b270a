// Downloads against a real nginx: resume with nginx's own ETag, and a segmented download of a
// large file, byte-identical.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/io/throttled_stream.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "ferry/engine/transfer/resume_record.hpp"
#include "loop_fixture.hpp"
#include "nginx_server.hpp"
#include "resource_responder.hpp"
#include "temp_directory.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

// Writes `size` deterministic bytes to `path` a piece at a time; returns their SHA-256.
std::string write_big_file(const fs::path& path, std::size_t size) {
  std::ofstream out{path, std::ios::binary};
  digest sum{digest_algorithm::sha256};
  const std::string piece = test::version_bytes(1U << 20U, 9);
  for (std::size_t at = 0; at < size; at += piece.size()) {
    // Each MiB differs from the last (its first 8 bytes carry its index).
    std::string block = piece;
    const std::uint64_t index = at;
    std::memcpy(block.data(), &index, sizeof index);
    block.resize(std::min(piece.size(), size - at));
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    sum.update(block);
  }
  return sum.finish_hex();
}

std::string sha256_of(const fs::path& path) {
  digest sum{digest_algorithm::sha256};
  std::ifstream in{path, std::ios::binary};
  std::vector<char> buffer(1U << 20U);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    sum.update({buffer.data(), static_cast<std::size_t>(in.gcount())});
  }
  return sum.finish_hex();
}

class DownloadNginxTest : public test::loop_fixture {
 protected:
  DownloadNginxTest() { output = server.directory() / "out.bin"; }
  test::nginx_server server;
  tls_context tls;
  fs::path output;
};

// Pause midway, then a new download object (as a new process would) resumes with nginx's real
// strong ETag in If-Range: nginx answers 206, so only the missing bytes come.
TEST_F(DownloadNginxTest, ResumesWithNginxsRealETag) {
  const std::string body = test::version_bytes(test::scaled(32U << 20U), 1);
  server.put_file("file.bin", body);
  const auto url = http::url::parse(server.base_url() + "/file.bin");
  // About a second for the whole file, so that the pause lands midway in every build.
  throttle limit{body.size()};
  client_options slow;
  slow.wrap_stream = [&](std::unique_ptr<stream> s) -> std::unique_ptr<stream> {
    return std::make_unique<throttled_stream>(loop, std::move(s), limit);
  };
  client c{loop, tls, slow};
  std::uint64_t claimed = 0;
  {
    std::promise<void> paused;
    download_options o;
    o.output = output;
    o.checkpoint_interval = std::chrono::milliseconds{0};
    download* self = nullptr;
    std::once_flag once;
    o.on_event = [&](const transfer_event& e) {
      if (e.kind == transfer_event_kind::progress && e.progress.done > body.size() / 4) {
        std::call_once(once, [&] { self->pause(); });
      }
      if (e.kind == transfer_event_kind::paused) {
        paused.set_value();
      }
    };
    download d{c, url, o};
    self = &d;
    async_result pending = d.begin_download({});
    auto f = paused.get_future();
    ASSERT_TRUE(test::await(f));
    std::error_code ec;
    const auto record = load_resume_record(file_system::local(), record_path(output), ec);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->etag.front(), '"');  // nginx's strong ETag
    claimed = record->ranges.size();
    ASSERT_GT(claimed, 0U);
    ASSERT_LT(claimed, body.size());
    d.cancel();  // the same as the process going away... but cancel removes the files:
    (void)pending.wait_for(test::test_deadline);
  }
  // ...so for the resume, lay the partial file and record down again from what was claimed.
  std::ofstream{partial_path(output), std::ios::binary} << body.substr(0, claimed);
  resume_record record;
  record.url = url.text();
  record.length = body.size();
  record.ranges.add(0, claimed);
  {
    // nginx's validator for the file, as a first response reported it.
    download_options probe;
    probe.output = server.directory() / "probe.bin";
    download d{c, url, probe};
    (void)d.run();
  }
  record.etag = [&] {  // the second line of what a finished download keeps: url, ETag, ...
    std::error_code ec;
    const std::string kept =
        file_system::local()
            .get_attribute(server.directory() / "probe.bin", "user.ferry.validators", ec)
            .value_or("");
    const auto first = kept.find('\n');
    return kept.substr(first + 1, kept.find('\n', first + 1) - first - 1);
  }();
  ASSERT_FALSE(record.etag.empty());
  save_resume_record(file_system::local(), record_path(output), record, false);
  download_options o;
  o.output = output;
  download d{c, url, o};
  const download_result r = d.run();
  EXPECT_EQ(r.resumed, claimed);
  EXPECT_EQ(r.received, body.size() - claimed);  // nginx honoured If-Range with its ETag
  EXPECT_EQ(r.restarts, 0U);
  EXPECT_EQ(test::read_file(output), body);
}

TEST_F(DownloadNginxTest, SegmentedDownloadOfAGibibyteIsByteIdentical) {
  const std::size_t size = test::scaled(std::size_t{1} << 30U);
  const std::string expected = write_big_file(server.root() / "huge.bin", size);
  client c{loop, tls};
  download_options o;
  o.output = output;
  o.segments = 4;
  o.durable = durability::process;
  o.checksum = expected_digest::parse("sha256:" + expected);
  download d{c, http::url::parse(server.base_url() + "/huge.bin"), o};
  const download_result r = d.run();
  EXPECT_EQ(r.length, size);
  EXPECT_EQ(sha256_of(output), expected);
  EXPECT_FALSE(fs::exists(partial_path(output)));
}

}  // namespace
}  // namespace ferry::engine
