// detail::segment — one request of a download in flight: the range it asks for, where its next
// body byte goes, and how it ended; its body sink hands the response to the download's state
// machine (a segment_owner). Engine-internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/http/response_head.hpp"

namespace ferry::engine::detail {

struct segment;

/// What a segment's response is handed to, as it arrives (the download's state machine).
class segment_owner {
 public:
  virtual void on_segment_head(segment& seg, const http::response_head& head,
                               std::error_code& ec) = 0;
  virtual void on_segment_body(segment& seg, std::string_view bytes, std::error_code& ec) = 0;

 protected:
  ~segment_owner() = default;
};

/// What a request asks for.
enum class segment_role {
  confirm,  ///< a conditional GET: is the existing output current? (the confirming phase)
  whole,    ///< a plain GET, no Range: the whole resource from byte 0
  probe,    ///< the first request of a segmented download of unknown length, `bytes=N-`: once
            ///< the length is known it keeps the first share (-> range) and the other segments
            ///< start beside it
  range,    ///< `bytes=first-[end-1]`: a resume, or one segment's share
};

/// The sink a segment's exchange writes into: the head and the body, to the owner.
class segment_sink final : public body_sink {
 public:
  segment_sink(segment_owner& owner, segment& seg) : owner_(&owner), seg_(&seg) {}
  void on_head(const http::response_head& head, std::error_code& ec) override {
    owner_->on_segment_head(*seg_, head, ec);
  }
  void write(std::string_view bytes, std::error_code& ec) override {
    owner_->on_segment_body(*seg_, bytes, ec);
  }

 private:
  segment_owner* owner_;
  segment* seg_;
};

struct segment {
  segment(segment_owner& owner, std::uint64_t from, std::optional<std::uint64_t> to, segment_role r)
      : first(from), end(to), next(from), role(r), sink(owner, *this) {}
  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  std::uint64_t first;                    ///< the range asked for starts here
  std::optional<std::uint64_t> end;       ///< one past its last byte; empty: to the end
  std::uint64_t next;                     ///< where the next body byte goes
  std::optional<std::uint64_t> body_end;  ///< where this response's body ends, if known
  segment_role role;                      ///< what it asks for; a 200 makes it `whole`
  bool done = false;                      ///< reached `end` and stopped its exchange
  bool satisfied = false;                 ///< a 416 or 304 confirmed that the file is complete
  bool dropped = false;                   ///< stopped by the download; its outcome is ignored
  unsigned malformed_run = 0;             ///< malformed answers in a row for this range
  std::error_code restart_reason;         ///< this response restarted the download
  unsigned status = 0;
  std::optional<std::chrono::seconds> retry_after;
  async_result exchange;
  segment_sink sink;
};

}  // namespace ferry::engine::detail
