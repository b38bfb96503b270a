#include "ferry/http/error.hpp"

#include <string>

namespace ferry::http {
namespace {

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry.http"; }
  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::need_more:
        return "need more input";
      case error::bad_status_line:
        return "malformed status line";
      case error::bad_header:
        return "malformed header";
      case error::header_too_large:
        return "header section too large";
      case error::body_too_large:
        return "body too large";
      case error::bad_content_length:
        return "invalid Content-Length";
      case error::bad_transfer_encoding:
        return "unsupported Transfer-Encoding";
      case error::conflicting_framing:
        return "both Content-Length and Transfer-Encoding";
      case error::too_many_informational:
        return "too many 1xx responses";
      case error::bad_chunk:
        return "malformed chunk";
      case error::partial_message:
        return "connection closed before the message ended";
      case error::invalid_field:
        return "field contains CR, LF or NUL";
      case error::invalid_url:
        return "invalid URL";
    }
    return "unknown ferry.http error " + std::to_string(value);
  }
};

class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry.http.condition"; }
  std::string message(int value) const override {
    return static_cast<condition>(value) == condition::protocol ? "HTTP protocol violation"
                                                                : "invalid HTTP request input";
  }
  bool equivalent(const std::error_code& code, int value) const noexcept override {
    if (code.category() != ferry::http::error_category()) {
      return false;
    }
    const auto e = static_cast<error>(code.value());
    switch (static_cast<condition>(value)) {
      case condition::protocol:
        return e != error::need_more && e != error::invalid_field && e != error::invalid_url;
      case condition::usage:
        return e == error::invalid_field || e == error::invalid_url;
    }
    return false;
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const error_category_impl instance;
  return instance;
}
const std::error_category& condition_category() noexcept {
  static const condition_category_impl instance;
  return instance;
}

}  // namespace ferry::http
