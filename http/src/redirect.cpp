#include "ferry/http/redirect.hpp"

#include "ferry/http/error.hpp"

namespace ferry::http {

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
  if (!location || location->empty()) {
    ec = error::missing_location;
    return std::nullopt;
  }
  url target = sent.url.resolve(*location, ec);
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
