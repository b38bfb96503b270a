#include "loopback_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "loopback_acceptor.hpp"
#include "test_certificate.hpp"
#include "test_scale.hpp"

namespace ferry::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct loopback_server::impl {
  server_mode mode;
  std::optional<asio::ssl::context> tls;
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> pattern_ok{true};
  std::optional<loopback_acceptor> acceptor;  // last: stopped before the rest goes

  template <class Stream>
  void exchange(Stream& s) {
    std::vector<unsigned char> buffer(256 * 1024);
    std::uint64_t offset = 0;
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = s.read_some(asio::buffer(buffer), ec);
      if (ec || n == 0) {
        return;
      }
      if (mode == server_mode::sink) {
        for (std::size_t i = 0; i < n; ++i) {
          if (buffer[i] != pattern_byte(offset + i)) {
            pattern_ok = false;
          }
        }
        offset += n;
        received += n;
        continue;
      }
      received += n;
      asio::write(s, asio::buffer(buffer.data(), n), ec);
      if (ec) {
        return;
      }
    }
  }

  void serve(tcp::socket& peer) {
    boost::system::error_code ec;
    switch (mode) {
      case server_mode::reset:
        acceptor->close(peer, true);
        return;
      case server_mode::close:
        acceptor->close(peer, false);
        return;
      case server_mode::silent:
        acceptor->wait_for_stop();
        return;
      case server_mode::echo:
      case server_mode::sink:
        break;
    }
    if (!tls) {
      exchange(peer);
      return;
    }
    asio::ssl::stream<tcp::socket&> secure{peer, *tls};
    secure.handshake(asio::ssl::stream_base::server, ec);
    if (!ec) {
      exchange(secure);
    }
  }
};

loopback_server::loopback_server(server_mode mode, std::string address,
                                 const test_certificate* certificate)
    : impl_(std::make_unique<impl>()) {
  impl_->mode = mode;
  if (certificate != nullptr) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain(
        asio::buffer(certificate->certificate_pem.data(), certificate->certificate_pem.size()));
    impl_->tls->use_private_key(
        asio::buffer(certificate->key_pem.data(), certificate->key_pem.size()),
        asio::ssl::context::pem);
  }
  impl_->acceptor.emplace(address, [this](tcp::socket& peer) { impl_->serve(peer); });
}

loopback_server::~loopback_server() {
  impl_->acceptor->stop();
}

std::uint16_t loopback_server::port() const noexcept {
  return impl_->acceptor->port();
}

std::size_t loopback_server::connections() const noexcept {
  return impl_->acceptor->accepted();
}

std::uint64_t loopback_server::bytes_received() const noexcept {
  return impl_->received;
}
bool loopback_server::pattern_ok() const noexcept {
  return impl_->pattern_ok;
}

bool loopback_server::wait_for_finished(std::size_t count, int seconds) const {
  return impl_->acceptor->wait_for_finished(count, std::chrono::seconds{seconds});
}

}  // namespace ferry::test
