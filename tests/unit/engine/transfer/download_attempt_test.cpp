// The download's pure attempt rules (engine/src/transfer/download_attempt.hpp): what each
// segment role asks, and what follows an exchange's end.
#include "transfer/download_attempt.hpp"

#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
#include "ferry/http/error.hpp"

namespace ferry::engine::detail {
namespace {

class null_owner final : public segment_owner {
 public:
  void on_segment_head(segment&, const http::response_head&, std::error_code&) override {}
  void on_segment_body(segment&, std::string_view, std::error_code&) override {}
};

std::string field(const http::request& r, std::string_view name) {
  for (const auto& f : r.fields) {
    if (f.name == name) {
      return f.value;
    }
  }
  return "<absent>";
}

class DownloadAttempt : public ::testing::Test {
 protected:
  http::url url = http::url::parse("http://127.0.0.1:8080/file");
  std::vector<http::field> fields{{"X-Test", "1"}};
  resume_record record;
  byte_ranges written;
  null_owner owner;
};

TEST_F(DownloadAttempt, ConfirmAsksIfNoneMatchWhenThereIsAnEtagElseIfModifiedSince) {
  segment seg{owner, 0, std::nullopt, segment_role::confirm};
  record.etag = "\"v1\"";
  record.last_modified = "Wed, 02 Dec 2026 08:00:00 GMT";
  auto r = request_for(seg, url, fields, record, written);
  EXPECT_EQ(field(r, "If-None-Match"), "\"v1\"");
  EXPECT_EQ(field(r, "If-Modified-Since"), "<absent>");
  EXPECT_EQ(field(r, "Range"), "<absent>");
  EXPECT_EQ(field(r, "X-Test"), "1");
  record.etag.clear();
  r = request_for(seg, url, fields, record, written);
  EXPECT_EQ(field(r, "If-Modified-Since"), "Wed, 02 Dec 2026 08:00:00 GMT");
  EXPECT_EQ(question_for(seg, record, written).asked, range_question::kind::confirm);
}

TEST_F(DownloadAttempt, WholeAsksNoRangeAndIdentityEncoding) {
  segment seg{owner, 0, std::nullopt, segment_role::whole};
  const auto r = request_for(seg, url, fields, record, written);
  EXPECT_EQ(field(r, "Range"), "<absent>");
  EXPECT_EQ(field(r, "Accept-Encoding"), "identity");
}

TEST_F(DownloadAttempt, ARangeToTheKnownEndIsOpenEndedAndCarriesIfRangeOnlyWithBytesOnDisk) {
  record.length = 1000;
  record.etag = "\"v1\"";
  segment tail{owner, 600, 1000, segment_role::range};
  auto r = request_for(tail, url, fields, record, written);
  EXPECT_EQ(field(r, "Range"), "bytes=600-");
  EXPECT_EQ(field(r, "If-Range"), "<absent>");  // nothing on disk: nothing to protect
  written.add(0, 100);
  r = request_for(tail, url, fields, record, written);
  EXPECT_EQ(field(r, "If-Range"), "\"v1\"");
  segment middle{owner, 100, 600, segment_role::range};
  EXPECT_EQ(field(request_for(middle, url, fields, record, written), "Range"), "bytes=100-599");
  const range_question q = question_for(middle, record, written);
  EXPECT_EQ(q.asked, range_question::kind::range);
  EXPECT_EQ(q.first, 100U);
  EXPECT_EQ(q.last, 599U);
  EXPECT_EQ(q.on_disk, 100U);
  EXPECT_EQ(q.contiguous, 100U);
}

TEST(DownloadAttemptAfter, EachOutcomeHasItsStep) {
  EXPECT_EQ(after({}), after_exchange::fill_gaps);
  EXPECT_EQ(after({.dropped = true}), after_exchange::settle);
  EXPECT_EQ(after({.error = error::connection_reset, .running = false}), after_exchange::settle);
  EXPECT_EQ(after({.confirming = true}), after_exchange::confirmed);
  EXPECT_EQ(after({.error = error::validator_changed, .restart_reason = error::validator_changed}),
            after_exchange::ask_again);
  EXPECT_EQ(after({.error = http::error::bad_status_line}), after_exchange::retry_malformed);
  EXPECT_EQ(after({.error = error::connection_reset}), after_exchange::retry_later);
  EXPECT_EQ(after({.error = error::http_error_status, .status = 503}),
            after_exchange::retry_status);
  EXPECT_EQ(after({.error = error::http_error_status, .status = 404}), after_exchange::fail);
}

TEST(DownloadAttemptAfter, AFatalFailureIsNeverRetried) {
  EXPECT_EQ(after({.error = error::connection_reset, .fatal = true}), after_exchange::fail);
  EXPECT_EQ(after({.error = http::error::bad_status_line, .fatal = true}), after_exchange::fail);
  EXPECT_EQ(after({.error = error::validator_changed,
                   .restart_reason = error::validator_changed,
                   .fatal = true}),
            after_exchange::fail);
}

}  // namespace
}  // namespace ferry::engine::detail
