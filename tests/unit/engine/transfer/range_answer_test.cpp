#include "ferry/engine/transfer/range_answer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ferry/engine/error.hpp"

namespace ferry::engine {
namespace {

using verdict = range_answer::verdict;
using kind = range_question::kind;

http::response_head answer(unsigned status, std::optional<std::uint64_t> length,
                           std::vector<http::field> fields = {}) {
  http::response_head h;
  h.status = status;
  h.content_length = length;
  h.fields = std::move(fields);
  return h;
}

// A resume of `on_disk` contiguous bytes of the version tagged "v1", of 1000 bytes in all.
range_question resume(std::uint64_t on_disk) {
  range_question q;
  q.asked = kind::range;
  q.first = on_disk;
  q.length = 1000;
  q.known.etag = "\"v1\"";
  q.on_disk = on_disk;
  q.contiguous = on_disk;
  return q;
}

TEST(RangeAnswer, APartialOfTheVersionOnDiskIsWrittenWhereAsked) {
  const auto a = judge_answer(
      answer(206, 600, {{"Content-Range", "bytes 400-999/1000"}, {"ETag", "\"v1\""}}), resume(400));
  EXPECT_EQ(a.what, verdict::part);
  EXPECT_EQ(a.body_end, 1000U);
  EXPECT_EQ(a.complete, 1000U);
}

TEST(RangeAnswer, APartialThatDoesNotProveTheVersionIsNeverSpliced) {
  for (const char* etag : {"\"v2\"", ""}) {
    std::vector<http::field> fields{{"Content-Range", "bytes 400-999/1000"}};
    if (*etag != '\0') {
      fields.push_back({"ETag", etag});
    }
    const auto a = judge_answer(answer(206, 600, fields), resume(400));
    EXPECT_EQ(a.what, verdict::restart) << etag;
    EXPECT_EQ(a.reason, error::validator_changed) << etag;
  }
}

TEST(RangeAnswer, APartialOfAnotherRangeIsBadContentRange) {
  for (const char* range : {"bytes 0-999/1000", "bytes 401-999/1000", "bytes 400-999/2000",
                            "bytes */1000", "nonsense"}) {
    const auto a =
        judge_answer(answer(206, 600, {{"Content-Range", range}, {"ETag", "\"v1\""}}), resume(400));
    EXPECT_EQ(a.what, verdict::refuse) << range;
    EXPECT_EQ(a.reason, error::bad_content_range) << range;
  }
  const auto none = judge_answer(answer(206, 600, {{"ETag", "\"v1\""}}), resume(400));
  EXPECT_EQ(none.reason, error::bad_content_range);
}

TEST(RangeAnswer, ABoundedSegmentMustGetExactlyItsRange) {
  range_question q = resume(0);
  q.first = 250;
  q.last = 499;
  q.on_disk = 0;
  q.contiguous = 0;
  const auto exact = judge_answer(answer(206, 250, {{"Content-Range", "bytes 250-499/1000"}}), q);
  EXPECT_EQ(exact.what, verdict::part);
  EXPECT_EQ(exact.body_end, 500U);
  const auto longer = judge_answer(answer(206, 750, {{"Content-Range", "bytes 250-999/1000"}}), q);
  EXPECT_EQ(longer.reason, error::bad_content_range);
}

TEST(RangeAnswer, AWholeAnswerToARangeRestartsWithTheReasonItShows) {
  const auto ignored = judge_answer(answer(200, 1000, {{"ETag", "\"v1\""}}), resume(400));
  EXPECT_EQ(ignored.what, verdict::whole);
  EXPECT_TRUE(ignored.restart);
  EXPECT_EQ(ignored.reason, error::range_ignored);
  EXPECT_EQ(ignored.complete, 1000U);
  const auto changed = judge_answer(answer(200, 1200, {{"ETag", "\"v2\""}}), resume(400));
  EXPECT_TRUE(changed.restart);
  EXPECT_EQ(changed.reason, error::validator_changed);
  EXPECT_FALSE(judge_answer(answer(200, 1000), resume(0)).restart);  // nothing on disk to lose
}

TEST(RangeAnswer, APlainGetTakesA200AndA206ThatCarriesEverything) {
  range_question q;
  q.asked = kind::whole;
  auto chunked = answer(200, std::nullopt);
  chunked.chunked = true;
  const auto a = judge_answer(chunked, q);
  EXPECT_EQ(a.what, verdict::whole);
  EXPECT_FALSE(a.complete);  // no length: until the end of the body
  const auto all = judge_answer(answer(206, 1000, {{"Content-Range", "bytes 0-999/1000"}}), q);
  EXPECT_EQ(all.what, verdict::whole);
  EXPECT_EQ(all.complete, 1000U);
  const auto part = judge_answer(answer(206, 500, {{"Content-Range", "bytes 0-499/1000"}}), q);
  EXPECT_EQ(part.reason, error::unexpected_partial_content);
}

TEST(RangeAnswer, A416ConfirmsOnlyTheExactFileOnDisk) {
  const auto done = judge_answer(answer(416, 0, {{"Content-Range", "bytes */1000"}}), resume(1000));
  EXPECT_EQ(done.what, verdict::complete);
  EXPECT_FALSE(done.body_unwanted);
  EXPECT_EQ(done.complete, 1000U);
  const auto other = judge_answer(answer(416, 0, {{"Content-Range", "bytes */900"}}), resume(1000));
  EXPECT_EQ(other.what, verdict::restart);
  EXPECT_EQ(other.reason, error::range_not_satisfiable);
  range_question gap = resume(1000);
  gap.contiguous = 600;  // 1000 bytes on disk, but not from 0 without a gap
  EXPECT_EQ(judge_answer(answer(416, 0, {{"Content-Range", "bytes */1000"}}), gap).what,
            verdict::restart);
}

TEST(RangeAnswer, AConfirmKnowsCurrentChangedAndErrors) {
  range_question q;
  q.asked = kind::confirm;
  q.length = 1000;
  q.known.etag = "\"v1\"";
  EXPECT_EQ(judge_answer(answer(304, std::nullopt), q).what, verdict::complete);
  EXPECT_FALSE(judge_answer(answer(304, std::nullopt), q).body_unwanted);
  const auto same = judge_answer(answer(200, 1000, {{"ETag", "\"v1\""}}), q);
  EXPECT_EQ(same.what, verdict::complete);
  EXPECT_TRUE(same.body_unwanted);  // it carries the file we have
  EXPECT_EQ(judge_answer(answer(200, 1000, {{"ETag", "\"v2\""}}), q).what, verdict::changed);
  EXPECT_EQ(judge_answer(answer(200, 999, {{"ETag", "\"v1\""}}), q).what, verdict::changed);
  EXPECT_EQ(judge_answer(answer(200, 1000), q).what, verdict::changed);  // proves nothing
  const auto busy = judge_answer(answer(503, 0, {{"Retry-After", "7"}}), q);
  EXPECT_EQ(busy.reason, error::http_error_status);
  EXPECT_EQ(busy.retry_after, std::chrono::seconds{7});
}

TEST(RangeAnswer, ErrorStatusesAreRefusedAndOnlyRetryableOnesCarryRetryAfter) {
  const auto missing = judge_answer(answer(404, 10, {{"Retry-After", "7"}}), resume(400));
  EXPECT_EQ(missing.what, verdict::refuse);
  EXPECT_EQ(missing.reason, error::http_error_status);
  EXPECT_FALSE(missing.retry_after);
  const auto busy = judge_answer(answer(503, 0, {{"Retry-After", "7"}}), resume(400));
  EXPECT_EQ(busy.retry_after, std::chrono::seconds{7});
}

}  // namespace
}  // namespace ferry::engine
