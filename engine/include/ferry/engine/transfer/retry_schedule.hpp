// ferry::engine::retry_schedule — the retry policy's bookkeeping for one transfer, download or
// upload alike: failures in a row without progress, the backoff ladder with jitter, Retry-After,
// and the short run a malformed response gets. Pure (no I/O, no clock): a session's queue can plan
// with it too.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/transfer/transfer.hpp"
#include "ferry/http/response_head.hpp"

namespace ferry::engine {

class retry_schedule {
 public:
  /// `seed` seeds the jitter (0: a fresh one for every transfer).
  retry_schedule(const retry_policy& policy, std::uint64_t seed);

  /// A transient failure (a reset, a timeout, a 503) when the transfer has moved `progress`
  /// bytes in all (a count that only grows: a download's received bytes, an upload's furthest
  /// point into its body). Progress since the last failure starts a new run. Returns the wait
  /// before the next attempt: `retry_after` (the server's, capped by `max_retry_after`) or the
  /// ladder's `initial_delay * 2^(failures-1)`, capped by `max_delay`, times a jitter in
  /// [0.5, 1.5); nothing once `attempts` failures ran in a row.
  [[nodiscard]] std::optional<clock_source::duration> on_failure(
      std::uint64_t progress, std::optional<std::chrono::seconds> retry_after);

  /// The `run`-th malformed answer in a row (1 for the first): `malformed_delay * 2^(run-1)`,
  /// or nothing past `min(malformed_attempts, attempts)`.
  [[nodiscard]] std::optional<clock_source::duration> on_malformed(unsigned run) const;

  /// Forgets the failures (resume() after a pause).
  void reset() noexcept;

  [[nodiscard]] const retry_policy& policy() const noexcept { return policy_; }

 private:
  retry_policy policy_;
  std::mt19937_64 random_;
  unsigned failures_ = 0;
  std::uint64_t progress_at_failure_ = 0;
};

/// The wait a response's Retry-After asks for (RFC 9110 §10.2.3), if it says one.
[[nodiscard]] std::optional<std::chrono::seconds> retry_after_of(const http::response_head& head);

}  // namespace ferry::engine
