#include "ferry/engine/transfer/range_answer.hpp"

#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/retry_schedule.hpp"
#include "ferry/http/content_range.hpp"
#include "ferry/http/status.hpp"

namespace ferry::engine {
namespace {

using verdict = range_answer::verdict;

bool is_success(unsigned status) {
  return status >= 200 && status <= 299;
}

std::optional<http::content_range> content_range_of(const http::response_head& head) {
  const auto value = head.find("content-range");
  return value ? http::parse_content_range(*value) : std::nullopt;
}

range_answer refused(std::error_code why) {
  range_answer a;
  a.what = verdict::refuse;
  a.reason = why;
  return a;
}

// An error status: its body is an error page and never reaches the file.
range_answer error_status(const http::response_head& head) {
  range_answer a = refused(error::http_error_status);
  if (http::is_retryable_status(head.status)) {
    a.retry_after = retry_after_of(head);
  }
  return a;
}

range_answer whole(const http::response_head& head, const range_question& q) {
  range_answer a;
  a.what = verdict::whole;
  if (q.asked != range_question::kind::whole && q.on_disk > 0) {
    a.restart = true;
    a.reason = http::names_another_version(q.known, head) ? error::validator_changed
                                                          : error::range_ignored;
  }
  if (!head.chunked) {
    a.complete = head.content_length;
  }
  return a;
}

// To a confirm: 304, or the same validators and length, means the output is current.
range_answer confirm(const http::response_head& head, const range_question& q) {
  const bool unchanged = head.status == 304 ||
                         (is_success(head.status) && !http::names_another_version(q.known, head) &&
                          head.content_length == q.length && !http::validators::of(head).empty());
  if (unchanged) {
    range_answer a;
    a.what = verdict::complete;
    a.body_unwanted = head.status != 304;  // its body is the file we have
    return a;
  }
  if (is_success(head.status)) {
    range_answer a;
    a.what = verdict::changed;
    a.reason = error::output_exists;
    return a;
  }
  return error_status(head);
}

// A 206 to a range request: exactly the range asked for, of the version on disk.
range_answer part(const http::response_head& head, const range_question& q) {
  const auto range = content_range_of(head);
  // To the known end, the request was open-ended: any last byte up to it answers it.
  const std::optional<std::uint64_t> last =
      q.last && (!q.length || *q.last + 1 != *q.length) ? q.last : std::nullopt;
  if (!range || !http::answers(*range, q.first, last, q.length) || !range->last) {
    return refused(error::bad_content_range);
  }
  if (q.on_disk > 0 && !http::proves_same_version(q.known, head)) {
    // If-Range should have brought a 200; the server sent another version's bytes anyway.
    range_answer a;
    a.what = verdict::restart;
    a.reason = error::validator_changed;
    return a;
  }
  range_answer a;
  a.what = verdict::part;
  a.body_end = *range->last + 1;
  a.complete = range->complete;
  return a;
}

// A 416: the file is complete when the length it states is exactly the bytes on disk.
range_answer not_satisfiable(const http::response_head& head, const range_question& q) {
  const auto range = content_range_of(head);
  if (range && range->complete && *range->complete == q.contiguous && q.on_disk == q.contiguous &&
      (!q.length || *q.length == q.contiguous)) {
    range_answer a;
    a.what = verdict::complete;
    a.complete = q.contiguous;  // the body (an error page) is ignored
    return a;
  }
  range_answer a;
  a.what = verdict::restart;
  a.reason = error::range_not_satisfiable;
  return a;
}

// A 206 whose one range is the whole resource (bytes 0 to its complete length): what a plain
// GET's 200 would have carried, taken as that (as browsers take it).
bool carries_whole_resource(const http::response_head& head) {
  const auto range = content_range_of(head);
  return range && range->first == 0 && range->last && range->complete &&
         *range->last + 1 == *range->complete && head.content_length == range->complete;
}

}  // namespace

range_answer judge_answer(const http::response_head& head, const range_question& q) {
  if (q.asked == range_question::kind::confirm) {
    return confirm(head, q);
  }
  if (head.status == 206 && q.asked == range_question::kind::whole) {
    if (carries_whole_resource(head)) {
      return whole(head, q);
    }
    return refused(error::unexpected_partial_content);  // no range was asked for
  }
  if (head.status == 206) {
    return part(head, q);
  }
  if (is_success(head.status)) {
    return whole(head, q);
  }
  if (head.status == 416) {
    return not_satisfiable(head, q);
  }
  return error_status(head);
}

}  // namespace ferry::engine
