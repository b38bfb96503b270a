// Fuzzes endpoint::parse: any text, any port; a parsed endpoint must print and parse back to
// itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/engine/io/endpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const auto port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const std::string_view text{reinterpret_cast<const char*>(data + 2), size - 2};
  std::error_code ec;
  const auto e = ferry::engine::endpoint::parse(text, port, ec);
  if (ec) {
    return 0;
  }
  const auto again = ferry::engine::endpoint::parse(e.address(), port, ec);
  if (ec || !(again == e)) {
    std::abort();
  }
  return 0;
}
