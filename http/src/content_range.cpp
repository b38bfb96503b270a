// RFC 9110 §14.4:
//   Content-Range     = range-unit SP ( range-resp / unsatisfied-range )
//   range-resp        = incl-range "/" ( complete-length / "*" )
//   incl-range        = first-pos "-" last-pos
//   unsatisfied-range = "*/" complete-length
#include "ferry/http/content_range.hpp"

#include <charconv>

#include "ferry/http/response_head.hpp"

namespace ferry::http {
namespace {

// 1 to 19 digits, nothing else (no sign, no spaces), no overflow.
std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<content_range> parse_content_range(std::string_view value) {
  constexpr std::string_view unit = "bytes ";
  if (value.size() < unit.size() || !iequals(value.substr(0, unit.size()), unit)) {
    return std::nullopt;
  }
  value.remove_prefix(unit.size());
  const auto slash = value.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view range = value.substr(0, slash);
  const std::string_view complete = value.substr(slash + 1);
  content_range r;
  if (complete != "*") {
    r.complete = number(complete);
    if (!r.complete) {
      return std::nullopt;
    }
  }
  if (range == "*") {
    return r.complete ? std::optional{r} : std::nullopt;  // "bytes */*" says nothing
  }
  const auto dash = range.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  r.first = number(range.substr(0, dash));
  r.last = number(range.substr(dash + 1));
  if (!r.first || !r.last || *r.first > *r.last || (r.complete && *r.last >= *r.complete)) {
    return std::nullopt;
  }
  return r;
}

std::string to_string(const content_range& r) {
  std::string out = "bytes ";
  out += r.first ? std::to_string(*r.first) + "-" + std::to_string(*r.last) : "*";
  out += "/";
  out += r.complete ? std::to_string(*r.complete) : "*";
  return out;
}

std::string byte_range(std::uint64_t first, std::optional<std::uint64_t> last) {
  return "bytes=" + std::to_string(first) + "-" + (last ? std::to_string(*last) : "");
}

bool answers(const content_range& got, std::uint64_t first, std::optional<std::uint64_t> last,
             std::optional<std::uint64_t> known_complete) {
  if (!got.first || *got.first != first) {
    return false;
  }
  if (known_complete && got.complete != known_complete) {
    return false;
  }
  if (last) {
    return *got.last == *last;
  }
  // An open range ("bytes=first-") must be answered to the end of a known length.
  return got.complete && *got.last + 1 == *got.complete;
}

}  // namespace ferry::http
