#include "ferry/http/retry_after.hpp"

#include <gtest/gtest.h>

namespace ferry::http {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// 1994-11-06T08:49:37Z, the date of RFC 9110's examples.
const system_clock::time_point example = system_clock::from_time_t(784111777);

TEST(HttpDate, TheThreeFormsOfRfc9110AreTheSameInstant) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), example);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), example);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), example);
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), std::chrono::sys_seconds{});
  EXPECT_EQ(parse_http_date("Friday, 01-Jan-38 00:00:00 GMT"),
            std::chrono::sys_seconds{2145916800s});  // a two-digit year below 70 is 20yy
}

TEST(HttpDate, AnythingElseIsRefused) {
  for (const char* bad : {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                          "Sun, 06 Nov 1994 08:60:00 GMT", "Sunday, 06 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 GMT ", "Xyz, 06 Nov 1994 08:49:37 GMT",
                          "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z"}) {
    EXPECT_FALSE(parse_http_date(bad)) << '"' << bad << '"';
  }
}

TEST(HttpDate, DatesPastTheNanosecondClocksEndAreStillDates) {
  // Found by retry_after_fuzzer: a nanosecond time_point overflows after 2262.
  const auto far = parse_http_date("Sun Nov  6 08:49:37 3988");
  ASSERT_TRUE(far);
  EXPECT_EQ(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(*far)}.year(),
            std::chrono::year{3988});
  EXPECT_TRUE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"));
  EXPECT_TRUE(parse_http_date("Mon, 01 Jan 0001 00:00:00 GMT"));
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", example), 999'999'999s);
}

TEST(RetryAfter, SecondsOrADateLessNow) {
  EXPECT_EQ(parse_retry_after("120", example), 120s);
  EXPECT_EQ(parse_retry_after(" 7 ", example), 7s);
  EXPECT_EQ(parse_retry_after("0", example), 0s);
  EXPECT_EQ(parse_retry_after("99999999999999999999999", example), 999'999'999s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", example), 30s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", example + 500ms), 0s);  // past
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:38 GMT", example + 500ms), 1s);  // rounds up
}

TEST(RetryAfter, ValuesThatAreNeitherAreEmpty) {
  for (const char* bad : {"", "  ", "-5", "+5", "5s", "1.5", "0x10", "soon", "120, 60"}) {
    EXPECT_FALSE(parse_retry_after(bad, example)) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace ferry::http
