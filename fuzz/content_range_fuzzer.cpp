// Fuzzes Content-Range parsing: whatever parses formats back to text that parses to the same
// range, and the invariants of a range hold (first <= last < complete).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/http/content_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = ferry::http::parse_content_range({reinterpret_cast<const char*>(data), size});
  if (!r) {
    return 0;
  }
  if (r->first && (*r->first > *r->last || (r->complete && *r->last >= *r->complete))) {
    std::abort();
  }
  if (ferry::http::parse_content_range(ferry::http::to_string(*r)) != r) {
    std::abort();
  }
  return 0;
}
