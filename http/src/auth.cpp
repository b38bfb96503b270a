// RFC 9110 §11.6.1:
//   WWW-Authenticate = #challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
//   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// Challenges and their parameters share the comma as separator; an item that starts with a
// token and a space begins a new challenge, an item of the form name=value continues one.
#include "ferry/http/auth.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "ferry/http/response_head.hpp"
#include "text.hpp"

namespace ferry::http {
namespace {

using detail::trim;

// Splits at commas outside quoted strings.
std::vector<std::string_view> split_items(std::string_view s) {
  std::vector<std::string_view> items;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == ',' && !quoted) {
      items.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  items.push_back(trim(s.substr(start)));
  return items;
}

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
    return std::string{v};
  }
  std::string out;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) {
      ++i;
    }
    out.push_back(v[i]);
  }
  return out;
}

// "name=value" (a parameter), as opposed to a token68 whose '='s are only trailing padding.
bool is_param(std::string_view item) {
  const auto eq = item.find('=');
  return eq != std::string_view::npos && eq > 0 &&
         item.find_first_not_of("= \t", eq) != std::string_view::npos;
}

void add_param(challenge& c, std::string_view item) {
  const auto eq = item.find('=');
  std::string name{trim(item.substr(0, eq))};
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  c.params.emplace_back(std::move(name), unquote(item.substr(eq + 1)));
}

}  // namespace

std::optional<std::string_view> challenge::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<challenge> parse_challenges(std::string_view value) {
  std::vector<challenge> out;
  for (std::string_view item : split_items(value)) {
    if (item.empty()) {
      continue;
    }
    const auto space = item.find_first_of(" \t");
    const auto eq = item.find('=');
    const bool starts_challenge = !is_param(item) || (space != std::string_view::npos &&
                                                      (eq == std::string_view::npos || space < eq));
    if (!starts_challenge) {
      if (!out.empty()) {
        add_param(out.back(), item);
      }
      continue;
    }
    challenge c;
    c.scheme = item.substr(0, space);
    const bool is_token =
        !c.scheme.empty() && std::all_of(c.scheme.begin(), c.scheme.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) != 0 ||
                 std::string_view{"!#$%&'*+-.^_`|~"}.find(ch) != std::string_view::npos;
        });
    if (!is_token) {
      continue;  // not a challenge; skipped
    }
    const std::string_view rest = space == std::string_view::npos ? "" : trim(item.substr(space));
    if (is_param(rest)) {
      add_param(c, rest);
    } else {
      c.token68 = rest;
    }
    out.push_back(std::move(c));
  }
  return out;
}

credentials credentials::basic(std::string user, std::string password) {
  credentials c;
  c.type = kind::basic;
  c.user = std::move(user);
  c.password = std::move(password);
  return c;
}

credentials credentials::bearer(std::string token) {
  credentials c;
  c.type = kind::bearer;
  c.token = std::move(token);
  return c;
}

std::string credentials::authorization() const {
  return type == kind::basic ? basic_authorization(user, password) : bearer_authorization(token);
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  std::string plain;
  plain.reserve(user.size() + 1 + password.size());
  plain.append(user).append(":").append(password);
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return "Basic " + encoded;
}

std::string bearer_authorization(std::string_view token) {
  return "Bearer " + std::string{token};
}

}  // namespace ferry::http
