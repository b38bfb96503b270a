// ferry::http::follow_redirect — the next request after a 3xx, under a policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ferry/http/request.hpp"

namespace ferry::http {

struct redirect_policy {
  unsigned max_redirects = 20;
  /// Follow https -> http (curl does not either, by default).
  bool allow_https_to_http = false;
};

/// True for the statuses that redirect: 301, 302, 303, 307, 308.
[[nodiscard]] bool is_redirect(unsigned status) noexcept;

/// A `Location` value as browsers read it: surrounding spaces removed, and in its path, query
/// and fragment the bytes the WHATWG URL standard percent-encodes there (non-ASCII bytes, such
/// as UTF-8 in a query; space, `"`, `<`, `>`; `` ` ``, `{`, `}` in a path; `'` in a query)
/// percent-encoded, as curl and browsers send them. Also encoded: what those sets leave raw but
/// RFC 3986 has no raw form for (`{`, `}`, `|`, `^`, `` ` ``, a `#` inside a fragment, and a `%`
/// that begins no percent-encoding), which a server decodes to the same bytes. The authority is
/// left as it is, and what `url::resolve` refuses (controls, CR, LF, NUL, tabs, a host that
/// normalization would change, a backslash) is still refused after this.
[[nodiscard]] std::string encode_location(std::string_view location);

/// The request to send after `sent` got a redirect `status` with `location`, the
/// `redirects_so_far`-th redirect of this exchange (counting from 0). Empty when `status` is
/// not a redirect. Rules (RFC 9110 §15.4):
/// - 303 turns any method but HEAD into GET without a body; 301 and 302 turn POST into GET
///   (as every browser and curl do); 307 and 308 keep the method and the body.
/// - The location is read through `encode_location` first.
/// - When the origin (scheme, host or port) changes, `Authorization`, `Proxy-Authorization`,
///   `Cookie` fields and URL credentials are dropped: they were meant for the first origin.
/// Errors: `too_many_redirects`, `insecure_redirect` (https to http), `missing_location`,
/// `invalid_url` (unparsable, or not http/https).
[[nodiscard]] std::optional<request> follow_redirect(const request& sent, unsigned status,
                                                     std::optional<std::string_view> location,
                                                     unsigned redirects_so_far,
                                                     const redirect_policy& policy,
                                                     std::error_code& ec);

}  // namespace ferry::http
