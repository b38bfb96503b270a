// ferry::http::url — an absolute http(s) URL, parsed and normalized with Boost.URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace ferry::http {

/// What decides whether credentials may follow a redirect and which connections may be
/// reused: scheme, host and port (RFC 6454).
struct origin {
  std::string scheme;      ///< "http" or "https"
  std::string host;        ///< lowercase; an IPv6 address without brackets
  std::uint16_t port = 0;  ///< explicit, or the scheme's default

  /// "https://example.com:443" (the port always written).
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const origin&, const origin&) = default;
};

/// An absolute `http` or `https` URL. Parsing normalizes it (RFC 3986 §6: lowercase scheme and
/// host, percent-encoding normalized, dot segments removed) and rejects what cannot be sent
/// safely: control characters anywhere (raw, or percent-encoded in the host), other schemes, a
/// missing host, port 0.
class url {
 public:
  /// Errors: `http::error::invalid_url`.
  [[nodiscard]] static url parse(std::string_view text, std::error_code& ec);
  [[nodiscard]] static url parse(std::string_view text);

  /// Resolves `reference` (a `Location` value: absolute, or relative to this URL) per RFC 3986
  /// §5; the result must again be an http(s) URL. A fragment of this URL is kept when the
  /// reference has none (RFC 9110 §10.2.2). Errors: `invalid_url`.
  [[nodiscard]] url resolve(std::string_view reference, std::error_code& ec) const;
  [[nodiscard]] url resolve(std::string_view reference) const;

  /// The normalized URL, credentials included.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool is_https() const noexcept { return origin_.scheme == "https"; }
  [[nodiscard]] const http::origin& origin() const noexcept { return origin_; }
  [[nodiscard]] const std::string& host() const noexcept { return origin_.host; }
  [[nodiscard]] std::uint16_t port() const noexcept { return origin_.port; }

  /// The request target in origin form: the path ("/" when empty) and "?query"; never the
  /// fragment. Still percent-encoded.
  [[nodiscard]] const std::string& target() const noexcept { return target_; }
  /// The `Host` header's value: the host (IPv6 in brackets) and ":port" unless it is the
  /// scheme's default.
  [[nodiscard]] std::string host_header() const;
  /// The request target in absolute form (for a forward proxy): no credentials, no fragment.
  [[nodiscard]] std::string absolute_target() const;

  [[nodiscard]] bool has_credentials() const noexcept { return has_credentials_; }
  /// Percent-decoded user and password (empty when absent).
  [[nodiscard]] const std::string& user() const noexcept { return user_; }
  [[nodiscard]] const std::string& password() const noexcept { return password_; }
  /// The same URL with user and password removed (for a redirect to another origin).
  [[nodiscard]] url without_credentials() const;

  friend bool operator==(const url& a, const url& b) noexcept { return a.text_ == b.text_; }

 private:
  std::string text_;
  http::origin origin_;
  std::string target_;
  std::string user_;
  std::string password_;
  bool has_credentials_ = false;
  bool ipv6_ = false;
};

}  // namespace ferry::http
