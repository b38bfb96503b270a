// ferry::http::is_retryable_status — which final statuses say "try again later".
#pragma once

namespace ferry::http {

/// True for the statuses that a later attempt may well turn into success: 408 Request
/// Timeout, 429 Too Many Requests, 500 Internal Server Error, 502 Bad Gateway, 503 Service
/// Unavailable and 504 Gateway Timeout (the set curl's --retry uses). A `Retry-After` on them
/// says how long to wait (RFC 9110 §10.2.3).
[[nodiscard]] bool is_retryable_status(unsigned status) noexcept;

}  // namespace ferry::http
