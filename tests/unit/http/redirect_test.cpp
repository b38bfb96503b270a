#include "ferry/http/redirect.hpp"

#include <gtest/gtest.h>

#include "ferry/http/error.hpp"

namespace ferry::http {
namespace {

request make(std::string_view method, std::string_view u) {
  request r;
  r.method = std::string{method};
  r.url = url::parse(u);
  r.fields = {{"Authorization", "Basic abc"},
              {"Proxy-Authorization", "Basic p"},
              {"Cookie", "a=1"},
              {"Accept", "*/*"},
              {"Content-Type", "text/plain"}};
  if (method == "POST" || method == "PUT") {
    r.framing = body_framing::content_length;
    r.content_length = 3;
  }
  return r;
}

std::optional<request> follow(const request& r, unsigned status, std::string_view location,
                              std::error_code& ec, unsigned so_far = 0,
                              redirect_policy policy = {}) {
  return follow_redirect(r, status, location, so_far, policy, ec);
}

TEST(Redirect, NonRedirectStatusesAreNotFollowed) {
  std::error_code ec;
  for (unsigned status : {200U, 204U, 300U, 304U, 404U, 500U}) {
    EXPECT_FALSE(follow(make("GET", "http://a/"), status, "/x", ec)) << status;
    EXPECT_FALSE(ec);
  }
}

TEST(Redirect, ResolvesRelativeLocations) {
  std::error_code ec;
  auto next = follow(make("GET", "http://a/dir/file"), 302, "other?x=1", ec);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->url.text(), "http://a/dir/other?x=1");
}

TEST(Redirect, MethodRules) {
  std::error_code ec;
  auto see_other = follow(make("PUT", "http://a/"), 303, "/r", ec);
  EXPECT_EQ(see_other->method, "GET");
  EXPECT_EQ(see_other->framing, body_framing::none);
  EXPECT_FALSE(see_other->fields.empty());
  EXPECT_EQ(follow(make("HEAD", "http://a/"), 303, "/r", ec)->method, "HEAD");
  for (unsigned status : {301U, 302U}) {
    auto post = follow(make("POST", "http://a/"), status, "/r", ec);
    EXPECT_EQ(post->method, "GET") << status;
    EXPECT_EQ(post->framing, body_framing::none);
    EXPECT_EQ(follow(make("PUT", "http://a/"), status, "/r", ec)->method, "PUT") << status;
  }
  for (unsigned status : {307U, 308U}) {
    auto keep = follow(make("POST", "http://a/"), status, "/r", ec);
    EXPECT_EQ(keep->method, "POST") << status;
    EXPECT_EQ(keep->framing, body_framing::content_length);
    EXPECT_EQ(keep->content_length, 3U);
  }
}

TEST(Redirect, CredentialsAreDroppedWhenTheOriginChanges) {
  std::error_code ec;
  const char* other_origins[] = {"http://b/x", "http://a:8080/x", "https://a/x"};
  for (const char* location : other_origins) {
    auto next = follow(make("GET", "http://user:pw@a/"), 301, location, ec);
    ASSERT_TRUE(next) << location;
    for (const char* gone : {"Authorization", "Proxy-Authorization", "Cookie"}) {
      for (const auto& f : next->fields) {
        EXPECT_FALSE(iequals(f.name, gone)) << gone << " kept for " << location;
      }
    }
    EXPECT_FALSE(next->url.has_credentials()) << location;
    EXPECT_EQ(next->fields.size(), 2U);  // Accept and Content-Type stay
  }
  auto same = follow(make("GET", "http://a/"), 301, "http://a:80/y", ec);
  EXPECT_EQ(same->fields.size(), 5U);
  auto attacker = follow(make("GET", "http://a/"), 302, "http://evil:pw@b/", ec);
  EXPECT_FALSE(attacker->url.has_credentials());
}

TEST(Redirect, PolicyLimits) {
  std::error_code ec;
  EXPECT_FALSE(follow(make("GET", "http://a/"), 302, "/x", ec, 20));
  EXPECT_EQ(ec, error::too_many_redirects);
  EXPECT_EQ(ec, condition::redirect);
  EXPECT_FALSE(follow(make("GET", "https://a/"), 302, "http://a/", ec));
  EXPECT_EQ(ec, error::insecure_redirect);
  redirect_policy lenient;
  lenient.allow_https_to_http = true;
  EXPECT_TRUE(follow(make("GET", "https://a/"), 302, "http://a/", ec, 0, lenient));
  EXPECT_FALSE(follow_redirect(make("GET", "http://a/"), 302, std::nullopt, 0, {}, ec));
  EXPECT_EQ(ec, error::missing_location);
  for (const char* bad :
       {"ftp://a/", "javascript:alert(1)", "file:///etc/passwd", "http://a/\r\nX: y"}) {
    EXPECT_FALSE(follow(make("GET", "http://a/"), 302, bad, ec)) << bad;
    EXPECT_EQ(ec, error::invalid_url) << bad;
  }
}

TEST(Redirect, LocationsWithSpacesAndRawUtf8AreEncodedAsBrowsersDo) {
  std::error_code ec;
  const struct {
    const char* location;
    const char* target;
  } cases[] = {
      {"/a file.bin", "http://a/a%20file.bin"},
      {"/caf\xc3\xa9?q=\xe2\x82\xac 1", "http://a/caf%C3%A9?q=%E2%82%AC%201"},
      {"  /padded  ", "http://a/padded"},
      {"http://b:8080/x y?z=\"1\"", "http://b:8080/x%20y?z=%221%22"},
      {"//b/{x}|^`<>", "http://b/%7Bx%7D%7C%5E%60%3C%3E"},
      {"/p#frag ment#2", "http://a/p#frag%20ment%232"},
      {"rel ative", "http://a/dir/rel%20ative"},
      {"/it's?q=it's", "http://a/it's?q=it's"},    // encoded in the query, then normalized back
      {"/100%?p=5%25", "http://a/100%25?p=5%25"},  // a lone percent sign is one
  };
  for (const auto& c : cases) {
    auto next = follow(make("GET", "http://a/dir/page"), 302, c.location, ec);
    ASSERT_TRUE(next) << c.location << ": " << ec.message();
    EXPECT_EQ(next->url.text(), c.target) << c.location;
  }
}

TEST(Redirect, EncodingALocationKeepsEveryRefusal) {
  std::error_code ec;
  for (const char* bad : {"/a\r\nSet-Cookie: x=1", "/a\x00b", "/tab\there", "http://h\xc3\xa9st/",
                          "http://a b/", "http://evil.com\\@a/", "   "}) {
    EXPECT_FALSE(follow(make("GET", "http://a/"), 302, bad, ec)) << bad;
    EXPECT_TRUE(ec == error::invalid_url || ec == error::missing_location) << bad;
  }
  EXPECT_FALSE(follow(make("GET", "http://a/"), 302, "   ", ec));
  EXPECT_EQ(ec, error::missing_location);
}

TEST(Redirect, EncodeLocationLeavesTheAuthorityAndValidBytesAlone) {
  EXPECT_EQ(encode_location("https://user:pw@host:1/%41?a=b&c#d"),
            "https://user:pw@host:1/%41?a=b&c#d");
  EXPECT_EQ(encode_location("//h\xc3\xa9st/\xc3\xa9"), "//h\xc3\xa9st/%C3%A9");
  EXPECT_EQ(encode_location("mailto:a b"), "mailto:a%20b");
  EXPECT_EQ(encode_location("/it's?q=it's#it's"), "/it's?q=it%27s#it's");
  EXPECT_EQ(encode_location("/a|b?c|d#e|f"), "/a%7Cb?c%7Cd#e%7Cf");
  EXPECT_EQ(encode_location("/%zz%4"), "/%25zz%254");
  EXPECT_EQ(encode_location(""), "");
}

}  // namespace
}  // namespace ferry::http
