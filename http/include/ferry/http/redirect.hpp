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

/// A `Location` value as browsers read it (the WHATWG URL standard's percent-encode sets):
/// surrounding spaces removed, and in its path, query and fragment every space, every byte of
/// 0x80 and above (UTF-8 in a query, say) and each of `"` `<` `>` `` ` `` `{` `}` `|` `^`
/// (and a second `#`) percent-encoded, as curl and browsers send them. Nothing else changes:
/// the authority is left as it is, and what `url::resolve` refuses (controls, CR, LF, NUL, a
/// host that normalization would change, a lone `%`, a backslash) is still refused after this.
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
