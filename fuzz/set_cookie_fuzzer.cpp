// Fuzzes Set-Cookie handling: every line of the input is a Set-Cookie from one of a few
// origins. Whatever is stored, the Cookie header ferry would send holds no CR, LF or NUL, the
// caps hold, and the jar survives a round trip through cookies.txt unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/http/cookie_jar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ferry::http;
  static const url origins[] = {url::parse("http://www.example.com/a/b"),
                                url::parse("https://shop.example.co.uk/"),
                                url::parse("http://127.0.0.1:8080/x")};
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  cookie_jar jar{cookie_limits{16, 8, 512}};
  std::string_view input{reinterpret_cast<const char*>(data), size};
  std::size_t line = 0;
  while (!input.empty()) {
    const auto end = input.find('\n');
    (void)jar.set(input.substr(0, end), origins[line++ % 3], now);
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
  }
  if (jar.size() > 16) {
    std::abort();
  }
  for (const auto& to : origins) {
    for (char c : jar.header_for(to, now)) {
      if (c == '\r' || c == '\n' || c == '\0') {
        std::abort();
      }
    }
  }
  const std::string saved = jar.to_netscape(now);
  cookie_jar again{cookie_limits{16, 8, 512}};
  again.load_netscape(saved, now);
  if (again.to_netscape(now) != saved) {
    std::abort();
  }
  return 0;
}
