#include "ferry/http/redirect.hpp"

#include <algorithm>

#include "ferry/http/error.hpp"

namespace ferry::http {
namespace {

bool is_scheme_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// Where the authority of a URI reference ends (0 when it has none): after "scheme://host" or
// "//host", at the first '/', '?' or '#'.
std::size_t authority_end(std::string_view ref) noexcept {
  std::size_t at = 0;
  const auto colon = ref.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      std::all_of(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(colon), is_scheme_char)) {
    at = colon + 1;
  }
  if (ref.substr(at, 2) != "//") {
    return at;
  }
  const auto end = ref.find_first_of("/?#", at + 2);
  return end == std::string_view::npos ? ref.size() : end;
}

enum class component { path, query, fragment };

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The WHATWG URL standard's percent-encode sets for a special scheme's path, query and fragment
// (non-ASCII bytes, space, `"`, `<`, `>`; `` ` ``, `{`, `}` in a path; `'` in a query; `` ` `` in
// a fragment), and also what those sets leave raw but RFC 3986 has no raw form for (`{`, `}`,
// `|`, `^`, `` ` ``, and `#` inside a fragment): the URL layer would refuse those, and a server
// decodes their encoded form to the same byte. C0 controls are not encoded: they are refused.
bool needs_encoding(unsigned char c, component in) noexcept {
  switch (c) {
    case ' ':
    case '"':
    case '<':
    case '>':
    case '`':
    case '{':
    case '}':
    case '|':
    case '^':
      return true;
    case '\'':
      return in == component::query;
    case '#':
      return in == component::fragment;
    default:
      return c >= 0x80;
  }
}

}  // namespace

std::string encode_location(std::string_view location) {
  while (!location.empty() && location.front() == ' ') {
    location.remove_prefix(1);
  }
  while (!location.empty() && location.back() == ' ') {
    location.remove_suffix(1);
  }
  static constexpr char hex[] = "0123456789ABCDEF";
  const std::size_t from = authority_end(location);
  std::string out{location.substr(0, from)};
  out.reserve(location.size());
  component in = component::path;
  const std::string_view rest = location.substr(from);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    // A '%' that begins no percent-encoding is a percent sign (browsers send it raw).
    const bool lone_percent =
        c == '%' && !(i + 2 < rest.size() && is_hex(rest[i + 1]) && is_hex(rest[i + 2]));
    if (needs_encoding(c, in) || lone_percent) {
      out += '%';
      out += hex[c >> 4U];
      out += hex[c & 0xFU];
      continue;
    }
    if (c == '?' && in == component::path) {
      in = component::query;
    } else if (c == '#' && in != component::fragment) {
      in = component::fragment;
    }
    out += static_cast<char>(c);
  }
  return out;
}

bool is_redirect(unsigned status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::optional<request> follow_redirect(const request& sent, unsigned status,
                                       std::optional<std::string_view> location,
                                       unsigned redirects_so_far, const redirect_policy& policy,
                                       std::error_code& ec) {
  ec = {};
  if (!is_redirect(status)) {
    return std::nullopt;
  }
  if (redirects_so_far >= policy.max_redirects) {
    ec = error::too_many_redirects;
    return std::nullopt;
  }
  const std::string encoded = location ? encode_location(*location) : std::string{};
  if (encoded.empty()) {
    ec = error::missing_location;
    return std::nullopt;
  }
  url target = sent.url.resolve(encoded, ec);
  if (ec) {
    return std::nullopt;
  }
  if (sent.url.is_https() && !target.is_https() && !policy.allow_https_to_http) {
    ec = error::insecure_redirect;
    return std::nullopt;
  }

  request next = sent;
  const bool to_get = (status == 303 && sent.method != "HEAD") ||
                      ((status == 301 || status == 302) && sent.method == "POST");
  if (to_get) {
    next.method = "GET";
    next.framing = body_framing::none;
    next.content_length = 0;
    next.expect_continue = false;
    next.remove("content-type");
  }
  if (target.origin() != sent.url.origin()) {
    next.remove("authorization");
    next.remove("proxy-authorization");
    next.remove("cookie");
    if (target.has_credentials()) {
      target = target.without_credentials();  // credentials in a Location are not trusted
    }
  }
  next.url = std::move(target);
  return next;
}

}  // namespace ferry::http
