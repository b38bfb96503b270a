#include "ferry/http/url.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>

#include "ferry/http/error.hpp"

namespace ferry::http {
namespace {

namespace urls = boost::urls;

bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// A host name may hold only what DNS names and IP literals hold; a percent-encoded byte that
// decodes to anything else (a CR, a slash, an '@') could split a Host header or a request.
bool is_safe_host(std::string_view host) noexcept {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == ':';
  });
}

// RFC 3986 §3.3: after an authority the path is path-abempty, empty or starting with "/".
// Boost.URL 1.81 ends an authority at a stray character and accepts a path without the "/"
// ("http://a:2%40b/" parses as port 2 and path "%40b/"); rebuilding such a URL glues the path
// onto the authority and names another host. Refused, as is a non-numeric port, and (in depth)
// any URL whose host, port or credentials normalization would change.
bool is_strict_authority(const urls::url_view_base& u) {
  const auto path = u.encoded_path();
  const auto port = u.port();
  return (path.empty() || path.front() == '/') &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct authority_meaning {
  std::string host;
  std::string port;
  std::string user;
  std::string password;
  bool operator==(const authority_meaning&) const = default;
};

authority_meaning meaning_of(const urls::url_view_base& u) {
  std::string host = u.host();
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return {host, std::string{u.port()}, u.user(), u.password()};
}

}  // namespace

std::string origin::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

url url::parse(std::string_view text, std::error_code& ec) {
  ec = {};
  if (std::any_of(text.begin(), text.end(), is_control)) {
    ec = error::invalid_url;
    return {};
  }
  auto parsed = urls::parse_uri(text);
  if (!parsed) {
    ec = error::invalid_url;
    return {};
  }
  urls::url u{*parsed};
  if (!is_strict_authority(*parsed)) {
    ec = error::invalid_url;
    return {};
  }
  u.normalize();
  if (!is_strict_authority(u) || meaning_of(u) != meaning_of(*parsed)) {
    ec = error::invalid_url;
    return {};
  }
  const auto scheme = u.scheme_id();
  if ((scheme != urls::scheme::http && scheme != urls::scheme::https) || !u.has_authority()) {
    ec = error::invalid_url;
    return {};
  }

  url result;
  result.origin_.scheme = scheme == urls::scheme::https ? "https" : "http";
  switch (u.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::name:
      result.origin_.host = u.host();
      break;
    case urls::host_type::ipv6:
      result.origin_.host = u.host_address();
      result.ipv6_ = true;
      break;
    default:
      ec = error::invalid_url;
      return {};
  }
  std::transform(result.origin_.host.begin(), result.origin_.host.end(),
                 result.origin_.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!is_safe_host(result.origin_.host) ||
      (!result.ipv6_ && result.origin_.host.find(':') != std::string::npos)) {
    ec = error::invalid_url;
    return {};
  }
  if (u.has_port()) {
    const auto port = u.port();
    if (port.empty() || port.size() > 5 || u.port_number() == 0 ||
        std::stoul(std::string{port}) > 65535) {
      ec = error::invalid_url;
      return {};
    }
    result.origin_.port = u.port_number();
  } else {
    result.origin_.port = scheme == urls::scheme::https ? 443 : 80;
  }

  result.has_credentials_ = u.has_userinfo();
  result.user_ = u.user();
  result.password_ = u.password();
  std::string path{u.encoded_path()};
  result.target_ = path.empty() ? "/" : path;
  if (u.has_query()) {
    result.target_ += '?';
    result.target_ += u.encoded_query();
  }
  result.text_ = u.buffer();
  return result;
}

url url::parse(std::string_view text) {
  std::error_code ec;
  url result = parse(text, ec);
  if (ec) {
    throw std::system_error{ec, "url::parse"};
  }
  return result;
}

url url::resolve(std::string_view reference, std::error_code& ec) const {
  ec = {};
  if (std::any_of(reference.begin(), reference.end(), is_control)) {
    ec = error::invalid_url;
    return {};
  }
  auto ref = urls::parse_uri_reference(reference);
  if (!ref) {
    ec = error::invalid_url;
    return {};
  }
  urls::url base{urls::parse_uri(text_).value()};
  urls::url resolved;
  if (!urls::resolve(base, *ref, resolved)) {
    ec = error::invalid_url;
    return {};
  }
  if (!ref->has_fragment() && base.has_fragment()) {
    resolved.set_encoded_fragment(base.encoded_fragment());
  }
  return parse(resolved.buffer(), ec);
}

url url::resolve(std::string_view reference) const {
  std::error_code ec;
  url result = resolve(reference, ec);
  if (ec) {
    throw std::system_error{ec, "url::resolve"};
  }
  return result;
}

std::string url::host_header() const {
  std::string value = ipv6_ ? "[" + origin_.host + "]" : origin_.host;
  const std::uint16_t default_port = is_https() ? 443 : 80;
  if (origin_.port != default_port) {
    value += ':' + std::to_string(origin_.port);
  }
  return value;
}

std::string url::absolute_target() const {
  return origin_.scheme + "://" + host_header() + target_;
}

url url::without_credentials() const {
  urls::url u{urls::parse_uri(text_).value()};
  u.remove_userinfo();
  return parse(u.buffer());
}

}  // namespace ferry::http
