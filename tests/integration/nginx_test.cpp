// The HTTP stack against a real nginx, started per test on a loopback port chosen at run time.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/http/error.hpp"
#include "loop_fixture.hpp"
#include "nginx_server.hpp"
#include "test_certificate.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

using test::nginx_server;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>(test::pattern_byte(i));
  }
  return s;
}

// An htpasswd line in nginx's {SHA} scheme, computed here (no external tool).
std::string htpasswd_line(const std::string& user, const std::string& password) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  unsigned char encoded[64];
  const int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return user + ":{SHA}" +
         std::string{reinterpret_cast<char*>(encoded), static_cast<std::size_t>(n)} + "\n";
}

class NginxTest : public test::loop_fixture {
 protected:
  http::request get(const nginx_server& server, const std::string& path) {
    http::request r;
    r.url = http::url::parse(server.base_url() + path);
    r.fields.push_back({"Accept-Encoding", "identity"});
    return r;
  }

  tls_context tls;
  client http{loop, tls};
};

TEST_F(NginxTest, GetsFilesOfSeveralSizesIntact) {
  nginx_server server;
  const std::size_t sizes[] = {0, 1, 1000, 65536, 65537, test::scaled(16U << 20)};
  for (std::size_t size : sizes) {
    server.put_file("f" + std::to_string(size), pattern(size));
  }
  for (std::size_t size : sizes) {
    memory_sink sink;
    const exchange_result r = http.exchange(get(server, "/f" + std::to_string(size)), sink);
    EXPECT_EQ(r.head.status, 200U) << size;
    EXPECT_EQ(r.head.content_length, size);
    EXPECT_TRUE(sink.data() == pattern(size)) << "content differs at size " << size;
  }
}

TEST_F(NginxTest, KeepAliveCarriesSequentialRequestsOnOneConnection) {
  nginx_server server{"location = /whoami { return 200 \"$connection $connection_requests\"; }"};
  std::set<std::string> connections;
  for (int i = 1; i <= 10; ++i) {
    memory_sink sink;
    const exchange_result r = http.exchange(get(server, "/whoami"), sink);
    ASSERT_EQ(r.head.status, 200U);
    const auto space = sink.data().find(' ');
    connections.insert(sink.data().substr(0, space));
    EXPECT_EQ(sink.data().substr(space + 1), std::to_string(i));  // nginx counts our requests
  }
  EXPECT_EQ(connections.size(), 1U);
  EXPECT_EQ(http.pool().idle(), 1U);
}

TEST_F(NginxTest, NotFoundIsAResponseNotAnError) {
  nginx_server server;
  memory_sink sink;
  std::error_code ec;
  const exchange_result r = http.exchange(get(server, "/missing"), sink, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 404U);
}

TEST_F(NginxTest, FollowsRedirectsConfiguredInNginx) {
  nginx_server server{
      "location = /old { return 301 /middle; }\n"
      "location = /middle { return 302 $scheme://$http_host/final.txt; }\n"
      "location = /see-other { return 303 /final.txt; }\n"};
  server.put_file("final.txt", "arrived");
  memory_sink sink;
  const exchange_result r = http.exchange(get(server, "/old"), sink);
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(r.redirects, 2U);
  EXPECT_EQ(r.url.target(), "/final.txt");
  EXPECT_EQ(sink.data(), "arrived");  // the redirects' own bodies were not written

  http::request post = get(server, "/see-other");
  post.method = "POST";
  memory_sink after_post;
  const exchange_result see_other = http.exchange(post, after_post);
  EXPECT_EQ(see_other.head.status, 200U);
  EXPECT_EQ(after_post.data(), "arrived");
}

TEST_F(NginxTest, RedirectLoopStopsAtTheLimit) {
  nginx_server server{"location = /loop { return 302 /loop; }"};
  memory_sink sink;
  std::error_code ec;
  (void)http.exchange(get(server, "/loop"), sink, ec);
  EXPECT_EQ(ec, http::error::too_many_redirects);
  EXPECT_TRUE(sink.data().empty());
}

TEST_F(NginxTest, HttpsWithTheTestCa) {
  nginx_server server{"", &test::test_pki::get().server};
  server.put_file("secure.txt", "over TLS");
  tls_context trusting;
  trusting.add_ca_pem(test::test_pki::get().ca.certificate_pem);
  client secure{loop, trusting};
  memory_sink sink;
  const exchange_result r = secure.exchange(get(server, "/secure.txt"), sink);
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(sink.data(), "over TLS");

  std::error_code ec;
  memory_sink refused;
  (void)http.exchange(get(server, "/secure.txt"), refused, ec);  // system CAs only
  EXPECT_EQ(ec, error::tls_untrusted_certificate);
}

TEST_F(NginxTest, AClientOutlivesTheTlsContextItWasGiven) {
  nginx_server server{"", &test::test_pki::get().server};
  server.put_file("secure.txt", "still trusted");
  std::optional<client> secure;
  {
    tls_context trusting;
    trusting.add_ca_pem(test::test_pki::get().ca.certificate_pem);
    secure.emplace(loop, trusting);
  }  // the caller's context is gone; the client's copy of the handle is not
  memory_sink sink;
  std::error_code ec;
  const exchange_result r = secure->exchange(get(server, "/secure.txt"), sink, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(sink.data(), "still trusted");
}

TEST_F(NginxTest, BasicAuthWithCredentialsGeneratedAtTestTime) {
  nginx_server server{
      "location /private/ { auth_basic \"ferry\"; auth_basic_user_file htpasswd; }"};
  std::ofstream{server.directory() / "htpasswd"} << htpasswd_line("alice", "s3cret");
  server.put_file("private/data.txt", "for alice");
  memory_sink denied;
  EXPECT_EQ(http.exchange(get(server, "/private/data.txt"), denied).head.status, 401U);

  http::request with_credentials;
  with_credentials.url = http::url::parse(
      "http://alice:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/private/data.txt");
  memory_sink allowed;
  const exchange_result r = http.exchange(with_credentials, allowed);
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(allowed.data(), "for alice");

  client_options options;
  options.on_challenge = [](const challenge_request& q, challenge_answer answer) {
    EXPECT_EQ(q.challenges.at(0).scheme, "Basic");
    EXPECT_EQ(q.challenges.at(0).param("realm"), "ferry");
    answer(http::credentials::basic("alice", "s3cret"));
  };
  client asking{loop, tls, options};
  memory_sink answered;
  const exchange_result via_callback = asking.exchange(get(server, "/private/data.txt"), answered);
  EXPECT_EQ(via_callback.head.status, 200U);
  EXPECT_EQ(answered.data(), "for alice");

  http::request wrong = with_credentials;
  wrong.url = http::url::parse("http://alice:nope@127.0.0.1:" + std::to_string(server.port()) +
                               "/private/data.txt");
  memory_sink again;
  EXPECT_EQ(http.exchange(wrong, again).head.status, 401U);
}

}  // namespace
}  // namespace ferry::engine
