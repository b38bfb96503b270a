// ferry::http::parse_retry_after and parse_http_date — how long a server asks to be left alone.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ferry::http {

/// An HTTP-date (RFC 9110 §5.6.7) in any of its three forms: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
/// (`Sunday, 06-Nov-94 08:49:37 GMT`; a two-digit year below 70 is 20yy, else 19yy) and asctime
/// (`Sun Nov  6 08:49:37 1994`). Empty for anything else, a date that does not exist
/// (`31 Feb`) included. The day name is checked for form, not against the date. In whole
/// seconds, so that every date of years 0000 to 9999 is representable (a nanosecond
/// `system_clock::time_point` ends in 2262).
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

/// The wait a `Retry-After` value asks for (RFC 9110 §10.2.3): `delay-seconds`, or an HTTP-date
/// less `now` rounded up to a second (zero for a date already past); either capped at
/// 999,999,999 s. Empty for a value that is neither (the caller then waits by its own backoff).
/// Surrounding spaces are allowed.
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace ferry::http
