// ferry::http::proxy_settings — which proxy a request goes through, curl's way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ferry/http/url.hpp"

namespace ferry::http {

/// A forward proxy for http:// and https:// targets, and the hosts that bypass it. `http://`
/// targets are sent to the proxy in absolute form; `https://` ones through a CONNECT tunnel, so
/// that the proxy sees only the host and port. The proxy URL's credentials become
/// `Proxy-Authorization: Basic`.
struct proxy_settings {
  std::optional<url> proxy;
  /// curl's NO_PROXY: comma-separated host names, domain suffixes ("example.com" or
  /// ".example.com" both match "a.example.com"), IP addresses, or "*" for every host.
  std::string no_proxy;

  /// The proxy to use for `target`, or none (no proxy, or the target bypasses it).
  [[nodiscard]] std::optional<url> for_target(const url& target) const;

  /// From the environment, as curl reads it: http_proxy (lowercase only), HTTPS_PROXY or
  /// https_proxy, ALL_PROXY or all_proxy, NO_PROXY or no_proxy. An unparsable proxy URL is
  /// ignored.
  [[nodiscard]] static proxy_settings from_environment(const url& target);
};

/// True when `host` matches an entry of the NO_PROXY list `no_proxy`.
[[nodiscard]] bool bypasses_proxy(std::string_view host, std::string_view no_proxy);

}  // namespace ferry::http
