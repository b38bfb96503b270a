// ferry::http authorization values — Basic (RFC 7617) and Bearer (RFC 6750).
#pragma once

#include <string>
#include <string_view>

namespace ferry::http {

/// "Basic " + base64(user ":" password), for Authorization or Proxy-Authorization.
[[nodiscard]] std::string basic_authorization(std::string_view user, std::string_view password);

/// "Bearer " + token.
[[nodiscard]] std::string bearer_authorization(std::string_view token);

}  // namespace ferry::http
