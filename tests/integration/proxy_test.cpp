// Proxies for real: Debian's tinyproxy in front of nginx, both on run-time loopback ports.
#include <gtest/gtest.h>

#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/http/error.hpp"
#include "loop_fixture.hpp"
#include "nginx_server.hpp"
#include "test_certificate.hpp"
#include "tinyproxy_server.hpp"

namespace ferry::engine {
namespace {

using test::nginx_server;
using test::tinyproxy_server;

// nginx echoes what reached it: the Via header a forward proxy adds, and the credentials.
constexpr const char* echo_location =
    "location = /echo { return 200 \"via=[$http_via] auth=[$http_authorization] "
    "proxy_auth=[$http_proxy_authorization]\"; }";

class ProxyTest : public test::loop_fixture {
 protected:
  ProxyTest() { trusting.add_ca_pem(test::test_pki::get().ca.certificate_pem); }

  exchange_result fetch(const std::string& proxy, const std::string& target, std::error_code& ec,
                        memory_sink& sink, const std::string& no_proxy = "") {
    client_options options;
    options.proxy.proxy = http::url::parse(proxy);
    options.proxy.no_proxy = no_proxy;
    client c{loop, trusting, options};
    http::request r;
    r.url = http::url::parse(target);
    r.fields.push_back({"Authorization", "Bearer origin-secret"});
    return c.exchange(r, sink, ec);
  }

  tls_context trusting;
};

TEST_F(ProxyTest, HttpGoesThroughTheProxyInAbsoluteForm) {
  nginx_server origin{echo_location};
  tinyproxy_server proxy;
  memory_sink sink;
  std::error_code ec;
  const auto r = fetch(proxy.url(), origin.base_url() + "/echo", ec, sink);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_NE(sink.data().find("tinyproxy"), std::string::npos) << sink.data();  // Via
  EXPECT_NE(proxy.log().find("GET http://127.0.0.1:" + std::to_string(origin.port()) + "/echo"),
            std::string::npos);
}

TEST_F(ProxyTest, HttpsGoesThroughAConnectTunnelThatSeesNoOriginHeaders) {
  nginx_server origin{echo_location, &test::test_pki::get().server};
  tinyproxy_server proxy;
  memory_sink sink;
  std::error_code ec;
  const auto r =
      fetch(proxy.url(), "https://localhost:" + std::to_string(origin.port()) + "/echo", ec, sink);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 200U);
  // Inside the tunnel the proxy adds nothing; the origin's credentials went to the origin only.
  EXPECT_NE(sink.data().find("via=[]"), std::string::npos) << sink.data();
  EXPECT_NE(sink.data().find("auth=[Bearer origin-secret]"), std::string::npos);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("CONNECT localhost:" + std::to_string(origin.port())), std::string::npos)
      << log;
  EXPECT_EQ(log.find("origin-secret"), std::string::npos);
}

TEST_F(ProxyTest, ProxyAuthorization) {
  nginx_server plain{echo_location};
  nginx_server secure{echo_location, &test::test_pki::get().server};
  tinyproxy_server proxy{"alice", "s3cret"};
  const std::string http_target = plain.base_url() + "/echo";
  const std::string https_target = "https://localhost:" + std::to_string(secure.port()) + "/echo";
  std::error_code ec;

  memory_sink refused;
  EXPECT_EQ(fetch(proxy.url(), http_target, ec, refused).head.status, 407U);  // a response
  memory_sink no_tunnel;
  (void)fetch(proxy.url(), https_target, ec, no_tunnel);
  EXPECT_EQ(ec, http::error::tunnel_refused);

  memory_sink allowed;
  EXPECT_EQ(fetch(proxy.url("alice", "s3cret"), http_target, ec, allowed).head.status, 200U);
  EXPECT_FALSE(ec) << ec.message();
  memory_sink tunneled;
  EXPECT_EQ(fetch(proxy.url("alice", "s3cret"), https_target, ec, tunneled).head.status, 200U);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_NE(tunneled.data().find("proxy_auth=[]"), std::string::npos);  // not sent to the origin
}

TEST_F(ProxyTest, ChallengeCallbackAnswersTheProxyForPlainAndTunneledRequests) {
  nginx_server plain{echo_location};
  nginx_server secure{echo_location, &test::test_pki::get().server};
  tinyproxy_server proxy{"alice", "s3cret"};
  for (const std::string& target :
       {plain.base_url() + "/echo",
        "https://localhost:" + std::to_string(secure.port()) + "/echo"}) {
    int asked = 0;
    client_options options;
    options.proxy.proxy = http::url::parse(proxy.url());
    options.on_challenge = [&](const challenge_request& q, challenge_answer answer) {
      ++asked;
      EXPECT_TRUE(q.proxy);
      EXPECT_EQ(q.status, 407U);
      answer(http::credentials::basic("alice", "s3cret"));
    };
    client c{loop, trusting, options};
    http::request r;
    r.url = http::url::parse(target);
    memory_sink sink;
    std::error_code ec;
    const auto result = c.exchange(r, sink, ec);
    EXPECT_FALSE(ec) << target << ": " << ec.message();
    EXPECT_EQ(result.head.status, 200U) << target;
    EXPECT_EQ(asked, 1) << target;
  }
}

TEST_F(ProxyTest, NoProxyHostsGoDirect) {
  nginx_server origin{echo_location};
  tinyproxy_server proxy;
  memory_sink sink;
  std::error_code ec;
  (void)fetch(proxy.url(), origin.base_url() + "/echo", ec, sink, "example.com, 127.0.0.1");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_NE(sink.data().find("via=[]"), std::string::npos) << sink.data();
  EXPECT_EQ(proxy.log().find("GET http://"), std::string::npos);
}

}  // namespace
}  // namespace ferry::engine
