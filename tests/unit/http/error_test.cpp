#include "ferry/http/error.hpp"

#include <gtest/gtest.h>

namespace ferry::http {
namespace {

TEST(HttpError, FlowControlIsNotAProtocolFailure) {
  EXPECT_NE(std::error_code{error::need_more}, condition::protocol);
  EXPECT_EQ(std::error_code{error::bad_chunk}, condition::protocol);
  EXPECT_EQ(std::error_code{error::bad_content_length}, condition::protocol);
}

TEST(HttpError, UserInputErrorsAreUsage) {
  EXPECT_EQ(std::error_code{error::invalid_field}, condition::usage);
  EXPECT_NE(std::error_code{error::invalid_field}, condition::protocol);
  EXPECT_STREQ(std::error_code{error::invalid_url}.category().name(), "ferry.http");
}

}  // namespace
}  // namespace ferry::http
