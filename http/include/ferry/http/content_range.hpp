// ferry::http content ranges — the Range a resuming download sends and the Content-Range it
// must get back (RFC 9110 §14).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::http {

/// A parsed Content-Range value: "bytes first-last/complete", "bytes first-last/*", or (with a
/// 416) "bytes */complete".
struct content_range {
  std::optional<std::uint64_t> first;     ///< empty for "bytes */complete"
  std::optional<std::uint64_t> last;      ///< inclusive
  std::optional<std::uint64_t> complete;  ///< the whole representation's length, if stated

  friend bool operator==(const content_range&, const content_range&) = default;
};

/// Parses a Content-Range value strictly:
///   Content-Range = range-unit SP ( range-resp / unsatisfied-range )
///   range-resp = first-pos "-" last-pos "/" ( complete-length / "*" )
///   unsatisfied-range = "*/" complete-length
/// The unit must be "bytes"; numbers are 1 to 19 digits (no sign, no overflow); first <= last,
/// and last < complete when both are known. Empty on anything else.
[[nodiscard]] std::optional<content_range> parse_content_range(std::string_view value);

/// "bytes first-last/complete" (or "/*", or "bytes */complete").
[[nodiscard]] std::string to_string(const content_range& r);

/// The Range value that asks for bytes from `first` to `last` inclusive, or to the end:
/// "bytes=first-" or "bytes=first-last".
[[nodiscard]] std::string byte_range(std::uint64_t first,
                                     std::optional<std::uint64_t> last = std::nullopt);

/// Whether a 206's Content-Range is exactly what was asked (`first`, and `last` or to the end)
/// and agrees with a complete length already known. A resuming download accepts nothing else.
[[nodiscard]] bool answers(const content_range& got, std::uint64_t first,
                           std::optional<std::uint64_t> last,
                           std::optional<std::uint64_t> known_complete);

}  // namespace ferry::http
