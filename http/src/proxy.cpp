#include "ferry/http/proxy.hpp"

#include <cstdlib>

#include "ferry/http/response_head.hpp"
#include "text.hpp"

namespace ferry::http {
namespace {

using detail::trim;

const char* env(const char* lower, const char* upper) {
  const char* value = lower != nullptr ? std::getenv(lower) : nullptr;
  if ((value == nullptr || *value == '\0') && upper != nullptr) {
    value = std::getenv(upper);
  }
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

bool bypasses_proxy(std::string_view host, std::string_view no_proxy) {
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    std::string_view entry = trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (entry == "*") {
      return true;
    }
    if (!entry.empty() && entry.front() == '.') {
      entry.remove_prefix(1);
    }
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
      entry = entry.substr(1, entry.size() - 2);
    }
    if (entry.empty()) {
      continue;
    }
    if (iequals(host, entry)) {
      return true;
    }
    if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
        iequals(host.substr(host.size() - entry.size()), entry)) {
      return true;
    }
  }
  return false;
}

std::optional<url> proxy_settings::for_target(const url& target) const {
  if (!proxy || bypasses_proxy(target.host(), no_proxy)) {
    return std::nullopt;
  }
  return proxy;
}

proxy_settings proxy_settings::from_environment(const url& target) {
  proxy_settings settings;
  // curl ignores HTTP_PROXY (uppercase): a CGI program would get it from a request header.
  const char* chosen =
      target.is_https() ? env("https_proxy", "HTTPS_PROXY") : env("http_proxy", nullptr);
  if (chosen == nullptr) {
    chosen = env("all_proxy", "ALL_PROXY");
  }
  if (chosen != nullptr) {
    std::error_code ec;
    std::string text{chosen};
    if (text.find("://") == std::string::npos) {
      text = "http://" + text;  // curl's default scheme for a proxy
    }
    url parsed = url::parse(text, ec);
    if (!ec) {
      settings.proxy = std::move(parsed);
    }
  }
  if (const char* list = env("no_proxy", "NO_PROXY")) {
    settings.no_proxy = list;
  }
  return settings;
}

}  // namespace ferry::http
