#include "download_attempt.hpp"

#include "ferry/engine/error.hpp"
#include "ferry/http/content_range.hpp"
#include "ferry/http/status.hpp"
#include "ferry/http/validators.hpp"

namespace ferry::engine::detail {

namespace {

// What the record knows of the version whose bytes are on disk.
http::validators known_validators(const resume_record& r) {
  return {r.etag, r.last_modified};
}

}  // namespace

http::request request_for(const segment& seg, const http::url& url,
                          const std::vector<http::field>& fields, const resume_record& record,
                          const byte_ranges& written) {
  http::request request;
  request.url = url;
  request.fields = fields;
  request.set("Accept-Encoding", "identity");
  switch (seg.role) {
    case segment_role::confirm:
      if (!record.etag.empty()) {
        request.set("If-None-Match", record.etag);
      } else {
        request.set("If-Modified-Since", record.last_modified);
      }
      return request;
    case segment_role::whole:
      return request;
    case segment_role::probe:
    case segment_role::range: {
      // To the end: open-ended, as every resuming client asks.
      std::optional<std::uint64_t> last;
      if (seg.end && seg.end != record.length) {
        last = *seg.end - 1;
      }
      request.set("Range", http::byte_range(seg.first, last));
      const http::validators known = known_validators(record);
      if (!known.empty() && !written.empty()) {
        request.set("If-Range", known.if_range());
      }
      return request;
    }
  }
  return request;
}

range_question question_for(const segment& seg, const resume_record& record,
                            const byte_ranges& written) {
  range_question q;
  switch (seg.role) {
    case segment_role::confirm:
      q.asked = range_question::kind::confirm;
      break;
    case segment_role::whole:
      q.asked = range_question::kind::whole;
      break;
    case segment_role::probe:
    case segment_role::range:
      q.asked = range_question::kind::range;
      break;
  }
  q.first = seg.first;
  if (seg.end) {
    q.last = *seg.end - 1;
  }
  q.length = record.length;
  q.known = known_validators(record);
  q.on_disk = written.size();
  q.contiguous = written.prefix();
  return q;
}

after_exchange after(const exchange_end& end) noexcept {
  const std::error_code ec = end.error;
  if (end.dropped || !end.running) {
    return after_exchange::settle;
  }
  if (end.confirming && !ec) {
    return after_exchange::confirmed;
  }
  if (!ec) {
    return after_exchange::fill_gaps;
  }
  if (end.restart_reason && ec == end.restart_reason && !end.fatal) {
    return after_exchange::ask_again;
  }
  if (ec == condition::malformed && !end.fatal) {
    return after_exchange::retry_malformed;
  }
  if (ec == condition::retryable && !end.fatal) {
    return after_exchange::retry_later;
  }
  if (ec == error::http_error_status && http::is_retryable_status(end.status)) {
    return after_exchange::retry_status;
  }
  return after_exchange::fail;
}

}  // namespace ferry::engine::detail
