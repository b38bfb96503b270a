// ferry::http::cookie_jar — RFC 6265 cookies: Set-Cookie in, Cookie out, cookies.txt both ways.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/http/url.hpp"

namespace ferry::http {

/// One stored cookie (RFC 6265 §5.3).
struct cookie {
  using time_point = std::chrono::system_clock::time_point;

  std::string name;
  std::string value;
  std::string domain;  ///< lowercase, no leading dot
  std::string path;
  bool host_only = true;  ///< sent to `domain` only, not its subdomains
  bool secure = false;
  bool http_only = false;
  std::optional<time_point> expires;  ///< empty: a session cookie
  time_point created{};
};

struct cookie_limits {
  std::size_t max_cookies = 3000;
  std::size_t max_per_domain = 180;
  std::size_t max_size = 4096;  ///< name and value together
};

/// A cookie store, as RFC 6265 §5 describes a user agent's. Refuses cookies for a public
/// suffix (libpsl with the system's public suffix list), a Domain the request host is not in,
/// a Secure cookie set over http, names or values with control characters, and cookies over
/// the size cap; evicts expired cookies first, then the oldest, to keep to the count caps.
/// Thread-safe.
class cookie_jar {
 public:
  using time_point = cookie::time_point;

  explicit cookie_jar(cookie_limits limits = {});

  /// Stores the cookie of one `Set-Cookie` value received from `from`. Returns false (and
  /// stores nothing) when the cookie is refused or malformed.
  bool set(std::string_view set_cookie, const url& from,
           time_point now = std::chrono::system_clock::now());

  /// The `Cookie` value for a request to `to`: "name=value; ..." (longest paths first, then
  /// oldest), empty when no cookie applies (§5.4).
  [[nodiscard]] std::string header_for(const url& to,
                                       time_point now = std::chrono::system_clock::now()) const;

  /// Adds the cookies of a Netscape cookies.txt (curl's -b FILE). Lines that are malformed or
  /// hold control characters are skipped; returns how many cookies were added.
  std::size_t load_netscape(std::string_view text,
                            time_point now = std::chrono::system_clock::now());
  /// The jar as a Netscape cookies.txt (curl's -c FILE); expired cookies are left out.
  [[nodiscard]] std::string to_netscape(time_point now = std::chrono::system_clock::now()) const;

  [[nodiscard]] std::vector<cookie> cookies() const;
  [[nodiscard]] std::size_t size() const;

 private:
  void store(cookie c, time_point now);

  cookie_limits limits_;
  mutable std::mutex mutex_;
  std::vector<cookie> cookies_;
};

}  // namespace ferry::http
