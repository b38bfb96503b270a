// ferry::http::response_head — a response's status line and header fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::http {

/// One header or trailer field, as received (name case kept; value without surrounding
/// whitespace; obs-fold replaced by spaces).
struct field {
  std::string name;
  std::string value;
};

/// The status line and fields of one response (informational or final).
struct response_head {
  unsigned status = 0;
  unsigned version = 11;  ///< 10 or 11
  std::string reason;
  std::vector<field> fields;

  /// The first field named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const;
  /// Every field named `name`, in order.
  [[nodiscard]] std::vector<std::string_view> find_all(std::string_view name) const;

  /// The body's length when the response says it (Content-Length); empty for chunked or
  /// close-delimited bodies and for bodiless responses.
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
};

/// ASCII case-insensitive comparison, for field names and tokens.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace ferry::http
