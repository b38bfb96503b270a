// detail::segment — one request of a download in flight: the range it asks for, where its next
// body byte goes, and how it ended; its body sink hands the response to the download's state
// machine (a segment_owner). Engine-internal.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/byte_ranges.hpp"
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

/// The requests of one download in flight, and the runs of malformed answers of the ranges
/// they resume (a new request for a range carries its run on; a response that delivers bytes
/// ends the runs inside what it brought).
class segment_set {
 public:
  using list = std::list<std::unique_ptr<segment>>;

  /// A new request for [first, end), carrying the malformed run of the range from `first`.
  segment& add(segment_owner& owner, std::uint64_t first, std::optional<std::uint64_t> end,
               segment_role role) {
    segment& seg = *all_.emplace_back(std::make_unique<segment>(owner, first, end, role));
    if (const auto it = malformed_runs_.find(first); it != malformed_runs_.end()) {
      seg.malformed_run = it->second;
      malformed_runs_.erase(it);
    }
    return seg;
  }
  void remove(const segment& seg) {
    std::erase_if(all_, [&](const auto& s) { return s.get() == &seg; });
  }

  /// Drops (marks, then `cancel`s) every request but `keep`.
  template <class Cancel>
  void drop_all(Cancel&& cancel, const segment* keep = nullptr) {
    for (auto& s : all_) {
      if (s.get() != keep && !s->dropped) {
        s->dropped = true;
        cancel(*s);
      }
    }
  }

  [[nodiscard]] bool empty() const noexcept { return all_.empty(); }
  /// Requests not dropped.
  [[nodiscard]] std::size_t active() const noexcept {
    return static_cast<std::size_t>(
        std::count_if(all_.begin(), all_.end(), [](const auto& s) { return !s->dropped; }));
  }
  /// What is on disk (`written`), and what requests in flight will still bring.
  [[nodiscard]] byte_ranges covered(const byte_ranges& written, std::uint64_t total) const {
    byte_ranges covered = written;
    for (const auto& s : all_) {
      if (!s->dropped) {
        covered.add(s->next, s->end.value_or(total));
      }
    }
    return covered;
  }

  /// The range from `resume_at` had its `run`-th malformed answer in a row.
  void remember_malformed(std::uint64_t resume_at, unsigned run) {
    malformed_runs_[resume_at] = run;
  }
  /// `seg` delivered [from, to): its run, and those of ranges resuming inside, start over.
  void delivered(segment& seg, std::uint64_t from, std::uint64_t to) {
    seg.malformed_run = 0;
    malformed_runs_.erase(malformed_runs_.lower_bound(from), malformed_runs_.upper_bound(to));
  }
  void forget_malformed() noexcept { malformed_runs_.clear(); }

 private:
  list all_;
  std::map<std::uint64_t, unsigned> malformed_runs_;  // by the offset the range resumes at
};

}  // namespace ferry::engine::detail
