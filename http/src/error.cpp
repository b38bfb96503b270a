#include "ferry/http/error.hpp"

#include <optional>
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
      case error::unsupported_version:
        return "unsupported HTTP version in the status line";
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
      case error::empty_reply:
        return "empty reply: the connection closed before a response";
      case error::no_final_response:
        return "the connection closed after an interim (1xx) response";
      case error::invalid_field:
        return "field contains CR, LF or NUL";
      case error::invalid_url:
        return "invalid URL";
      case error::too_many_redirects:
        return "too many redirects";
      case error::insecure_redirect:
        return "redirect from https to http refused";
      case error::missing_location:
        return "redirect without a usable Location";
      case error::tunnel_refused:
        return "the proxy refused the CONNECT tunnel";
    }
    return "unknown ferry.http error " + std::to_string(value);
  }
};

// The one table from which the groups are derived; flow control belongs to none.
std::optional<condition> classify(error e) noexcept {
  switch (e) {
    case error::need_more:
      return std::nullopt;
    case error::invalid_field:
    case error::invalid_url:
      return condition::usage;
    case error::too_many_redirects:
    case error::insecure_redirect:
    case error::missing_location:
      return condition::redirect;
    case error::tunnel_refused:
      return condition::refused;
    default:
      return condition::protocol;
  }
}

class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry.http.condition"; }
  std::string message(int value) const override {
    switch (static_cast<condition>(value)) {
      case condition::protocol:
        return "HTTP protocol violation";
      case condition::usage:
        return "invalid HTTP request input";
      case condition::redirect:
        return "redirect refused";
      case condition::refused:
        return "request refused";
    }
    return "unknown condition";
  }
  bool equivalent(const std::error_code& code, int value) const noexcept override {
    return code.category() == ferry::http::error_category() &&
           classify(static_cast<error>(code.value())) == static_cast<condition>(value);
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
