// Fuzzes Retry-After and HTTP-date parsing: no input crashes or overflows; a parsed date lies
// in years 0000 to 9999 and, from 1970 on, reads back from its IMF-fixdate form to the same
// instant; a wait is never negative nor above the cap; a date's wait is the date less `now`,
// rounded up to a second and capped.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "ferry/http/retry_after.hpp"

namespace {

using std::chrono::system_clock;

// The IMF-fixdate form of `at` (whole seconds since 1970 or later).
std::string imf_fixdate(std::chrono::sys_seconds at) {
  static constexpr const char* days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss time{at - day};
  const auto weekday = static_cast<std::size_t>(((day.time_since_epoch().count() % 7) + 7) %
                                                7);  // 1970-01-01 was a Thursday
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d GMT", days[weekday],
                static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  const system_clock::time_point now = system_clock::from_time_t(1'700'000'000);
  if (const auto at = ferry::http::parse_http_date(text)) {
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(*at)};
    if (!ymd.ok() || ymd.year() < std::chrono::year{0} || ymd.year() > std::chrono::year{9999}) {
      std::abort();
    }
    if (at->time_since_epoch().count() >= 0 &&
        ferry::http::parse_http_date(imf_fixdate(*at)) != at) {
      std::abort();
    }
  }
  const auto wait = ferry::http::parse_retry_after(text, now);
  if (wait && (wait->count() < 0 || wait->count() > 999'999'999)) {
    std::abort();
  }
  if (const auto at = ferry::http::parse_http_date(text)) {
    const std::chrono::seconds whole = *at - std::chrono::floor<std::chrono::seconds>(now);
    const auto expected =
        std::clamp(whole, std::chrono::seconds{0}, std::chrono::seconds{999'999'999});
    if (wait != expected) {
      std::abort();
    }
  }
  return 0;
}
