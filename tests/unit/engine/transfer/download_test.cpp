#include "ferry/engine/transfer/download.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "failing_file_system.hpp"
#include "failing_stream.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/io/throttled_stream.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/engine/transfer/resume_record.hpp"
#include "ferry/http/error.hpp"
#include "loop_fixture.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

using test::resource_fault;
using test::resource_responder;
using test::resource_version;
using test::scripted_server;

using test::read_file;

// Records every event a download reports.
struct event_log {
  std::mutex mutex;
  std::vector<transfer_event> events;

  std::function<void(const transfer_event&)> listener() {
    return [this](const transfer_event& e) {
      std::lock_guard lock{mutex};
      events.push_back(e);
    };
  }
  std::vector<transfer_event> of(transfer_event_kind kind) {
    std::lock_guard lock{mutex};  // not re-entrant: callers must not hold it
    std::vector<transfer_event> out;
    for (const auto& e : events) {
      if (e.kind == kind) {
        out.push_back(e);
      }
    }
    return out;
  }
};

class DownloadTest : public test::loop_fixture {
 protected:
  static http::url url_of(const scripted_server& s, const std::string& path = "/file") {
    return http::url::parse("http://127.0.0.1:" + std::to_string(s.port()) + path);
  }

  // Quick retries, so that fault tests do not sleep.
  download_options options() {
    download_options o;
    o.output = output;
    o.retry.initial_delay = std::chrono::milliseconds{1};
    o.retry.max_delay = std::chrono::milliseconds{5};
    o.retry.malformed_delay = std::chrono::milliseconds{1};
    o.durable = durability::process;
    o.seed = 42;
    return o;
  }

  // Four segments of at least 256 KiB: small files that still split.
  download_options segmented() {
    download_options o = options();
    o.segments = 4;
    o.min_segment_size = 256 * 1024;
    return o;
  }

  download_result run(client& c, const scripted_server& s, download_options o,
                      std::error_code& ec) {
    download d{c, url_of(s), std::move(o)};
    return d.run(ec);
  }

  // A download through a plain client with every event recorded in `log`.
  download_result run_logged(const scripted_server& s, event_log& log, std::error_code& ec,
                             download_options o) {
    client c{loop, tls};
    o.on_event = log.listener();
    return run(c, s, std::move(o), ec);
  }
  download_result run_logged(const scripted_server& s, event_log& log, std::error_code& ec) {
    return run_logged(s, log, ec, options());
  }

  [[nodiscard]] bool leftovers() const {
    return std::filesystem::exists(partial_path(output)) ||
           std::filesystem::exists(record_path(output));
  }

  test::temp_directory scratch{"download"};
  const std::filesystem::path& dir = scratch.path();
  std::filesystem::path output = dir / "file.bin";
  tls_context tls;
};

TEST_F(DownloadTest, FreshDownloadIsByteIdenticalAndRenamedIntoPlace) {
  const std::string body = test::version_bytes(300'000, 0);
  scripted_server server{
      resource_responder({{body, "\"v0\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  client c{loop, tls};
  std::error_code ec;
  const download_result r = run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.length, body.size());
  EXPECT_EQ(r.received, body.size());
  EXPECT_FALSE(leftovers());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_FALSE(test::request_field(requests[0], "range"));
  EXPECT_EQ(test::request_field(requests[0], "accept-encoding"), "identity");
}

// The heart of it: the server closes at a seeded random offset again and again; every retry
// asks for exactly the missing bytes, and the result is always byte-identical. Even seeds
// resume within one download object (in-process retries); odd seeds give up after each cut
// and a new download object resumes from the record on disk, as a new process would.
TEST_F(DownloadTest, ClosesAtSeededOffsetsResumeToAByteIdenticalFile) {
  const std::size_t length = 200'000;
  const std::string body = test::version_bytes(length, 0);
  for (unsigned seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random{seed};
    std::vector<std::size_t> cuts;  // body bytes each answer delivers before closing
    std::size_t left = length;
    while (left > 0 && cuts.size() < 6) {
      const std::size_t cut = std::uniform_int_distribution<std::size_t>{0, left}(random);
      cuts.push_back(cut);
      left -= cut;
    }
    scripted_server server{resource_responder({{body, "\"etag-0\"", ""}}, [cuts](std::size_t i) {
      resource_fault f;
      if (i < cuts.size()) {
        f.cut_body_at = cuts[i];
        f.reset = false;
      }
      return f;
    })};
    std::filesystem::remove(output);
    client c{loop, tls};
    std::error_code ec;
    download_result r;
    if (seed % 2 == 0) {
      r = run(c, server, options(), ec);
    } else {
      download_options o = options();
      o.retry.attempts = 0;
      for (std::size_t attempt = 0; attempt <= cuts.size(); ++attempt) {
        r = run(c, server, o, ec);
        if (!ec) {
          break;
        }
        ASSERT_TRUE(ec == http::error::partial_message || ec == condition::network) << ec.message();
        ASSERT_FALSE(std::filesystem::exists(output));
      }
    }
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(read_file(output), body);
    EXPECT_FALSE(leftovers());
    // Every request but the first asks for exactly what is missing, with the validator.
    const auto requests = server.requests();
    std::size_t have = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (have == 0) {
        EXPECT_FALSE(test::request_field(requests[i], "if-range")) << requests[i];
      } else {
        EXPECT_EQ(test::request_field(requests[i], "range"), "bytes=" + std::to_string(have) + "-");
        EXPECT_EQ(test::request_field(requests[i], "if-range"), "\"etag-0\"");
      }
      have += i < cuts.size() ? cuts[i] : length - have;
    }
    if (seed % 2 == 0) {
      EXPECT_EQ(r.received, length);  // nothing was fetched twice
    }
  }
}

TEST_F(DownloadTest, ServerThatIgnoresRangeRestartsCleanlyFromZero) {
  const std::string body = test::version_bytes(100'000, 0);
  scripted_server server{resource_responder({{body, "\"a\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.cut_body_at = 30'000;
    } else {
      f.ignore_range = true;
    }
    return f;
  })};
  event_log log;
  std::error_code ec;
  const download_result r = run_logged(server, log, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.restarts, 1U);
  const auto restarts = log.of(transfer_event_kind::restarted);
  ASSERT_EQ(restarts.size(), 1U);
  EXPECT_EQ(restarts[0].reason, error::range_ignored);
}

TEST_F(DownloadTest, ChangedETagRestartsWithTheReasonAndNeverSplices) {
  const std::string v0 = test::version_bytes(120'000, 0);
  const std::string v1 = test::version_bytes(90'000, 1);
  scripted_server server{
      resource_responder({{v0, "\"zero\"", ""}, {v1, "\"one\"", ""}}, [](std::size_t i) {
        resource_fault f;
        f.version = i == 0 ? 0 : 1;
        if (i == 0) {
          f.cut_body_at = 50'000;
        }
        return f;
      })};
  event_log log;
  std::error_code ec;
  (void)run_logged(server, log, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), v1);
  const auto restarts = log.of(transfer_event_kind::restarted);
  ASSERT_EQ(restarts.size(), 1U);
  EXPECT_EQ(restarts[0].reason, error::validator_changed);
}

// A server that ignores If-Range and drops the ETag from its 206: the bytes cannot be shown to
// be the same version as those on disk, so the download starts over instead of splicing.
TEST_F(DownloadTest, PartialContentWithoutTheValidatorOnDiskIsNeverSpliced) {
  const std::string v0 = test::version_bytes(60'000, 0);
  const std::string v1 = test::version_bytes(60'000, 1);  // same length, other bytes
  scripted_server server{resource_responder({{v0, "\"a\"", ""}, {v1, "", ""}}, [](std::size_t i) {
    resource_fault f;
    f.version = i == 0 ? 0 : 1;
    f.ignore_if_range = true;
    if (i == 0) {
      f.cut_body_at = 20'000;
    }
    return f;
  })};
  client c{loop, tls};
  std::error_code ec;
  const download_result r = run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), v1);  // all of one version
  EXPECT_EQ(r.restarts, 1U);
}

TEST_F(DownloadTest, ResourceThatKeepsChangingFailsAfterTheRestartLimit) {
  std::vector<resource_version> versions;
  for (unsigned v = 0; v < 10; ++v) {
    versions.push_back({test::version_bytes(50'000, v), "\"v" + std::to_string(v) + "\"", ""});
  }
  scripted_server server{resource_responder(versions, [](std::size_t i) {
    resource_fault f;
    f.version = i % 10;
    f.cut_body_at = 10'000;
    return f;
  })};
  client c{loop, tls};
  download_options o = options();
  o.retry.max_restarts = 3;
  std::error_code ec;
  (void)run(c, server, o, ec);
  EXPECT_EQ(ec, error::validator_changed);
  EXPECT_FALSE(std::filesystem::exists(output));
}

// A record from a chunked download (length unknown) that holds every byte: the server's 416
// with the same length confirms it.
TEST_F(DownloadTest, RangeNotSatisfiableWithTheLengthOnDiskMeansComplete) {
  const std::string body = test::version_bytes(64'000, 0);
  std::ofstream{partial_path(output), std::ios::binary} << body;
  scripted_server server{
      resource_responder({{body, "\"e\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  resume_record record;
  record.url = url_of(server).text();
  record.etag = "\"e\"";
  record.ranges.add(0, body.size());
  save_resume_record(file_system::local(), record_path(output), record, false);
  client c{loop, tls};
  std::error_code ec;
  const download_result r = run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(r.already_complete);
  EXPECT_EQ(r.received, 0U);
  EXPECT_EQ(read_file(output), body);
  EXPECT_FALSE(leftovers());
}

TEST_F(DownloadTest, RangeNotSatisfiableWithAnotherLengthRestarts) {
  const std::string old_body = test::version_bytes(64'000, 0);
  const std::string body = test::version_bytes(40'000, 1);
  std::ofstream{partial_path(output), std::ios::binary} << old_body;
  scripted_server server{
      resource_responder({{body, "\"e\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  resume_record record;
  record.url = url_of(server).text();
  record.etag = "\"e\"";
  record.ranges.add(0, old_body.size());
  save_resume_record(file_system::local(), record_path(output), record, false);
  event_log log;
  std::error_code ec;
  const download_result r = run_logged(server, log, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.restarts, 1U);
  ASSERT_EQ(log.of(transfer_event_kind::restarted).size(), 1U);
  EXPECT_EQ(log.of(transfer_event_kind::restarted)[0].reason, error::range_not_satisfiable);
}

TEST_F(DownloadTest, ContentRangeThatDoesNotMatchTheRequestIsRetried) {
  const std::string body = test::version_bytes(80'000, 0);
  scripted_server server{resource_responder({{body, "\"a\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.cut_body_at = 20'000;
    } else if (i == 1) {
      f.content_range = "bytes 19000-79999/80000";  // not what was asked
    }
    return f;
  })};
  event_log log;
  std::error_code ec;
  const download_result r = run_logged(server, log, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  const auto retries = log.of(transfer_event_kind::retry);
  ASSERT_EQ(retries.size(), 2U);
  EXPECT_EQ(retries[1].reason, error::bad_content_range);
  EXPECT_EQ(r.received, body.size());
}

TEST_F(DownloadTest, ServiceUnavailableWaitsForRetryAfter) {
  const std::string body = test::version_bytes(10'000, 0);
  scripted_server server{resource_responder({{body, "\"a\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.status = 503;
      f.extra_fields = "Retry-After: 7\r\n";
    }
    return f;
  })};
  client c{loop, tls};
  manual_clock time;
  std::promise<clock_source::duration> retry_delay;
  download_options o = options();
  o.time_source = &time;
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::retry) {
      EXPECT_EQ(e.status, 503U);
      EXPECT_EQ(e.reason, error::http_error_status);
      retry_delay.set_value(e.delay);
    }
  };
  download d{c, url_of(server), o};
  async_result pending = d.begin_download({});
  auto delay = retry_delay.get_future();
  ASSERT_TRUE(test::await(delay));
  EXPECT_EQ(delay.get(), std::chrono::seconds{7});
  EXPECT_FALSE(pending.wait_for(std::chrono::milliseconds{100}));  // it really waits
  EXPECT_EQ(d.state(), transfer_state::backing_off);
  time.advance(std::chrono::seconds{7});
  std::error_code ec;
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  (void)d.end_download(pending, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
}

TEST_F(DownloadTest, StalledBodyTimesOutAndResumes) {
  const std::string body = test::version_bytes(60'000, 0);
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i > 5) {
          return std::nullopt;
        }
        auto a = test::answer_resource(request, {{body, "\"s\"", ""}}, {});
        if (i == 0) {
          a.trickle = 10'000;  // 10 kB, then silence longer than the stall limit
          a.trickle_delay = std::chrono::milliseconds{3000};
        }
        return a;
      }};
  client_options co;
  co.connection.stall = std::chrono::milliseconds{200};
  client c{loop, tls, co};
  event_log log;
  download_options o = options();
  o.on_event = log.listener();
  std::error_code ec;
  (void)run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  const auto retries = log.of(transfer_event_kind::retry);
  ASSERT_GE(retries.size(), 1U);
  EXPECT_EQ(retries[0].reason, error::timed_out);
  // The second request asks for what the first did not bring: past the 10 kB (less the head)
  // that came before the silence.
  const auto requests = server.requests();
  ASSERT_GE(requests.size(), 2U);
  const auto range = test::request_field(requests[1], "range");
  ASSERT_TRUE(range);
  const std::uint64_t from = std::stoull(range->substr(6));
  EXPECT_GT(from, 9'000U);
  EXPECT_LT(from, 10'000U);
  EXPECT_EQ(*range, "bytes=" + std::to_string(from) + "-");
}

TEST_F(DownloadTest, ErrorStatusWritesNothingAndLeavesNothing) {
  scripted_server server{resource_responder({{"x", "", ""}}, [](std::size_t) {
    resource_fault f;
    f.status = 404;
    return f;
  })};
  client c{loop, tls};
  std::error_code ec;
  const download_result r = run(c, server, options(), ec);
  EXPECT_EQ(ec, error::http_error_status);
  EXPECT_EQ(ec, condition::http_status);
  EXPECT_EQ(r.status, 404U);
  EXPECT_FALSE(std::filesystem::exists(output));
  EXPECT_FALSE(leftovers());
  EXPECT_EQ(server.requests().size(), 1U);  // a 404 is not retried
}

// The client keeps a 401 from the download's sink while it asks for credentials; a question
// answered with nothing still ends the download with the 401 (it once asked again forever).
TEST_F(DownloadTest, AChallengeAnsweredWithNothingFailsWithTheStatus) {
  scripted_server server{resource_responder({{"x", "", ""}}, [](std::size_t) {
    resource_fault f;
    f.status = 401;
    f.extra_fields = "WWW-Authenticate: Basic realm=\"files\"\r\n";
    return f;
  })};
  int asked = 0;
  client_options co;
  co.on_challenge = [&](const challenge_request&, challenge_answer answer) {
    ++asked;
    answer(std::nullopt);
  };
  client c{loop, tls, co};
  std::error_code ec;
  const download_result r = run(c, server, options(), ec);
  EXPECT_EQ(ec, error::http_error_status);
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_FALSE(std::filesystem::exists(output));
  EXPECT_FALSE(leftovers());
}

TEST_F(DownloadTest, ExistingOutputIsNeverOverwrittenUnlessAsked) {
  std::ofstream{output} << "precious";
  const std::string body = test::version_bytes(1000, 0);
  scripted_server server{
      resource_responder({{body, "", ""}}, [](std::size_t) { return resource_fault{}; })};
  client c{loop, tls};
  std::error_code ec;
  (void)run(c, server, options(), ec);
  EXPECT_EQ(ec, error::output_exists);
  EXPECT_EQ(ec, condition::conflict);
  EXPECT_EQ(read_file(output), "precious");
  EXPECT_TRUE(server.requests().empty());
  download_options o = options();
  o.overwrite = true;
  (void)run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
}

TEST_F(DownloadTest, CompleteFileIsConfirmedWithItsValidatorsNotFetchedAgain) {
  const std::string v0 = test::version_bytes(40'000, 0);
  const std::string v1 = test::version_bytes(40'000, 1);
  std::atomic<std::size_t> version{0};
  scripted_server server{
      resource_responder({{v0, "\"c0\"", ""}, {v1, "\"c1\"", ""}}, [&](std::size_t) {
        resource_fault f;
        f.version = version.load();
        return f;
      })};
  client c{loop, tls};
  std::error_code ec;
  (void)run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  const download_result again = run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(again.already_complete);
  EXPECT_EQ(again.received, 0U);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(test::request_field(requests[1], "if-none-match"), "\"c0\"");
  // The server's file changed: the local one is the user's, and stays.
  version = 1;
  (void)run(c, server, options(), ec);
  EXPECT_EQ(ec, error::output_exists);
  EXPECT_EQ(read_file(output), v0);
  EXPECT_FALSE(leftovers());
}

TEST_F(DownloadTest, CorruptedOrTruncatedRecordIsIgnoredAndTheDownloadRestarts) {
  const std::string body = test::version_bytes(50'000, 0);
  scripted_server server{
      resource_responder({{body, "\"r\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  resume_record record;
  record.url = url_of(server).text();
  record.etag = "\"r\"";
  record.length = body.size();
  record.ranges.add(0, 20'000);
  const std::string good = encode(record);
  const std::vector<std::string> damaged = {
      good.substr(0, good.size() / 2),                  // truncated
      std::string(good.size(), '\0'),                   // zeroed
      "ferry-resume 2" + good.substr(good.find('\n')),  // another version
      [&] {
        std::string s = good;
        s[s.find("20000")] = '3';  // one digit changed: the checksum says no
        return s;
      }(),
      "",
  };
  client c{loop, tls};
  for (std::size_t i = 0; i < damaged.size(); ++i) {
    SCOPED_TRACE("damage " + std::to_string(i));
    std::filesystem::remove(output);
    std::ofstream{partial_path(output), std::ios::binary} << std::string(20'000, 'X');
    std::ofstream{record_path(output), std::ios::binary} << damaged[i];
    std::error_code ec;
    (void)run(c, server, options(), ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(read_file(output), body);
  }
  for (const std::string& request : server.requests()) {
    EXPECT_FALSE(test::request_field(request, "range")) << request;
  }
}

TEST_F(DownloadTest, SecondDownloadToTheSameOutputIsRefused) {
  const std::string body = test::version_bytes(200'000, 0);
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i > 3) {
          return std::nullopt;
        }
        auto a = test::answer_resource(request, {{body, "\"l\"", ""}}, {});
        a.trickle = 1000;
        a.trickle_delay = std::chrono::milliseconds{20};
        return a;
      }};
  client c{loop, tls};
  std::promise<void> started;
  std::once_flag once;
  download_options o = options();
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::progress) {
      std::call_once(once, [&] { started.set_value(); });
    }
  };
  download first{c, url_of(server), o};
  async_result pending = first.begin_download({});
  auto f = started.get_future();
  ASSERT_TRUE(test::await(f));
  std::error_code ec;
  (void)run(c, server, options(), ec);
  EXPECT_EQ(ec, error::file_locked);
  EXPECT_EQ(ec, condition::conflict);
  EXPECT_TRUE(std::filesystem::exists(partial_path(output)));  // the first one's, untouched
  first.cancel();
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  (void)first.end_download(pending, ec);
  EXPECT_EQ(ec, error::operation_aborted);
  EXPECT_FALSE(leftovers());  // cancel removes what ferry created
  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST_F(DownloadTest, PauseKeepsTheRecordAndResumeFinishes) {
  const std::string body = test::version_bytes(400'000, 0);
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i > 5) {
          return std::nullopt;
        }
        auto a = test::answer_resource(request, {{body, "\"p\"", ""}}, {});
        if (i == 0) {
          a.trickle = 16'000;
          a.trickle_delay = std::chrono::milliseconds{20};
        }
        return a;
      }};
  client c{loop, tls};
  std::promise<void> paused;
  std::atomic<int> progress_events{0};
  download_options o = options();
  o.checkpoint_interval = std::chrono::milliseconds{0};
  download* self = nullptr;
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::progress && ++progress_events == 3) {
      self->pause();  // from its own callback
    }
    if (e.kind == transfer_event_kind::paused) {
      paused.set_value();
    }
  };
  download d{c, url_of(server), o};
  self = &d;
  async_result pending = d.begin_download({});
  auto f = paused.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(d.state(), transfer_state::paused);
  EXPECT_FALSE(pending.is_completed());
  std::error_code ec;
  auto record = load_resume_record(file_system::local(), record_path(output), ec);
  ASSERT_TRUE(record);
  const std::uint64_t claimed = record->ranges.size();
  EXPECT_GT(claimed, 0U);
  EXPECT_EQ(claimed, d.progress().done);
  d.resume();
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  const download_result r = d.end_download(pending, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.received, body.size());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(test::request_field(requests[1], "range"), "bytes=" + std::to_string(claimed) + "-");
}

TEST_F(DownloadTest, SegmentsFetchDisjointRangesIntoOneFile) {
  const std::size_t length = test::scaled(16U << 20U);
  const std::string body = test::version_bytes(length, 0);
  scripted_server server{
      resource_responder({{body, "\"seg\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  client c{loop, tls};
  download_options o = segmented();
  std::error_code ec;
  const download_result r = run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  const auto requests = server.requests();
  EXPECT_GE(requests.size(), 4U);
  EXPECT_LE(r.received, body.size());
  EXPECT_GE(server.connections(), 4U);
}

TEST_F(DownloadTest, FailedSegmentResumesAloneAndOthersAreNotRefetched) {
  const std::size_t length = 4U << 20U;
  const std::string body = test::version_bytes(length, 0);
  scripted_server server{resource_responder({{body, "\"seg\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 2) {
      f.cut_body_at = 100'000;  // one segment dies early
    }
    return f;
  })};
  client c{loop, tls};
  download_options o = segmented();
  std::error_code ec;
  const download_result r = run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.retries, 1U);
  // Writes stop at each segment's end (the probe's tail past its share is never stored) and
  // the cut segment resumes where it stopped: every byte was received exactly once.
  EXPECT_EQ(r.received, length);
}

TEST_F(DownloadTest, ServerWithoutRangesFallsBackToOneConnection) {
  const std::string body = test::version_bytes(3U << 20U, 0);
  scripted_server server{resource_responder({{body, "", ""}}, [](std::size_t) {
    resource_fault f;
    f.ignore_range = true;
    return f;
  })};
  client c{loop, tls};
  download_options o = segmented();
  std::error_code ec;
  const download_result r = run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(r.restarts, 0U);
}

// Progress: the steps add up to what was received; resumed bytes count as on disk, not received.
TEST_F(DownloadTest, ProgressStepsAddUpAndResumedBytesAreOnDiskNotReceived) {
  const std::string body = test::version_bytes(2U << 20U, 0);
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i > 3) {
          return std::nullopt;
        }
        resource_fault f;
        if (i == 0) {
          f.cut_body_at = 500'000;
        }
        auto a = test::answer_resource(request, {{body, "\"g\"", ""}}, f);
        a.trickle = 64 * 1024;
        a.trickle_delay = std::chrono::milliseconds{5};
        return a;
      }};
  client c{loop, tls};
  download_options o = options();
  o.retry.attempts = 0;
  o.progress_interval = std::chrono::milliseconds{10};
  std::error_code ec;
  (void)run(c, server, o, ec);  // cut at 500,000: fails, the record stays
  ASSERT_TRUE(ec);
  event_log log;
  o.on_event = log.listener();
  const download_result r = run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.resumed, 500'000U);
  EXPECT_EQ(r.received, body.size() - 500'000U);
  const auto started = log.of(transfer_event_kind::started);
  ASSERT_EQ(started.size(), 1U);
  EXPECT_EQ(started[0].progress.done, 500'000U);
  EXPECT_EQ(started[0].progress.transferred, 0U);
  EXPECT_GE(log.of(transfer_event_kind::progress).size(), 3U);
  std::uint64_t steps = 0;
  std::lock_guard lock{log.mutex};
  for (const auto& e : log.events) {
    steps += e.progress.step;
    EXPECT_EQ(e.progress.done, e.progress.transferred + 500'000U);
    if (e.progress.total) {
      EXPECT_EQ(*e.progress.total, body.size());
    }
  }
  EXPECT_EQ(steps, r.received);
}

TEST_F(DownloadTest, ChunkedBodyOfUnknownLengthDownloadsAndResumes) {
  const std::string body = test::version_bytes(100'000, 0);
  scripted_server server{resource_responder({{body, "\"c\"", ""}}, [](std::size_t i) {
    resource_fault f;
    f.chunked = true;
    if (i == 0) {
      f.cut_body_at = 33'333;
    }
    return f;
  })};
  client c{loop, tls};
  std::error_code ec;
  (void)run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(test::request_field(server.requests().at(1), "range"), "bytes=33333-");
}

TEST_F(DownloadTest, ChecksumMismatchFailsAndLeavesTheOutputUntouched) {
  const std::string body = test::version_bytes(10'000, 0);
  scripted_server server{
      resource_responder({{body, "", ""}}, [](std::size_t) { return resource_fault{}; })};
  client c{loop, tls};
  download_options o = options();
  o.checksum = expected_digest::parse("sha256:" + std::string(64, '0'));
  std::error_code ec;
  (void)run(c, server, o, ec);
  EXPECT_EQ(ec, error::checksum_mismatch);
  EXPECT_EQ(ec, condition::verification);
  EXPECT_FALSE(std::filesystem::exists(output));
  EXPECT_FALSE(leftovers());
  digest sum{digest_algorithm::sha256};
  sum.update(body);
  o.checksum = expected_digest::parse("sha256:" + sum.finish_hex());
  (void)run(c, server, o, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
}

TEST_F(DownloadTest, StreamTargetGetsTheBodyWithNoPartialFileOrRename) {
  const std::string body = test::version_bytes(70'000, 0);
  scripted_server server{resource_responder({{body, "\"d\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.cut_body_at = 12'345;  // resumed within the process
    }
    return f;
  })};
  const std::filesystem::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader{[&] {
    std::ifstream in{fifo, std::ios::binary};
    got.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  }};
  client c{loop, tls};
  download_options o = options();
  o.output = fifo;
  std::error_code ec;
  {
    download d{c, url_of(server), o};
    (void)d.run(ec);
  }
  reader.join();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(got, body);
  EXPECT_FALSE(std::filesystem::exists(partial_path(fifo)));
  EXPECT_FALSE(std::filesystem::exists(record_path(fifo)));
  std::error_code devnull_ec;
  o.output = "/dev/null";
  download to_null{c, url_of(server), o};
  (void)to_null.run(devnull_ec);
  EXPECT_FALSE(devnull_ec) << devnull_ec.message();
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}

// Every operation of every connection fails once, in turn; retries carry every run through.
TEST_F(DownloadTest, FailingStreamAtEveryOperationStillEndsByteIdentical) {
  const std::string body = test::version_bytes(150'000, 0);
  std::size_t fail_at = 0;
  for (; fail_at < 200; ++fail_at) {
    SCOPED_TRACE("fail_at " + std::to_string(fail_at));
    std::filesystem::remove(output);
    scripted_server server{
        resource_responder({{body, "\"f\"", ""}}, [](std::size_t) { return resource_fault{}; })};
    std::atomic<int> injected{0};
    std::atomic<std::size_t> opened{0};
    client_options co;
    co.connection.buffer_size = 16 * 1024;  // many receives per body
    co.wrap_stream = [&](std::unique_ptr<stream> s) -> std::unique_ptr<stream> {
      if (opened++ > 0) {
        return s;  // only the first connection fails
      }
      return std::make_unique<test::failing_stream>(std::move(s), fail_at, error::connection_reset,
                                                    &injected);
    };
    client c{loop, tls, co};
    std::error_code ec;
    (void)run(c, server, options(), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(read_file(output), body);
    if (injected == 0) {
      break;  // the whole download took fewer operations: every one has failed once
    }
  }
  EXPECT_GT(fail_at, 5U);
  EXPECT_LT(fail_at, 200U);
}

// The disk fails at every operation in turn: each run ends in a clear local error (or
// succeeds), never a wrong file at the output path; a later run with a good disk completes.
TEST_F(DownloadTest, FailingFileLayerAtEveryOperationNeverLeavesAWrongOutput) {
  const std::string body = test::version_bytes(300'000, 0);
  scripted_server server{
      resource_responder({{body, "\"d\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  client_options co;
  co.connection.buffer_size = 32 * 1024;
  client c{loop, tls, co};
  std::size_t fail_at = 0;
  std::size_t failures = 0;
  for (; fail_at < 500; ++fail_at) {
    SCOPED_TRACE("fail_at " + std::to_string(fail_at));
    std::filesystem::remove(output);
    std::filesystem::remove(partial_path(output));
    std::filesystem::remove(record_path(output));
    test::failing_file_system disk{fail_at, error::no_space};
    download_options o = options();
    o.files = &disk;
    o.durable = durability::power;
    o.checkpoint_interval = std::chrono::milliseconds{0};  // a checkpoint per piece
    std::error_code ec;
    (void)run(c, server, o, ec);
    if (!disk.injected()) {
      ASSERT_FALSE(ec) << ec.message();
      ASSERT_EQ(read_file(output), body);
      break;
    }
    if (ec) {
      ++failures;
      ASSERT_EQ(ec, condition::local_io) << ec.message();
      ASSERT_FALSE(std::filesystem::exists(output));
    }
    // Whatever the failure left, a run on a good disk completes byte-identical (or the file
    // was already complete: a failure after the rename, in cleanup).
    if (!std::filesystem::exists(output)) {
      download_options good = options();
      (void)run(c, server, good, ec);
      ASSERT_FALSE(ec) << ec.message();
    }
    ASSERT_EQ(read_file(output), body);
  }
  EXPECT_GT(failures, 5U);
  EXPECT_LT(fail_at, 500U);
}

// A real full disk: a 1 MiB tmpfs mounted by the test (the suite runs as root, as CI does).
TEST_F(DownloadTest, FullDiskIsAClearErrorAndTheOutputPathStaysUntouched) {
  const std::filesystem::path mount_point = dir / "small";
  std::filesystem::create_directories(mount_point);
  ASSERT_EQ(::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1m"), 0)
      << "mounting a tmpfs needs root: " << std::strerror(errno);
  struct unmount {
    std::filesystem::path at;
    ~unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } guard{mount_point};
  const std::string body = test::version_bytes(3U << 20U, 0);
  scripted_server server{
      resource_responder({{body, "\"f\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  client c{loop, tls};
  download_options o = options();
  o.output = mount_point / "big.bin";
  std::error_code ec;
  (void)run(c, server, o, ec);
  EXPECT_EQ(ec, error::no_space) << ec.message();
  EXPECT_EQ(ec, condition::local_io);
  EXPECT_FALSE(std::filesystem::exists(o.output));
  EXPECT_EQ(server.requests().size(), 1U);  // a full disk is not retried
}

TEST_F(DownloadTest, RateLimitThroughAThrottledClientHoldsTheRate) {
  const std::string body = test::version_bytes(400'000, 0);
  scripted_server server{
      resource_responder({{body, "", ""}}, [](std::size_t) { return resource_fault{}; })};
  throttle limit{1'000'000};  // 1 MB/s: 0.4 s for the body, after the first burst
  client_options co;
  co.wrap_stream = [&](std::unique_ptr<stream> s) -> std::unique_ptr<stream> {
    return std::make_unique<throttled_stream>(loop, std::move(s), limit);
  };
  client c{loop, tls, co};
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  (void)run(c, server, options(), ec);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  // A lower bound only (a floor the limit must impose), never an upper bound on speed.
  EXPECT_GE(took, std::chrono::milliseconds{250});
}

// ---- fail fast on what retrying cannot fix --------------------------------------------------

// A server that breaks the same rule on every request.
struct violation {
  const char* name;
  std::string answer;  // every answer's bytes, after which the server closes
  std::error_code expected;
  bool resuming = false;  // bytes are on disk, so the download asks for a range
};

void PrintTo(const violation& v, std::ostream* os) {
  *os << v.name;
}

std::string chunked_head(std::string_view te) {
  return "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + std::string{te} + "\r\n\r\n";
}

const violation violations[] = {
    {"chunk_size_overflows", chunked_head("chunked") + "FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n",
     http::error::bad_chunk},
    {"chunked_twice", chunked_head("chunked, chunked") + "5\r\nhello\r\n0\r\n\r\n",
     http::error::bad_transfer_encoding},
    {"length_and_chunked",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
     http::error::conflicting_framing},
    {"garbage_status_line", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", http::error::bad_status_line},
    {"unknown_version", "HTTP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
     http::error::unsupported_version},
    {"nul_in_head",
     std::string{"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 5\r\n\r\nhello", 53},
     http::error::bad_header},
    {"line_without_colon", "HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 5\r\n\r\nhello",
     http::error::bad_header},
    {"negative_length", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
     http::error::bad_content_length},
    {"non_numeric_length", "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\nhello",
     http::error::bad_content_length},
    {"two_lengths_differ", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
     http::error::bad_content_length},
    {"empty_reply", "", http::error::empty_reply},
    {"continue_then_nothing", "HTTP/1.1 100 Continue\r\n\r\n", http::error::no_final_response},
    {"partial_content_unasked",
     "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/10\r\nContent-Length: 5\r\n\r\n"
     "hello",
     error::unexpected_partial_content},
    {"multipart_ranges",
     "HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=B\r\n"
     "Content-Length: 98\r\n\r\n--B\r\nContent-Range: bytes 100-149/200\r\n\r\n" +
         std::string(50, 'x') + "\r\n--B--",
     error::bad_content_range, true},
    {"overlapping_range",
     "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 50-199/200\r\n"
     "Content-Length: 150\r\n\r\n" +
         std::string(150, 'y'),
     error::bad_content_range, true},
};

class MalformedResponseTest : public DownloadTest, public ::testing::WithParamInterface<violation> {
 protected:
  // 100 of the 200 bytes on disk with their record, as an interrupted download leaves them.
  void leave_half_of_the_resource(const http::url& url) {
    std::ofstream{partial_path(output), std::ios::binary} << std::string(100, 'v');
    resume_record record;
    record.url = url.text();
    record.etag = "\"v\"";
    record.length = 200;
    record.ranges.add(0, 100);
    save_resume_record(file_system::local(), record_path(output), record, false);
  }
};

// The outcome of a download on a manual clock, and every wait it asked that clock for.
struct clocked_outcome {
  std::error_code ec;
  std::vector<clock_source::duration> waits;
};

// Runs `o` to its end on a manual clock: each time the download announces a wait (a retry
// event), the clock is advanced by exactly that much once the wait is armed. At most 10 waits.
clocked_outcome run_on_manual_clock(io_loop& loop, client& c, const http::url& url,
                                    download_options o) {
  manual_clock time;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<clock_source::duration> announced;
  bool done = false;
  clocked_outcome out;
  o.time_source = &time;
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::retry) {
      std::lock_guard lock{mutex};
      announced.push_back(e.delay);
      changed.notify_all();
    }
  };
  download d{c, url, std::move(o)};
  async_result pending = d.begin_download([&](async_result& r) {
    std::error_code ec;
    (void)d.end_download(r, ec);
    std::lock_guard lock{mutex};
    out.ec = ec;
    done = true;
    changed.notify_all();
  });
  std::unique_lock lock{mutex};
  while (!done && out.waits.size() < 10) {
    if (!changed.wait_for(lock, test::test_deadline,
                          [&] { return done || announced.size() > out.waits.size(); })) {
      ADD_FAILURE() << "the download neither waited nor ended";
      break;
    }
    if (done) {
      break;
    }
    const clock_source::duration wait = announced[out.waits.size()];
    out.waits.push_back(wait);
    lock.unlock();
    // The retry event comes just before the wait begins, on the loop's one thread; a task
    // posted now runs after that handler. Should the timer's own registration come later
    // still, a deadline the clock has already passed fires at once: the advance is never lost.
    std::promise<void> armed;
    loop.post([&] { armed.set_value(); });
    auto armed_future = armed.get_future();
    (void)test::await(armed_future);
    time.advance(wait);
    lock.lock();
  }
  return out;
}

TEST_P(MalformedResponseTest, FailsWithItsOwnCodeAfterThreeRequestsOnNewConnections) {
  const violation& v = GetParam();
  scripted_server server{
      [&](std::string_view, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 10) {
          return std::nullopt;  // a bound: the download must have stopped long before
        }
        auto a = scripted_server::raw(v.answer);
        a.keep_open = false;
        return a;
      }};
  const http::url url = url_of(server);
  if (v.resuming) {
    leave_half_of_the_resource(url);
  }
  client c{loop, tls};  // an empty pool
  download_options o = options();
  o.retry = retry_policy{};  // the shipped policy: 10 transient attempts, 250 ms malformed delay
  const clocked_outcome out = run_on_manual_clock(loop, c, url, o);

  EXPECT_EQ(out.ec, v.expected) << out.ec.message();
  EXPECT_EQ(out.ec, condition::malformed);
  EXPECT_EQ(server.requests().size(), 3U);
  EXPECT_EQ(server.connections(), 3U);
  ASSERT_EQ(out.waits.size(), 2U);
  EXPECT_EQ(out.waits[0], std::chrono::milliseconds{250});
  EXPECT_EQ(out.waits[1], std::chrono::milliseconds{500});
  EXPECT_FALSE(std::filesystem::exists(output));
  if (v.resuming) {
    EXPECT_EQ(read_file(partial_path(output)), std::string(100, 'v'));  // kept for a resume
    for (const auto& request : server.requests()) {
      EXPECT_EQ(test::request_field(request, "range"), "bytes=100-");
    }
  } else {
    EXPECT_FALSE(leftovers());
  }
}

INSTANTIATE_TEST_SUITE_P(EachClass, MalformedResponseTest, ::testing::ValuesIn(violations),
                         [](const auto& param_info) { return std::string{param_info.param.name}; });

TEST_F(DownloadTest, OneMalformedResponseIsSurvived) {
  const std::string body = test::version_bytes(50'000, 0);
  scripted_server server{resource_responder({{body, "\"m\"", ""}}, [](std::size_t i) {
    resource_fault f;
    if (i == 0) {
      f.status = 200;
      f.extra_fields = "Transfer-Encoding: chunked, chunked\r\n";  // a middlebox's mistake
    }
    return f;
  })};
  event_log log;
  std::error_code ec;
  (void)run_logged(server, log, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  const auto retries = log.of(transfer_event_kind::retry);
  ASSERT_EQ(retries.size(), 1U);
  EXPECT_EQ(retries[0].reason, http::error::conflicting_framing);
}

TEST_F(DownloadTest, BodyBytesBetweenMalformedResponsesStartANewCount) {
  // Two malformed answers, then one that delivers 10 kB before its chunked framing breaks (a
  // third malformed answer in a row, but one that moved bytes), one more malformed answer, and
  // then the rest: counted from zero after the bytes, the run never passes two, so the download
  // completes at the fifth request. Counting on through the bytes would fail at the third.
  const std::string body = test::version_bytes(40'000, 0);
  const std::string etag = "\"n\"";
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 10) {
          return std::nullopt;
        }
        std::string bytes;
        if (i == 0 || i == 1) {
          bytes = chunked_head("chunked") + "zz\r\n";
        } else if (i == 2) {
          bytes = "HTTP/1.1 200 OK\r\nETag: " + etag + "\r\nTransfer-Encoding: chunked\r\n\r\n" +
                  "2710\r\n" + body.substr(0, 10'000) + "\r\nzz\r\n";
        } else if (i == 3) {
          bytes = "HTTP/1.1 206 Partial Content\r\nETag: " + etag +
                  "\r\nContent-Range: bytes 10000-39999/40000\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "zz\r\n";
        } else {
          return test::answer_resource(request, {{body, etag, ""}}, {});
        }
        auto a = scripted_server::raw(bytes);
        a.keep_open = false;
        return a;
      }};
  event_log log;
  std::error_code ec;
  const download_result r = run_logged(server, log, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(server.requests().size(), 5U);
  EXPECT_EQ(r.restarts, 0U);
  const auto retries = log.of(transfer_event_kind::retry);
  ASSERT_EQ(retries.size(), 4U);
  for (const auto& e : retries) {
    EXPECT_EQ(e.reason, http::error::bad_chunk);
  }
  EXPECT_EQ(test::request_field(server.requests()[3], "range"), "bytes=10000-");
}

TEST_F(DownloadTest, WithSegmentsTheMalformedCountIsPerSegment) {
  // Every range but the first is answered twice with a 206 that carries its range and then
  // breaks its chunked framing, before it is served: six malformed answers in all, never more
  // than two in a row for one segment, and none that restarts the download.
  const std::string body = test::version_bytes(2U << 20U, 0);
  const std::string etag = "\"seg\"";
  std::mutex mutex;
  std::map<std::string, int> broken_answers;  // by the offset the range asked for starts at
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 40) {
          return std::nullopt;
        }
        const std::string range = test::request_field(request, "range").value_or("");
        {
          std::lock_guard lock{mutex};
          const std::string from = range.substr(6, range.find('-') - 6);
          if (!range.starts_with("bytes=0-") && broken_answers[from]++ < 2) {
            std::string to = range.substr(range.find('-') + 1);
            if (to.empty()) {
              to = std::to_string(body.size() - 1);
            }
            auto a = scripted_server::raw("HTTP/1.1 206 Partial Content\r\nETag: " + etag +
                                          "\r\nContent-Range: bytes " + from + "-" + to + "/" +
                                          std::to_string(body.size()) +
                                          "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
            a.keep_open = false;
            return a;
          }
        }
        return test::answer_resource(request, {{body, etag, ""}}, {});
      }};
  event_log log;
  std::error_code ec;
  const download_result r = run_logged(server, log, ec, segmented());
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.restarts, 0U);
  std::lock_guard lock{mutex};
  ASSERT_GE(broken_answers.size(), 3U);  // three segments besides the first, at least
  int malformed = 0;
  for (const auto& [range, answers] : broken_answers) {
    malformed += std::min(answers, 2);
  }
  EXPECT_GE(malformed, 6);  // more than any one run may have: the counts were per segment
}

TEST_F(DownloadTest, PartialContentCarryingTheWholeResourceIsTakenAsA200) {
  const std::string body = test::version_bytes(5000, 0);
  scripted_server server{{scripted_server::raw(
      "HTTP/1.1 206 Partial Content\r\nETag: \"w\"\r\nContent-Range: bytes 0-4999/5000\r\n"
      "Content-Length: 5000\r\n\r\n" +
      body)}};
  client c{loop, tls};
  std::error_code ec;
  const download_result r = run(c, server, options(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), body);
  EXPECT_EQ(r.retries, 0U);
}

TEST_F(DownloadTest, EventsAndMilestonesAreDeliveredWithNoFerryLockHeld) {
  // The application's listener (and its milestone hook) takes the application's lock, while the
  // application holds that lock and asks the download for its progress: were they called under
  // the download's lock, each would wait for the other. They wait a bounded time and say so.
  const std::string body = test::version_bytes(400'000, 0);
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 5) {
          return std::nullopt;
        }
        auto a = test::answer_resource(request, {{body, "\"e\"", ""}}, {});
        a.trickle = 4096;
        a.trickle_delay = std::chrono::milliseconds{1};
        return a;
      }};
  client c{loop, tls};
  std::mutex app;  // not a timed_mutex: TSan (clang 14) cannot follow its timed lock
  std::atomic<int> events{0};
  std::atomic<int> milestones{0};
  std::atomic<int> inversions{0};
  // Takes the application's lock within a bounded time, or counts an inversion.
  auto take_app_lock = [&]() {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    while (!app.try_lock()) {
      if (std::chrono::steady_clock::now() > give_up) {
        ++inversions;  // the application could not let go: it waits for the download's lock
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds{50});
    }
    return true;
  };
  download_options o = options();
  o.progress_interval = std::chrono::milliseconds{0};
  o.checkpoint_interval = std::chrono::milliseconds{0};  // a checkpoint (milestone) per piece
  o.on_event = [&](const transfer_event&) {
    if (take_app_lock()) {
      ++events;
      app.unlock();
    }
  };
  o.on_milestone = [&](std::string_view name) {
    if (name == "checkpoint" && take_app_lock()) {
      ++milestones;
      app.unlock();
    }
  };
  download d{c, url_of(server), o};
  async_result pending = d.begin_download({});
  for (int i = 0; i < 20'000 && !pending.is_completed(); ++i) {
    {
      std::lock_guard hold{app};
      (void)d.progress();
    }
    std::this_thread::sleep_for(std::chrono::microseconds{100});
  }
  ASSERT_TRUE(pending.wait_for(test::test_deadline));
  std::error_code ec;
  (void)d.end_download(pending, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(inversions.load(), 0);
  EXPECT_GT(events.load(), 10);
  EXPECT_GT(milestones.load(), 10);
  EXPECT_EQ(read_file(output), body);
}

TEST_F(DownloadTest, TheCompletedEventComesBeforeTheCompletion) {
  const std::string body = test::version_bytes(10'000, 0);
  scripted_server server{
      resource_responder({{body, "\"c\"", ""}}, [](std::size_t) { return resource_fault{}; })};
  client c{loop, tls};
  std::atomic<bool> completed_event{false};
  std::promise<bool> seen_at_completion;
  download_options o = options();
  o.on_event = [&](const transfer_event& e) {
    if (e.kind == transfer_event_kind::completed) {
      completed_event = true;
    }
  };
  download d{c, url_of(server), o};
  async_result pending = d.begin_download(
      [&](async_result&) { seen_at_completion.set_value(completed_event.load()); });
  auto seen = seen_at_completion.get_future();
  ASSERT_TRUE(test::await(seen));
  EXPECT_TRUE(seen.get());
}

// The local file system, except that reads of one file wait while a gate is closed: a disk
// that takes as long as the test says to hash a file.
class gated_file_system final : public file_system {
 public:
  explicit gated_file_system(std::filesystem::path gated) : gated_(std::move(gated)) {}

  void open_gate() {
    std::lock_guard lock{mutex_};
    open_ = true;
    changed_.notify_all();
  }
  // Waits until a read is held at the gate; false after the test deadline.
  bool wait_for_a_held_read() {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, test::test_deadline, [&] { return held_ > 0; });
  }
  [[nodiscard]] bool gate_open() {
    std::lock_guard lock{mutex_};
    return open_;
  }

  std::unique_ptr<file> open(const std::filesystem::path& path, open_mode mode,
                             std::error_code& ec) override {
    auto inner = file_system::local().open(path, mode, ec);
    if (!inner || path != gated_) {
      return inner;
    }
    return std::make_unique<gated_file>(std::move(inner), *this);
  }
  void atomic_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                      std::error_code& ec) override {
    file_system::local().atomic_replace(from, to, ec);
  }
  void sync_directory(const std::filesystem::path& directory, std::error_code& ec) override {
    file_system::local().sync_directory(directory, ec);
  }
  void remove(const std::filesystem::path& path, std::error_code& ec) override {
    file_system::local().remove(path, ec);
  }
  file_status status(const std::filesystem::path& path, std::error_code& ec) override {
    return file_system::local().status(path, ec);
  }

 private:
  class gated_file final : public file {
   public:
    gated_file(std::unique_ptr<file> inner, gated_file_system& owner)
        : inner_(std::move(inner)), owner_(owner) {}
    using file::read_at;
    std::size_t read_at(std::uint64_t offset, mutable_buffer into, std::error_code& ec) override {
      owner_.pass();
      return inner_->read_at(offset, into, ec);
    }
    using file::write_at;
    std::size_t write_at(std::uint64_t offset, const_buffer bytes, std::error_code& ec) override {
      return inner_->write_at(offset, bytes, ec);
    }
    using file::sync_data;
    void sync_data(std::error_code& ec) override { inner_->sync_data(ec); }
    using file::sync;
    void sync(std::error_code& ec) override { inner_->sync(ec); }
    using file::size;
    std::uint64_t size(std::error_code& ec) const override { return inner_->size(ec); }
    using file::resize;
    void resize(std::uint64_t length, std::error_code& ec) override { inner_->resize(length, ec); }
    using file::allocate;
    void allocate(std::uint64_t offset, std::uint64_t length, std::error_code& ec) override {
      inner_->allocate(offset, length, ec);
    }
    using file::lock_exclusive;
    void lock_exclusive(std::error_code& ec) override { inner_->lock_exclusive(ec); }
    using file::unlock;
    void unlock(std::error_code& ec) override { inner_->unlock(ec); }

   private:
    std::unique_ptr<file> inner_;
    gated_file_system& owner_;
  };

  void pass() {
    std::unique_lock lock{mutex_};
    ++held_;
    changed_.notify_all();
    changed_.wait_for(lock, test::test_deadline, [&] { return open_; });
    --held_;
  }

  std::filesystem::path gated_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int held_ = 0;
  bool open_ = false;
};

TEST_F(DownloadTest, AChecksumBeingComputedNeverHoldsUpTheLoop) {
  // One loop thread, two file-work threads. The first download's hash waits at a gate the
  // test holds shut; the second download, on the same loop, completes meanwhile. With the hash
  // on the loop thread, nothing else could run on that loop until the gate opened.
  io_loop one;
  one.start(1, 2);
  const std::string big = test::version_bytes(test::scaled(4U << 20U), 1);
  const std::string small = test::version_bytes(50'000, 2);
  scripted_server server{
      [&](std::string_view request, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 10) {
          return std::nullopt;
        }
        const bool wants_big = request.starts_with("GET /big ");
        return test::answer_resource(request, {{wants_big ? big : small, "\"g\"", ""}}, {});
      }};
  client c{one, tls};
  gated_file_system gated{partial_path(output)};
  download_options first = options();
  first.files = &gated;
  digest sum{digest_algorithm::sha256};
  sum.update(big);
  first.checksum = expected_digest::parse("sha256:" + sum.finish_hex());
  download hashing{c, url_of(server, "/big"), first};
  async_result hashed = hashing.begin_download({});
  ASSERT_TRUE(gated.wait_for_a_held_read());  // the hash has begun, and waits

  download_options second = options();
  second.output = dir / "small.bin";
  download other{c, url_of(server, "/small"), second};
  std::error_code ec;
  async_result done = other.begin_download({});
  ASSERT_TRUE(done.wait_for(std::chrono::seconds{20})) << "the loop was held up";
  (void)other.end_download(done, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(second.output), small);
  EXPECT_FALSE(gated.gate_open());  // it completed while the first hash still waited
  EXPECT_FALSE(hashed.is_completed());

  gated.open_gate();
  ASSERT_TRUE(hashed.wait_for(test::test_deadline));
  (void)hashing.end_download(hashed, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(read_file(output), big);
}

TEST_F(DownloadTest, RetryAfterAMalformedResponseNeverTakesAPooledConnection) {
  const std::string broken = chunked_head("chunked") + "zz\r\n";
  scripted_server server{
      [&](std::string_view request, std::size_t) -> std::optional<test::scripted_answer> {
        if (request.starts_with("GET /warm")) {
          return scripted_server::ok("warm");  // kept alive: the pool holds these connections
        }
        return scripted_server::raw(broken);
      }};
  client c{loop, tls};
  // Two exchanges at once leave two idle connections in the pool.
  memory_sink first{1024};
  memory_sink second{1024};
  http::request warm;
  warm.url = url_of(server, "/warm");
  async_result a = c.begin_exchange(warm, first, {});
  async_result b = c.begin_exchange(warm, second, {});
  std::error_code ec;
  ASSERT_TRUE(a.wait_for(test::test_deadline));
  (void)c.end_exchange(a, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(b.wait_for(test::test_deadline));
  (void)c.end_exchange(b, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(server.connections(), 2U);

  (void)run(c, server, options(), ec);
  EXPECT_EQ(ec, http::error::bad_chunk);
  // The first attempt may reuse a pooled connection; the two retries open their own, although
  // a pooled one was still there for the second.
  EXPECT_EQ(server.requests().size(), 5U);
  EXPECT_EQ(server.connections(), 4U);
}

}  // namespace
}  // namespace ferry::engine
