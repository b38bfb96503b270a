#include "ferry/engine/io/endpoint.hpp"

#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"

namespace ferry::engine {
namespace {

TEST(Endpoint, ParsesAndPrintsV4) {
  const endpoint e = endpoint::parse("127.0.0.1", 8080);
  EXPECT_FALSE(e.is_v6());
  EXPECT_EQ(e.port(), 8080);
  EXPECT_EQ(e.address(), "127.0.0.1");
  EXPECT_EQ(e.to_string(), "127.0.0.1:8080");
}

TEST(Endpoint, ParsesAndPrintsV6WithBrackets) {
  const endpoint e = endpoint::parse("::1", 443);
  EXPECT_TRUE(e.is_v6());
  EXPECT_EQ(e.to_string(), "[::1]:443");
  EXPECT_EQ(e.bytes()[15], 1);
}

TEST(Endpoint, RejectsNamesAndGarbage) {
  std::error_code ec;
  (void)endpoint::parse("localhost", 80, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  (void)endpoint::parse("1.2.3.4.5", 80, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  (void)endpoint::parse("::1%", 80, ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_THROW((void)endpoint::parse("", 80), std::system_error);
}

}  // namespace
}  // namespace ferry::engine
