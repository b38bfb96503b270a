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

#include "test_certificate.hpp"
#include "test_scale.hpp"

namespace ferry::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct loopback_server::impl {
  server_mode mode;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> tls;
  std::thread accept_thread;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::list<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> threads;
  std::size_t accepted = 0;
  std::size_t finished = 0;
  bool stopping = false;
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> pattern_ok{true};

  void accept_next() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket peer) {
      if (ec) {
        return;
      }
      auto shared = std::make_shared<tcp::socket>(std::move(peer));
      {
        std::lock_guard lock{mutex};
        if (stopping) {
          return;
        }
        ++accepted;
        sockets.push_back(shared);
        threads.emplace_back([this, shared] {
          serve(*shared);
          std::lock_guard inner{mutex};
          boost::system::error_code ignored;
          shared->shutdown(tcp::socket::shutdown_both, ignored);
          shared->close(ignored);
          ++finished;
          changed.notify_all();
        });
      }
      accept_next();
    });
  }

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
      case server_mode::reset: {
        std::lock_guard lock{mutex};  // the destructor touches the socket under it too
        peer.set_option(asio::socket_base::linger{true, 0}, ec);
        peer.close(ec);
        return;
      }
      case server_mode::close: {
        std::lock_guard lock{mutex};
        peer.shutdown(tcp::socket::shutdown_both, ec);
        peer.close(ec);
        return;
      }
      case server_mode::silent: {
        std::unique_lock lock{mutex};
        changed.wait(lock, [this] { return stopping; });
        return;
      }
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
  const tcp::endpoint where{asio::ip::make_address(address), 0};
  impl_->acceptor.open(where.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address{true});
  impl_->acceptor.bind(where);
  impl_->acceptor.listen();
  impl_->accept_next();
  impl_->accept_thread = std::thread{[this] { impl_->io.run(); }};
}

loopback_server::~loopback_server() {
  {
    std::lock_guard lock{impl_->mutex};
    impl_->stopping = true;
    for (auto& s : impl_->sockets) {
      boost::system::error_code ignored;
      s->shutdown(tcp::socket::shutdown_both, ignored);
    }
    impl_->changed.notify_all();
  }
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{impl_->mutex};
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) {
    t.join();
  }
}

std::uint16_t loopback_server::port() const noexcept {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::size_t loopback_server::connections() const noexcept {
  std::lock_guard lock{impl_->mutex};
  return impl_->accepted;
}

std::uint64_t loopback_server::bytes_received() const noexcept {
  return impl_->received;
}
bool loopback_server::pattern_ok() const noexcept {
  return impl_->pattern_ok;
}

bool loopback_server::wait_for_finished(std::size_t count, int seconds) const {
  std::unique_lock lock{impl_->mutex};
  return impl_->changed.wait_for(lock, std::chrono::seconds{seconds},
                                 [&] { return impl_->finished >= count; });
}

}  // namespace ferry::test
