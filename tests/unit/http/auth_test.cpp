#include "ferry/http/auth.hpp"

#include <gtest/gtest.h>

namespace ferry::http {
namespace {

TEST(Credentials, BasicAndBearerValues) {
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(credentials::basic("a", "").authorization(), "Basic YTo=");
  EXPECT_EQ(credentials::bearer("tok.en").authorization(), "Bearer tok.en");
}

TEST(Challenges, ParsesSchemesParamsAndToken68) {
  const auto c = parse_challenges(
      "Basic realm=\"simple, with comma\", charset=UTF-8, Bearer realm=\"api\", "
      "error=\"invalid_token\", Negotiate abc123==, Digest");
  ASSERT_EQ(c.size(), 4U);
  EXPECT_EQ(c[0].scheme, "Basic");
  EXPECT_EQ(c[0].param("realm"), "simple, with comma");
  EXPECT_EQ(c[0].param("CHARSET"), "UTF-8");
  EXPECT_EQ(c[1].scheme, "Bearer");
  EXPECT_EQ(c[1].param("error"), "invalid_token");
  EXPECT_EQ(c[2].scheme, "Negotiate");
  EXPECT_EQ(c[2].token68, "abc123==");
  EXPECT_EQ(c[3].scheme, "Digest");
  EXPECT_TRUE(c[3].params.empty());
}

TEST(Challenges, QuotedEscapesAndGarbageAreSurvived) {
  const auto c = parse_challenges(R"(Basic realm="a \"quoted\" realm")");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].param("realm"), R"(a "quoted" realm)");
  EXPECT_TRUE(parse_challenges("").empty());
  EXPECT_TRUE(parse_challenges(",,, ,").empty());
  EXPECT_EQ(parse_challenges("=x, Basic").size(), 1U);
  (void)parse_challenges("Basic realm=\"unterminated");
}

}  // namespace
}  // namespace ferry::http
