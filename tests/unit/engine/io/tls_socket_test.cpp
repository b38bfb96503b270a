#include "ferry/engine/io/tls_socket.hpp"

#include <gtest/gtest.h>

#include <future>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "loop_fixture.hpp"
#include "loopback_server.hpp"
#include "test_certificate.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::loopback_server;
using test::server_mode;
using test::test_pki;

class TlsSocketTest : public test::loop_fixture {
 protected:
  TlsSocketTest() { trusting.add_ca_pem(test_pki::get().ca.certificate_pem); }

  std::error_code handshake_with(const test::test_certificate& presented, const std::string& host,
                                 const tls_context& context) {
    loopback_server server{server_mode::echo, "127.0.0.1", &presented};
    tls_socket s{loop, context};
    async_result c = s.begin_connect("127.0.0.1", server.port(), {});
    (void)s.end_connect(c);
    async_result h = s.begin_handshake(host, {}, {}, 10s);
    std::error_code ec;
    s.end_handshake(h, ec);
    return ec;
  }

  tls_context trusting;
};

TEST_F(TlsSocketTest, HandshakeSucceedsWithTheTestCa) {
  EXPECT_FALSE(handshake_with(test_pki::get().server, "localhost", trusting));
  EXPECT_FALSE(handshake_with(test_pki::get().server, "127.0.0.1", trusting));
}

TEST_F(TlsSocketTest, UnknownCaFailsWithUntrustedCertificate) {
  const std::error_code ec =
      handshake_with(test_pki::get().untrusted_server, "localhost", trusting);
  EXPECT_EQ(ec, error::tls_untrusted_certificate) << ec.message();
  EXPECT_EQ(ec, condition::verification);
  tls_context system_only;  // the system store does not know the test CA either
  EXPECT_EQ(handshake_with(test_pki::get().server, "localhost", system_only),
            error::tls_untrusted_certificate);
}

TEST_F(TlsSocketTest, WrongHostNameFailsWithHostNameMismatch) {
  EXPECT_EQ(handshake_with(test_pki::get().server, "example.test", trusting),
            error::tls_host_name_mismatch);
  EXPECT_EQ(handshake_with(test_pki::get().server, "127.0.0.2", trusting),
            error::tls_host_name_mismatch);
}

TEST_F(TlsSocketTest, ExpiredCertificateFailsWithExpired) {
  EXPECT_EQ(handshake_with(test_pki::get().expired_server, "localhost", trusting),
            error::tls_expired_certificate);
}

TEST_F(TlsSocketTest, VerificationIsOffOnlyWhenDisabledExplicitly) {
  tls_context insecure;
  EXPECT_TRUE(insecure.verifies_peer());
  insecure.disable_verification();
  EXPECT_FALSE(insecure.verifies_peer());
  EXPECT_FALSE(handshake_with(test_pki::get().untrusted_server, "wrong.name", insecure));
}

TEST_F(TlsSocketTest, BadCaInputIsAClearError) {
  tls_context context;
  std::error_code ec;
  context.add_ca_file("/nonexistent/ca.pem", ec);
  EXPECT_EQ(ec, error::file_not_found);
  context.add_ca_pem("not a certificate", ec);
  EXPECT_EQ(ec, error::invalid_argument);
}

TEST_F(TlsSocketTest, EchoesMegabytesIntact) {
  loopback_server server{server_mode::echo, "127.0.0.1", &test_pki::get().server};
  tls_socket s{loop, trusting};
  connect(s, "localhost", server.port(), 10s);
  const std::size_t total = test::scaled(8U << 20);
  std::vector<unsigned char> out(64 * 1024);
  std::vector<unsigned char> in(64 * 1024);
  std::size_t sent = 0;
  std::size_t received = 0;
  while (received < total) {
    if (sent < total) {
      const std::size_t n = std::min(out.size(), total - sent);
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = test::pattern_byte(sent + i);
      }
      sent += send(s, buffer(out.data(), n), 10s);
    }
    while (received < sent) {
      const std::size_t n = receive(s, buffer(in), 10s);
      ASSERT_GT(n, 0U);
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(in[i], test::pattern_byte(received + i));
      }
      received += n;
    }
  }
  EXPECT_EQ(received, total);
}

TEST_F(TlsSocketTest, RunsOverAnyStream) {
  loopback_server server{server_mode::echo, "127.0.0.1", &test_pki::get().server};
  auto inner = std::make_unique<tcp_socket>(loop);
  connect(*inner, "127.0.0.1", server.port());
  tls_socket s{std::move(inner), trusting};
  async_result h = s.begin_handshake("localhost", {}, {}, 10s);
  s.end_handshake(h);
  EXPECT_EQ(send(s, buffer("tunnel")), 6U);
  char reply[6];
  std::size_t got = 0;
  while (got < 6) {
    got += receive(s, buffer(reply + got, 6 - got), 10s);
  }
  EXPECT_EQ(std::string(reply, 6), "tunnel");
  async_result c = s.begin_connect("127.0.0.1", server.port(), {});
  std::error_code ec;
  (void)s.end_connect(c, ec);
  EXPECT_EQ(ec, error::invalid_argument);  // the stream beneath is already given
}

TEST_F(TlsSocketTest, HandshakeTimesOutAgainstSilentServer) {
  loopback_server server{server_mode::silent};
  tls_socket s{loop, trusting};
  async_result c = s.begin_connect("127.0.0.1", server.port(), {});
  (void)s.end_connect(c);
  async_result h = s.begin_handshake("localhost", {}, {}, 150ms);
  std::error_code ec;
  s.end_handshake(h, ec);
  EXPECT_EQ(ec, error::timed_out);
}

TEST_F(TlsSocketTest, HandshakeWithPlainServerThatClosesFails) {
  loopback_server server{server_mode::close};
  tls_socket s{loop, trusting};
  async_result c = s.begin_connect("127.0.0.1", server.port(), {});
  (void)s.end_connect(c);
  async_result h = s.begin_handshake("localhost", {}, {}, 10s);
  std::error_code ec;
  s.end_handshake(h, ec);
  EXPECT_TRUE(ec == error::tls_handshake_failed || ec == error::connection_reset) << ec.message();
}

TEST_F(TlsSocketTest, CloseAbortsAPendingReceive) {
  loopback_server server{server_mode::echo, "127.0.0.1", &test_pki::get().server};
  tls_socket s{loop, trusting};
  connect(s, "localhost", server.port(), 10s);
  char byte = 0;
  async_result r = s.begin_receive(buffer(&byte, 1), {});
  std::this_thread::sleep_for(20ms);
  s.close();
  std::error_code ec;
  (void)s.end_receive(r, ec);
  EXPECT_EQ(ec, error::operation_aborted);
}

}  // namespace
}  // namespace ferry::engine
