#include "ferry/engine/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <set>
#include <string_view>
#include <vector>

#include "ferry/http/error.hpp"

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

// Every code of a category, in order, up to the first the table does not know.
template <class Enum>
std::vector<std::error_code> all_codes() {
  std::vector<std::error_code> codes;
  for (int value = 1; value < 1000; ++value) {
    const std::error_code ec = static_cast<Enum>(value);
    if (code_name(ec) == "unknown") {
      break;
    }
    codes.push_back(ec);
  }
  return codes;
}

TEST(EngineError, EveryCodeHasAStableUniqueSnakeCaseName) {
  std::set<std::string_view> names;
  auto codes = all_codes<error>();
  const auto http_codes = all_codes<http::error>();
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(error::partial_file_lost));
  EXPECT_EQ(http_codes.size(), static_cast<std::size_t>(http::error::no_final_response));
  codes.insert(codes.end(), http_codes.begin(), http_codes.end());
  for (const std::error_code& ec : codes) {
    const std::string_view name = code_name(ec);
    ASSERT_FALSE(name.empty()) << ec.message();
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || c == '_';
    })) << name;
    EXPECT_TRUE(names.insert(name).second) << "two codes are called " << name;
  }
  EXPECT_EQ(code_name(error::validator_changed), "validator_changed");
  EXPECT_EQ(code_name(http::error::bad_chunk), "bad_chunk");
  EXPECT_EQ(code_name({}), "");
  EXPECT_EQ(code_name(std::make_error_code(std::future_errc::broken_promise)), "unknown");
}

TEST(EngineError, OperatingSystemCodesAreNamedLikeTheirEngineCodes) {
  EXPECT_EQ(code_name({ECONNRESET, std::system_category()}), "connection_reset");
  EXPECT_EQ(code_name({ECONNREFUSED, std::system_category()}), "connection_refused");
  EXPECT_EQ(code_name({ENOSPC, std::generic_category()}), "no_space");
  EXPECT_EQ(code_name({EXDEV, std::system_category()}), "system_error");
}

TEST(EngineError, EveryHttpProtocolFailureIsRetryableOrMalformedNeverBoth) {
  for (const std::error_code& ec : all_codes<http::error>()) {
    if (ec != http::condition::protocol) {
      continue;
    }
    const bool retryable = ec == condition::retryable;
    const bool malformed = ec == condition::malformed;
    EXPECT_NE(retryable, malformed) << code_name(ec);
    EXPECT_EQ(ec, condition::protocol) << code_name(ec);
  }
  EXPECT_EQ(std::error_code{http::error::partial_message}, condition::retryable);
  EXPECT_EQ(std::error_code{http::error::bad_chunk}, condition::malformed);
  EXPECT_EQ(std::error_code{http::error::empty_reply}, condition::malformed);
  EXPECT_EQ(std::error_code{error::bad_content_range}, condition::malformed);
  EXPECT_NE(std::error_code{error::bad_content_range}, condition::retryable);
  EXPECT_EQ(std::error_code{error::unexpected_partial_content}, condition::malformed);
  EXPECT_EQ(std::error_code{http::error::need_more}.value(), 1);
  EXPECT_NE(std::error_code{http::error::need_more}, condition::protocol);
}

TEST(EngineError, AProxysRefusalIsAnErrorStatusNotAViolation) {
  const std::error_code refused = http::error::tunnel_refused;
  EXPECT_NE(refused, http::condition::protocol);
  EXPECT_EQ(refused, http::condition::refused);
  EXPECT_EQ(refused, condition::http_status);
  EXPECT_NE(refused, condition::malformed);
  EXPECT_NE(refused, condition::retryable);
}

TEST(EngineError, HttpUsageAndRedirectCodesHaveEngineGroups) {
  EXPECT_EQ(std::error_code{http::error::invalid_url}, condition::usage);
  EXPECT_EQ(std::error_code{http::error::too_many_redirects}, condition::protocol);
  EXPECT_NE(std::error_code{http::error::too_many_redirects}, condition::retryable);
  EXPECT_NE(std::error_code{http::error::too_many_redirects}, condition::malformed);
}

TEST(EngineError, TlsAndResourceChangedGroups) {
  for (error e : {error::tls_untrusted_certificate, error::tls_expired_certificate,
                  error::tls_host_name_mismatch, error::tls_handshake_failed, error::tls_truncated,
                  error::tls_protocol_error}) {
    EXPECT_EQ(std::error_code{e}, condition::tls) << code_name(e);
  }
  EXPECT_NE(std::error_code{error::connection_reset}, condition::tls);
  for (error e : {error::validator_changed, error::range_ignored, error::range_not_satisfiable}) {
    EXPECT_EQ(std::error_code{e}, condition::resource_changed) << code_name(e);
    EXPECT_NE(std::error_code{e}, condition::retryable) << code_name(e);
  }
}

}  // namespace
}  // namespace ferry::engine
