// Fuzzes redirect handling: a base URL, a status byte and a Location. Whatever the Location,
// the next request must be writable, must not leak credentials to another origin, and must be
// http(s), and must hold only visible ASCII (a Location's spaces and raw UTF-8 are encoded).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/http/redirect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  constexpr unsigned statuses[] = {301, 302, 303, 307, 308, 200, 300, 304};
  const unsigned status = statuses[data[0] % 8];
  const std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
  const auto split = rest.find('\n');
  std::error_code ec;
  ferry::http::request sent;
  sent.method = (data[0] & 0x80) != 0 ? "POST" : "GET";
  sent.url = ferry::http::url::parse(
      split == std::string_view::npos ? "http://user:pw@origin.test/a/b" : rest.substr(0, split),
      ec);
  if (ec) {
    return 0;
  }
  sent.fields = {{"Authorization", "Basic x"}, {"Cookie", "a=b"}};
  const std::string_view location = split == std::string_view::npos ? rest : rest.substr(split + 1);
  const auto next = ferry::http::follow_redirect(sent, status, location, 0, {}, ec);
  if (!next) {
    return 0;
  }
  if (next->url.origin() != sent.url.origin()) {
    for (const auto& f : next->fields) {
      if (ferry::http::iequals(f.name, "authorization") || ferry::http::iequals(f.name, "cookie")) {
        std::abort();
      }
    }
    if (next->url.has_credentials()) {
      std::abort();
    }
  }
  // Whatever raw bytes the Location held (spaces, UTF-8), the URL that is followed holds only
  // visible ASCII: encode_location encoded them, or the redirect was refused.
  for (const char c : next->url.text()) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      std::abort();
    }
  }
  (void)ferry::http::write_head(*next, ferry::http::target_form::origin, ec);
  if (ec) {
    std::abort();  // a followed redirect must be sendable
  }
  return 0;
}
