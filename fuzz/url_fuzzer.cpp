// Fuzzes http::url: parsing is idempotent (a parsed URL's text parses to itself), and nothing
// a parsed URL puts on the wire (target, Host, absolute form) holds CR, LF, NUL or a space.
// Resolution of the second half of the input against the first obeys the same rules.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/http/url.hpp"

namespace {

void check_wire_safe(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0' || c == ' ') {
      std::abort();
    }
  }
}

void check(const ferry::http::url& u) {
  check_wire_safe(u.target());
  check_wire_safe(u.host_header());
  check_wire_safe(u.absolute_target());
  std::error_code ec;
  const auto again = ferry::http::url::parse(u.text(), ec);
  if (ec || !(again == u) || again.origin() != u.origin() || again.target() != u.target()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  const auto split = input.find('\n');
  std::error_code ec;
  const auto base = ferry::http::url::parse(input.substr(0, split), ec);
  if (ec) {
    return 0;
  }
  check(base);
  if (split != std::string_view::npos) {
    const auto resolved = base.resolve(input.substr(split + 1), ec);
    if (!ec) {
      check(resolved);
    }
  }
  return 0;
}
