// RFC 9110 §10.2.3 and §5.6.7:
//
//   Retry-After  = HTTP-date / delay-seconds
//   delay-seconds = 1*DIGIT
//   HTTP-date    = IMF-fixdate / obs-date
//   IMF-fixdate  = day-name "," SP day SP month SP year SP time-of-day SP "GMT"
//   rfc850-date  = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"
//   asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
//   time-of-day  = hour ":" minute ":" second        ; 2DIGIT each
#include "ferry/http/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "text.hpp"

namespace ferry::http {
namespace {

constexpr std::array<std::string_view, 7> day_names = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_day_names = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads the date's pieces left to right; every method consumes on success only.
class cursor {
 public:
  explicit cursor(std::string_view text) : rest_(text) {}

  bool literal(std::string_view s) {
    if (!rest_.starts_with(s)) {
      return false;
    }
    rest_.remove_prefix(s.size());
    return true;
  }
  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, unsigned* index = nullptr) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        if (index != nullptr) {
          *index = static_cast<unsigned>(i);
        }
        return true;
      }
    }
    return false;
  }
  // Exactly `count` digits.
  bool digits(std::size_t count, unsigned& value) {
    if (rest_.size() < count) {
      return false;
    }
    unsigned v = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = rest_[i];
      if (c < '0' || c > '9') {
        return false;
      }
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    rest_.remove_prefix(count);
    value = v;
    return true;
  }
  bool time_of_day(unsigned& h, unsigned& m, unsigned& s) {
    return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s) && h < 24 &&
           m < 60 && s < 61;  // 60: a leap second
  }
  [[nodiscard]] bool done() const noexcept { return rest_.empty(); }

 private:
  std::string_view rest_;
};

struct fields {
  unsigned year = 0;
  unsigned month = 0;  // 0-11
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
};

bool imf_fixdate(std::string_view text, fields& f) {
  cursor c{text};
  return c.one_of(day_names) && c.literal(", ") && c.digits(2, f.day) && c.literal(" ") &&
         c.one_of(month_names, &f.month) && c.literal(" ") && c.digits(4, f.year) &&
         c.literal(" ") && c.time_of_day(f.hour, f.minute, f.second) && c.literal(" GMT") &&
         c.done();
}

bool rfc850_date(std::string_view text, fields& f) {
  cursor c{text};
  unsigned yy = 0;
  const bool ok = c.one_of(long_day_names) && c.literal(", ") && c.digits(2, f.day) &&
                  c.literal("-") && c.one_of(month_names, &f.month) && c.literal("-") &&
                  c.digits(2, yy) && c.literal(" ") && c.time_of_day(f.hour, f.minute, f.second) &&
                  c.literal(" GMT") && c.done();
  f.year = yy < 70 ? 2000 + yy : 1900 + yy;
  return ok;
}

bool asctime_date(std::string_view text, fields& f) {
  cursor c{text};
  if (!(c.one_of(day_names) && c.literal(" ") && c.one_of(month_names, &f.month) &&
        c.literal(" "))) {
    return false;
  }
  if (!(c.literal(" ") ? c.digits(1, f.day) : c.digits(2, f.day))) {
    return false;
  }
  return c.literal(" ") && c.time_of_day(f.hour, f.minute, f.second) && c.literal(" ") &&
         c.digits(4, f.year) && c.done();
}

}  // namespace

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  fields f;
  if (!imf_fixdate(text, f) && !rfc850_date(text, f) && !asctime_date(text, f)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{static_cast<int>(f.year)},
                                         std::chrono::month{f.month + 1}, std::chrono::day{f.day}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{date} + std::chrono::hours{f.hour} + std::chrono::minutes{f.minute} +
         std::chrono::seconds{f.second};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  value = detail::trim(value);
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    constexpr std::int64_t cap = 999'999'999;
    std::int64_t seconds = 0;
    for (const char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > cap) {
        return std::chrono::seconds{cap};
      }
    }
    return std::chrono::seconds{seconds};
  }
  const auto at = parse_http_date(value);
  if (!at) {
    return std::nullopt;
  }
  // In whole seconds: `at` has no fraction, so the wait rounded up is `at` less `now` rounded
  // down (and no nanosecond count can overflow on a date in year 9999).
  const std::chrono::seconds wait = *at - std::chrono::floor<std::chrono::seconds>(now);
  return std::clamp(wait, std::chrono::seconds{0}, std::chrono::seconds{999'999'999});
}

}  // namespace ferry::http
