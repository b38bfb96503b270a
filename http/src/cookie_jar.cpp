// RFC 6265 §5 (the user agent's side), with RFC 6265bis' refusals of control characters and
// of Secure cookies set over http:
//
//   set-cookie-string = cookie-pair *( ";" SP cookie-av )
//   cookie-pair       = cookie-name "=" cookie-value
//   cookie-av         = expires-av / max-age-av / domain-av / path-av / secure-av /
//                       httponly-av / extension-av
#include "ferry/http/cookie_jar.hpp"

#include <libpsl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include "ferry/http/response_head.hpp"
#include "text.hpp"

namespace ferry::http {
namespace {

using detail::lower;
using detail::trim;

// %x00-08 / %x0A-1F / %x7F: a cookie holding one is refused (RFC 6265bis §5.6 step 4).
bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

// What a stored cookie's name and value may hold: no controls, and none of the characters that
// would change the meaning of a Cookie header (';') or of a cookies.txt line (a tab); a name
// holds no '='. (RFC 6265bis allows a tab inside a value; such a cookie could not be saved
// faithfully, so it is refused.)
bool is_storable(std::string_view name, std::string_view value) {
  const auto clean = [](std::string_view s) {
    return !has_control(s) && s.find('\t') == std::string_view::npos &&
           s.find(';') == std::string_view::npos;
  };
  return !name.empty() && clean(name) && clean(value) && name.find('=') == std::string_view::npos;
}

// A cookie's domain: host-name characters in non-empty labels.
bool is_valid_domain(std::string_view d) {
  if (d.empty() || d.front() == '.' || d.back() == '.' || d.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
           c == ':';
  });
}

bool is_ip_literal(std::string_view host) {
  return host.find(':') != std::string_view::npos ||
         std::all_of(host.begin(), host.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

const psl_ctx_t* public_suffixes() {
  // The newest of libpsl's built-in list and the system's (Debian's publicsuffix package).
  static const psl_ctx_t* const psl = psl_latest(nullptr);
  return psl;
}

bool is_public_suffix(const std::string& domain) {
  return psl_is_public_suffix2(public_suffixes(), domain.c_str(),
                               PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

// §5.1.3
bool domain_match(std::string_view host, std::string_view domain) {
  if (host == domain) {
    return true;
  }
  return !is_ip_literal(host) && host.size() > domain.size() &&
         host.substr(host.size() - domain.size()) == domain &&
         host[host.size() - domain.size() - 1] == '.';
}

// §5.1.4
std::string default_path(const url& u) {
  std::string_view path = u.target();
  path = path.substr(0, path.find('?'));
  if (path.empty() || path.front() != '/') {
    return "/";
  }
  const auto last = path.rfind('/');
  return last == 0 ? "/" : std::string{path.substr(0, last)};
}

bool path_match(std::string_view request_path, std::string_view cookie_path) {
  if (request_path == cookie_path) {
    return true;
  }
  if (request_path.substr(0, cookie_path.size()) != cookie_path) {
    return false;
  }
  return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

// An expiry as a time_point. system_clock counts nanoseconds and ends in 2262, so times are
// clamped to 2200 (found by the cookie fuzzers: a far-future date overflowed).
cookie::time_point expiry_at(long long unix_seconds) {
  constexpr long long year_2200 = 7'258'118'400;
  return std::chrono::system_clock::from_time_t(
      static_cast<std::time_t>(std::clamp(unix_seconds, 1LL, year_2200)));
}

// §5.1.1, the cookie-date algorithm: lenient tokens, strict ranges.
std::optional<cookie::time_point> parse_cookie_date(std::string_view text) {
  auto is_delimiter = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) ||
           (u >= 0x5b && u <= 0x60) || (u >= 0x7b && u <= 0x7e);
  };
  auto digits = [](std::string_view s, std::size_t min, std::size_t max, int& out) {
    std::size_t n = 0;
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n])) != 0) {
      ++n;
    }
    if (n < min || n > max) {
      return std::string_view::npos;
    }
    std::from_chars(s.data(), s.data() + n, out);
    return n;
  };
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  bool have_time = false;
  bool have_day = false;
  bool have_month = false;
  bool have_year = false;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int day = 0;
  int month = 0;
  int year = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_delimiter(text[i])) {
      ++i;
    }
    std::size_t end = i;
    while (end < text.size() && !is_delimiter(text[end])) {
      ++end;
    }
    const std::string_view token = text.substr(i, end - i);
    i = end;
    if (token.empty()) {
      continue;
    }
    if (!have_time) {
      int h = 0;
      int m = 0;
      int s = 0;
      std::size_t a = digits(token, 1, 2, h);
      if (a != std::string_view::npos && a < token.size() && token[a] == ':') {
        std::size_t b = digits(token.substr(a + 1), 1, 2, m);
        if (b != std::string_view::npos && a + 1 + b < token.size() && token[a + 1 + b] == ':') {
          if (digits(token.substr(a + 2 + b), 1, 2, s) != std::string_view::npos) {
            have_time = true;
            hour = h;
            minute = m;
            second = s;
            continue;
          }
        }
      }
    }
    if (!have_day && digits(token, 1, 2, day) != std::string_view::npos) {
      have_day = true;
      continue;
    }
    if (!have_month && token.size() >= 3) {
      const std::string prefix = lower(token.substr(0, 3));
      const auto* found = std::find(std::begin(months), std::end(months), prefix);
      if (found != std::end(months)) {
        have_month = true;
        month = static_cast<int>(found - std::begin(months)) + 1;
        continue;
      }
    }
    if (!have_year && digits(token, 2, 4, year) != std::string_view::npos) {
      have_year = true;
      continue;
    }
  }
  if (!have_time || !have_day || !have_month || !have_year) {
    return std::nullopt;
  }
  if (year >= 70 && year <= 99) {
    year += 1900;
  } else if (year >= 0 && year <= 69) {
    year += 2000;
  }
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return expiry_at(timegm(&tm));
}

bool expired(const cookie& c, cookie::time_point now) {
  return c.expires && *c.expires <= now;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) {
      return parts;
    }
    s.remove_prefix(at + 1);
  }
}

}  // namespace

cookie_jar::cookie_jar(cookie_limits limits) : limits_(limits) {
}

bool cookie_jar::set(std::string_view set_cookie, const url& from, time_point now) {
  const auto parts = split(set_cookie, ';');
  const std::string_view pair = parts.front();
  const auto equals = pair.find('=');
  if (equals == std::string_view::npos) {
    return false;
  }
  cookie c;
  c.name = trim(pair.substr(0, equals));
  c.value = trim(pair.substr(equals + 1));
  if (!is_storable(c.name, c.value) || c.name.size() + c.value.size() > limits_.max_size) {
    return false;
  }
  std::optional<time_point> expires_attribute;
  std::optional<time_point> max_age_attribute;
  std::string domain_attribute;
  std::string path_attribute;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto at = parts[i].find('=');
    const std::string key = lower(trim(parts[i].substr(0, at)));
    const std::string_view value =
        at == std::string_view::npos ? std::string_view{} : trim(parts[i].substr(at + 1));
    if (has_control(value)) {
      return false;
    }
    if (key == "expires") {
      if (auto when = parse_cookie_date(value)) {
        expires_attribute = when;
      }
    } else if (key == "max-age") {
      long long seconds = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (error == std::errc{} && end == value.data() + value.size() && !value.empty()) {
        max_age_attribute = seconds <= 0
                                ? time_point::min()
                                : now + std::chrono::seconds{std::min(seconds, 400LL * 86400)};
      }
    } else if (key == "domain") {
      std::string_view d = value;
      if (!d.empty() && d.front() == '.') {
        d.remove_prefix(1);
      }
      domain_attribute = lower(d);
    } else if (key == "path") {
      path_attribute = value.empty() || value.front() != '/' ? std::string{} : std::string{value};
    } else if (key == "secure") {
      c.secure = true;
    } else if (key == "httponly") {
      c.http_only = true;
    }
  }
  c.expires = max_age_attribute ? max_age_attribute : expires_attribute;

  const std::string& host = from.host();
  if (!domain_attribute.empty() && is_public_suffix(domain_attribute)) {
    if (domain_attribute != host) {
      return false;  // a cookie for every site under a public suffix: refused
    }
    domain_attribute.clear();  // the host is itself a public suffix: host-only
  }
  if (!domain_attribute.empty()) {
    if (!domain_match(host, domain_attribute)) {
      return false;
    }
    c.host_only = false;
    c.domain = domain_attribute;
  } else {
    c.host_only = true;
    c.domain = host;
  }
  c.path = path_attribute.empty() ? default_path(from) : path_attribute;
  if (c.path.find('\t') != std::string::npos) {
    return false;  // found by set_cookie_fuzzer: could not be saved to cookies.txt
  }
  if (c.secure && !from.is_https()) {
    return false;
  }
  store(std::move(c), now);
  return true;
}

void cookie_jar::store(cookie c, time_point now) {
  std::lock_guard lock{mutex_};
  c.created = now;
  const auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const cookie& old) {
    return old.name == c.name && old.domain == c.domain && old.path == c.path;
  });
  if (same != cookies_.end()) {
    c.created = same->created;
    cookies_.erase(same);
  }
  if (expired(c, now)) {
    return;  // how a server deletes a cookie
  }
  std::erase_if(cookies_, [&](const cookie& old) { return expired(old, now); });
  const auto in_domain = static_cast<std::size_t>(std::count_if(
      cookies_.begin(), cookies_.end(), [&](const cookie& old) { return old.domain == c.domain; }));
  if (in_domain >= limits_.max_per_domain) {
    auto oldest = cookies_.end();
    for (auto it = cookies_.begin(); it != cookies_.end(); ++it) {
      if (it->domain == c.domain && (oldest == cookies_.end() || it->created < oldest->created)) {
        oldest = it;
      }
    }
    cookies_.erase(oldest);
  }
  if (cookies_.size() >= limits_.max_cookies && !cookies_.empty()) {
    cookies_.erase(
        std::min_element(cookies_.begin(), cookies_.end(),
                         [](const cookie& a, const cookie& b) { return a.created < b.created; }));
  }
  cookies_.push_back(std::move(c));
}

std::string cookie_jar::header_for(const url& to, time_point now) const {
  std::string_view path = to.target();
  path = path.substr(0, path.find('?'));
  std::vector<const cookie*> chosen;
  std::lock_guard lock{mutex_};
  for (const cookie& c : cookies_) {
    const bool host_ok = c.host_only ? to.host() == c.domain : domain_match(to.host(), c.domain);
    if (host_ok && path_match(path, c.path) && (!c.secure || to.is_https()) && !expired(c, now)) {
      chosen.push_back(&c);
    }
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const cookie* a, const cookie* b) {
    return a->path.size() != b->path.size() ? a->path.size() > b->path.size()
                                            : a->created < b->created;
  });
  std::string header;
  for (const cookie* c : chosen) {
    if (!header.empty()) {
      header += "; ";
    }
    header += c->name + "=" + c->value;
  }
  return header;
}

// Netscape cookies.txt: domain, include-subdomains, path, secure, expiry (Unix time, 0 for a
// session cookie), name, value; tab-separated; "#HttpOnly_" before the domain marks HttpOnly.
std::size_t cookie_jar::load_netscape(std::string_view text, time_point now) {
  std::size_t added = 0;
  for (std::string_view line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    cookie c;
    constexpr std::string_view http_only = "#HttpOnly_";
    if (line.substr(0, http_only.size()) == http_only) {
      c.http_only = true;
      line.remove_prefix(http_only.size());
    } else if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto fields = split(line, '\t');
    if (fields.size() != 7 || has_control(line)) {
      continue;
    }
    std::string_view domain = fields[0];
    if (!domain.empty() && domain.front() == '.') {
      domain.remove_prefix(1);
    }
    long long expiry = 0;
    const auto [end, error] =
        std::from_chars(fields[4].data(), fields[4].data() + fields[4].size(), expiry);
    if (domain.empty() || fields[5].empty() || fields[2].empty() || fields[2].front() != '/' ||
        error != std::errc{} || end != fields[4].data() + fields[4].size() ||
        (fields[1] != "TRUE" && fields[1] != "FALSE") ||
        (fields[3] != "TRUE" && fields[3] != "FALSE") ||
        fields[5].size() + fields[6].size() > limits_.max_size) {
      continue;
    }
    c.domain = lower(domain);
    c.host_only = fields[1] == "FALSE";
    if (!is_valid_domain(c.domain) || !is_storable(fields[5], fields[6])) {
      continue;
    }
    if (!c.host_only && is_public_suffix(c.domain)) {
      continue;
    }
    c.path = fields[2];
    c.secure = fields[3] == "TRUE";
    if (expiry != 0) {
      c.expires = expiry_at(expiry);
    }
    c.name = fields[5];
    c.value = fields[6];
    if (expired(c, now)) {
      continue;
    }
    store(std::move(c), now);
    ++added;
  }
  return added;
}

std::string cookie_jar::to_netscape(time_point now) const {
  std::string out = "# Netscape HTTP Cookie File\n# Written by ferry.\n\n";
  std::lock_guard lock{mutex_};
  for (const cookie& c : cookies_) {
    if (expired(c, now)) {
      continue;
    }
    const auto expiry = c.expires ? std::chrono::system_clock::to_time_t(*c.expires) : 0;
    out += (c.http_only ? "#HttpOnly_" : "") + std::string{c.host_only ? "" : "."} + c.domain +
           "\t" + (c.host_only ? "FALSE" : "TRUE") + "\t" + c.path + "\t" +
           (c.secure ? "TRUE" : "FALSE") + "\t" + std::to_string(expiry) + "\t" + c.name + "\t" +
           c.value + "\n";
  }
  return out;
}

std::vector<cookie> cookie_jar::cookies() const {
  std::lock_guard lock{mutex_};
  return cookies_;
}

std::size_t cookie_jar::size() const {
  std::lock_guard lock{mutex_};
  return cookies_.size();
}

}  // namespace ferry::http
