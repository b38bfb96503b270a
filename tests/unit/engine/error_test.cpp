#include "ferry/engine/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <future>

namespace ferry::engine {
namespace {

TEST(EngineError, CategoryNamesAndMessages) {
  const std::error_code ec = error::timed_out;
  EXPECT_STREQ(ec.category().name(), "ferry.engine");
  EXPECT_EQ(ec.message(), "operation timed out");
  EXPECT_NE(std::error_code{error::file_locked}.message().find("locked"), std::string::npos);
}

TEST(EngineError, ConditionsGroupEngineCodes) {
  EXPECT_EQ(std::error_code{error::timed_out}, condition::retryable);
  EXPECT_EQ(std::error_code{error::connection_reset}, condition::retryable);
  EXPECT_EQ(std::error_code{error::connection_reset}, condition::network);
  EXPECT_NE(std::error_code{error::tls_untrusted_certificate}, condition::retryable);
  EXPECT_EQ(std::error_code{error::tls_untrusted_certificate}, condition::verification);
  EXPECT_EQ(std::error_code{error::tls_expired_certificate}, condition::verification);
  EXPECT_EQ(std::error_code{error::tls_protocol_error}, condition::protocol);
  EXPECT_EQ(std::error_code{error::no_space}, condition::local_io);
  EXPECT_NE(std::error_code{error::no_space}, condition::retryable);
  EXPECT_EQ(std::error_code{error::operation_aborted}, condition::cancelled);
  EXPECT_EQ(std::error_code{error::already_ended}, condition::usage);
  EXPECT_EQ(std::error_code{error::would_deadlock}, condition::usage);
}

TEST(EngineError, ConditionsGroupOperatingSystemCodes) {
  EXPECT_EQ((std::error_code{ECONNRESET, std::system_category()}), condition::retryable);
  EXPECT_EQ((std::error_code{EPIPE, std::system_category()}), condition::network);
  EXPECT_EQ((std::error_code{ENOSPC, std::system_category()}), condition::local_io);
  EXPECT_EQ((std::error_code{EIO, std::generic_category()}), condition::local_io);
  EXPECT_NE((std::error_code{ENOSPC, std::system_category()}), condition::network);
}

TEST(EngineError, OtherCategoriesMatchNoCondition) {
  EXPECT_NE(std::make_error_code(std::future_errc::broken_promise), condition::retryable);
}

}  // namespace
}  // namespace ferry::engine
