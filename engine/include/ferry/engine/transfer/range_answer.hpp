// ferry::engine::judge_answer — what a server's answer to one of a download's requests means,
// judged from its head alone: RFC 9110's range rules (§14) and If-Range (§13.1.5) as a download
// that must never splice two versions applies them. Pure (no I/O, no state): the download acts
// on the verdict.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <system_error>

#include "ferry/http/response_head.hpp"
#include "ferry/http/validators.hpp"

namespace ferry::engine {

/// What a request asked, and what the download knew when it asked.
struct range_question {
  enum class kind {
    confirm,  ///< a conditional GET (If-None-Match / If-Modified-Since) for an existing output
    whole,    ///< a plain GET, no Range
    range,    ///< `Range: bytes=first-[last]`, with If-Range when bytes are on disk
  };
  kind asked = kind::whole;
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;    ///< the last byte asked for; empty: to the end
  std::optional<std::uint64_t> length;  ///< the complete length, once known
  http::validators known;               ///< of the bytes on disk (or of the existing output)
  std::uint64_t on_disk = 0;            ///< bytes on disk
  std::uint64_t contiguous = 0;         ///< bytes on disk from 0 without a gap
};

/// The verdict on one answer's head.
struct range_answer {
  enum class verdict {
    /// A 206 with exactly the range asked for, of the version on disk (or of none, when nothing
    /// is): its body goes to `first`, and ends at `body_end`; `complete` may say the length.
    part,
    /// The whole resource from byte 0 (a 200, or a 206 that carries all of it). With
    /// `restart`, the bytes on disk are another version (or the server ignored the range):
    /// they are discarded first, for `reason`. `complete` is the length, when framed by one.
    whole,
    /// The file on disk is complete and current: a 416 whose length is the bytes on disk, or
    /// (to a confirm) a 304 or a 2xx with the same validators and length. `body_unwanted`: the
    /// answer carries the file again (a 2xx) and its exchange should stop.
    complete,
    /// The bytes on disk are of another version (a 206 that does not prove the version, a 416
    /// that does not confirm the file): discard them for `reason` and ask again; this answer's
    /// body is not wanted.
    restart,
    /// To a confirm: the existing output is another version (it is the user's to keep).
    changed,
    /// Not an answer to write: `reason` (http_error_status, with `retry_after` for a retryable
    /// status; bad_content_range; unexpected_partial_content).
    refuse,
  };
  verdict what = verdict::refuse;
  std::error_code reason;
  bool restart = false;
  bool body_unwanted = false;
  std::optional<std::uint64_t> body_end;
  std::optional<std::uint64_t> complete;
  std::optional<std::chrono::seconds> retry_after;
};

/// Judges `head`, the answer to `question`.
[[nodiscard]] range_answer judge_answer(const http::response_head& head,
                                        const range_question& question);

}  // namespace ferry::engine
