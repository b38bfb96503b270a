// ferry::http authentication — challenges (RFC 9110 §11.6.1) and credentials (Basic, RFC 7617;
// Bearer, RFC 6750).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::http {

/// One challenge of a WWW-Authenticate or Proxy-Authenticate field.
struct challenge {
  std::string scheme;  ///< as sent ("Basic", "Bearer"); compare case-insensitively
  std::string token68;
  std::vector<std::pair<std::string, std::string>> params;  ///< names lowercase, values unquoted

  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const;
};

/// Parses the challenges of one or more WWW-Authenticate (or Proxy-Authenticate) values:
///   challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
/// Malformed parts are skipped, never fatal.
[[nodiscard]] std::vector<challenge> parse_challenges(std::string_view value);

/// What answers a challenge.
struct credentials {
  enum class kind { basic, bearer };
  kind type = kind::basic;
  std::string user;
  std::string password;
  std::string token;

  [[nodiscard]] static credentials basic(std::string user, std::string password);
  [[nodiscard]] static credentials bearer(std::string token);
  /// The Authorization (or Proxy-Authorization) value.
  [[nodiscard]] std::string authorization() const;
};

/// "Basic " + base64(user ":" password), for Authorization or Proxy-Authorization.
[[nodiscard]] std::string basic_authorization(std::string_view user, std::string_view password);

/// "Bearer " + token.
[[nodiscard]] std::string bearer_authorization(std::string_view token);

}  // namespace ferry::http
