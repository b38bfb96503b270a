#include "ferry/http/proxy.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ferry::http {
namespace {

TEST(NoProxy, MatchesHostsDomainsAndEverything) {
  EXPECT_TRUE(bypasses_proxy("example.com", "example.com"));
  EXPECT_TRUE(bypasses_proxy("a.example.com", "example.com"));
  EXPECT_TRUE(bypasses_proxy("a.example.com", ".example.com"));
  EXPECT_TRUE(bypasses_proxy("A.Example.COM", "example.com"));
  EXPECT_FALSE(bypasses_proxy("badexample.com", "example.com"));
  EXPECT_FALSE(bypasses_proxy("example.org", "example.com"));
  EXPECT_TRUE(bypasses_proxy("10.1.2.3", "localhost, 10.1.2.3"));
  EXPECT_TRUE(bypasses_proxy("::1", "[::1]"));
  EXPECT_TRUE(bypasses_proxy("anything", "*"));
  EXPECT_FALSE(bypasses_proxy("anything", ""));
  EXPECT_FALSE(bypasses_proxy("anything", " , ,"));
}

TEST(ProxySettings, ChoosesTheProxyUnlessBypassed) {
  proxy_settings s;
  s.proxy = url::parse("http://proxy.test:3128");
  s.no_proxy = "internal.test";
  EXPECT_EQ(s.for_target(url::parse("https://example.com/"))->host(), "proxy.test");
  EXPECT_FALSE(s.for_target(url::parse("http://a.internal.test/")));
  EXPECT_FALSE(proxy_settings{}.for_target(url::parse("http://a/")));
}

TEST(ProxySettings, ReadsTheEnvironmentAsCurlDoes) {
  ::setenv("http_proxy", "proxy.test:3128", 1);
  ::setenv("HTTP_PROXY", "http://wrong.test:1", 1);
  ::setenv("HTTPS_PROXY", "http://secure-proxy.test:8080", 1);
  ::setenv("NO_PROXY", "localhost", 1);
  const auto plain = proxy_settings::from_environment(url::parse("http://a/"));
  EXPECT_EQ(plain.proxy->host(), "proxy.test");  // lowercase http_proxy; scheme defaults to http
  EXPECT_EQ(plain.proxy->port(), 3128);
  EXPECT_EQ(plain.no_proxy, "localhost");
  const auto secure = proxy_settings::from_environment(url::parse("https://a/"));
  EXPECT_EQ(secure.proxy->host(), "secure-proxy.test");
  ::unsetenv("http_proxy");
  const auto uppercase_only = proxy_settings::from_environment(url::parse("http://a/"));
  EXPECT_FALSE(uppercase_only.proxy);  // HTTP_PROXY is ignored, as curl does
  ::unsetenv("HTTP_PROXY");
  ::unsetenv("HTTPS_PROXY");
  ::unsetenv("NO_PROXY");
}

}  // namespace
}  // namespace ferry::http
