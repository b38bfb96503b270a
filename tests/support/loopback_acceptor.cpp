#include "loopback_acceptor.hpp"

#include <boost/asio/post.hpp>

namespace ferry::test {

namespace asio = boost::asio;

loopback_acceptor::loopback_acceptor(const std::string& address, handler serve)
    : serve_(std::move(serve)) {
  const tcp::endpoint where{asio::ip::make_address(address), 0};
  acceptor_.open(where.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address{true});
  acceptor_.bind(where);
  acceptor_.listen();
  accept_next();
  accept_thread_ = std::thread{[this] { io_.run(); }};
}

loopback_acceptor::~loopback_acceptor() {
  stop();
}

void loopback_acceptor::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket peer) {
    if (ec) {
      return;
    }
    auto shared = std::make_shared<tcp::socket>(std::move(peer));
    std::lock_guard lock{mutex_};
    if (stopping_) {
      return;
    }
    ++accepted_;
    sockets_.push_back(shared);
    threads_.emplace_back([this, shared] {
      serve_(*shared);
      std::lock_guard inner{mutex_};
      boost::system::error_code ignored;
      shared->shutdown(tcp::socket::shutdown_both, ignored);
      shared->close(ignored);
      ++finished_;
      changed_.notify_all();
    });
    accept_next();
  });
}

void loopback_acceptor::stop() {
  {
    std::lock_guard lock{mutex_};
    if (stopping_) {
      return;
    }
    stopping_ = true;
    for (auto& s : sockets_) {
      boost::system::error_code ignored;
      s->shutdown(tcp::socket::shutdown_both, ignored);
    }
  }
  changed_.notify_all();
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{mutex_};
    threads.swap(threads_);
  }
  for (auto& t : threads) {
    t.join();
  }
}

std::uint16_t loopback_acceptor::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

std::size_t loopback_acceptor::accepted() const {
  std::lock_guard lock{mutex_};
  return accepted_;
}

bool loopback_acceptor::wait_for_finished(std::size_t count, std::chrono::seconds limit) const {
  std::unique_lock lock{mutex_};
  return changed_.wait_for(lock, limit, [&] { return finished_ >= count; });
}

void loopback_acceptor::pause(std::chrono::milliseconds d) {
  std::unique_lock lock{mutex_};
  changed_.wait_for(lock, d, [this] { return stopping_; });
}

void loopback_acceptor::wait_for_stop() {
  std::unique_lock lock{mutex_};
  changed_.wait(lock, [this] { return stopping_; });
}

void loopback_acceptor::close(tcp::socket& s, bool reset) {
  std::lock_guard lock{mutex_};
  boost::system::error_code ignored;
  if (reset) {
    s.set_option(asio::socket_base::linger{true, 0}, ignored);
  } else {
    s.shutdown(tcp::socket::shutdown_both, ignored);
  }
  s.close(ignored);
}

}  // namespace ferry::test
