// Fuzzes cookies.txt reading: any text loads without crashing, and what was loaded writes out
// and reads back to the same file.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/http/cookie_jar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ferry::http;
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  cookie_jar jar{cookie_limits{64, 16, 1024}};
  jar.load_netscape({reinterpret_cast<const char*>(data), size}, now);
  const std::string saved = jar.to_netscape(now);
  cookie_jar again{cookie_limits{64, 16, 1024}};
  again.load_netscape(saved, now);
  if (again.to_netscape(now) != saved) {
    std::abort();
  }
  return 0;
}
