// ferry::http::error — failures to get a well-formed HTTP/1.1 message.
#pragma once

#include <system_error>

namespace ferry::http {

/// Protocol failures. An HTTP status (404, 500) is never one of these: it is a response the
/// caller inspects. Flow control (`need_more`) is kept apart from failures.
enum class error {
  // Flow control.
  need_more = 1,  ///< The bytes so far end inside a message element; supply more.

  // Malformed messages.
  bad_status_line,         ///< The status line is not `HTTP/1.x NNN [reason]` (garbage, say).
  bad_header,              ///< A header line is malformed or has a forbidden character.
  header_too_large,        ///< The header section exceeds its limit.
  body_too_large,          ///< The body exceeds the limit set for this transfer.
  bad_content_length,      ///< Content-Length is not a single non-negative decimal that fits.
  bad_transfer_encoding,   ///< A transfer coding other than a single `chunked`.
  bad_chunk,               ///< A chunk size or chunk framing is malformed.
  conflicting_framing,     ///< Both Content-Length and Transfer-Encoding are present.
  too_many_informational,  ///< More 1xx responses than allowed before the final one.
  partial_message,         ///< The connection closed inside a response (after its first byte).

  // Request construction.
  invalid_field,  ///< A user-supplied name or value contains CR, LF or NUL.
  invalid_url,    ///< A URL could not be parsed or uses an unsupported scheme.

  // Redirects.
  too_many_redirects,  ///< More redirects than the policy allows.
  insecure_redirect,   ///< A redirect from https to http, refused by the policy.
  missing_location,    ///< A redirect status without a usable Location.

  // Proxies.
  tunnel_refused,  ///< The proxy answered CONNECT with a non-2xx status (a 407, say).

  // Malformed messages, added later (appended, so that every value keeps its number).
  unsupported_version,  ///< The status line names a version other than HTTP/1.0 and 1.1.
  empty_reply,          ///< The connection closed before the first byte of a response.
  no_final_response,    ///< The connection closed after an interim (1xx) response, before the
                        ///< final one.
};

/// Groups for the http layer's callers. The engine's `condition` classifies these codes too
/// (`retryable` or `malformed` for every protocol code), and retries and exit codes are
/// derived from the engine's groups.
enum class condition {
  protocol = 1,  ///< The peer sent something that is not valid HTTP/1.1.
  usage,         ///< The caller supplied something that cannot be sent.
  redirect,      ///< A redirect could not be followed under the policy.
  refused,       ///< A peer answered, validly, with a refusal (a proxy's 407 to CONNECT).
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] const std::error_category& condition_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}
[[nodiscard]] inline std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

}  // namespace ferry::http

template <>
struct std::is_error_code_enum<ferry::http::error> : std::true_type {};
template <>
struct std::is_error_condition_enum<ferry::http::condition> : std::true_type {};
