// Small text helpers shared by http/'s parsers (private to the library).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace ferry::http::detail {

/// Without surrounding spaces and tabs (RFC 9110's OWS).
[[nodiscard]] inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// ASCII lowercase.
[[nodiscard]] inline std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace ferry::http::detail
