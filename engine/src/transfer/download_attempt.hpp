// One attempt of a download, as pure functions the state machine (download_machine.cpp) calls:
// what a segment asks the server, the question its answer is judged against (judge_answer),
// and what follows once its exchange has ended. Engine-internal; no I/O.
#pragma once

#include <system_error>
#include <vector>

#include "download_segment.hpp"
#include "ferry/engine/transfer/byte_ranges.hpp"
#include "ferry/engine/transfer/range_answer.hpp"
#include "ferry/engine/transfer/resume_record.hpp"
#include "ferry/http/request.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine::detail {

/// The request `seg` sends: a conditional GET for `confirm` (If-None-Match, else
/// If-Modified-Since), a plain GET for `whole`, else `Range: bytes=first-[end-1]` (open-ended
/// when it runs to the known end) with If-Range when bytes of a known version are on disk.
/// Always `Accept-Encoding: identity`: ranges count bytes of the representation as sent.
[[nodiscard]] http::request request_for(const segment& seg, const http::url& url,
                                        const std::vector<http::field>& fields,
                                        const resume_record& record, const byte_ranges& written);

/// What `seg` asked, and what the download knew then (for judge_answer).
[[nodiscard]] range_question question_for(const segment& seg, const resume_record& record,
                                          const byte_ranges& written);

/// What the state machine does once an exchange has ended.
enum class after_exchange {
  settle,           ///< the segment was dropped, or the download stopped: settle what is left
  confirmed,        ///< the confirming GET found the output current: complete
  ask_again,        ///< this answer restarted the download: fill the gaps at once
  retry_malformed,  ///< a malformed answer: a few short waits, each on a new connection
  retry_later,      ///< a transient failure (connection, timeout): the backoff ladder
  retry_status,     ///< a retryable status (503, 429, ...): the ladder, honouring Retry-After
  fail,             ///< the outcome is this error
  fill_gaps,        ///< it ended well: ask for what is still missing (or finish)
};

/// The facts `after` judges.
struct exchange_end {
  std::error_code error{};           ///< the exchange's outcome, as the machine corrected it
  std::error_code restart_reason{};  ///< set when this answer restarted the download
  unsigned status = 0;               ///< the response's status, 0 without one
  bool dropped = false;              ///< the machine stopped this segment
  bool running = true;               ///< the download is still running
  bool confirming = false;           ///< the confirming phase
  bool fatal = false;                ///< the failure is not worth a retry (the disk, a give-up)
};

[[nodiscard]] after_exchange after(const exchange_end& end) noexcept;

}  // namespace ferry::engine::detail
