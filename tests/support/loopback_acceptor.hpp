// ferry::test::loopback_acceptor — what every test server shares: a listener on a loopback
// port chosen at run time, a thread per connection running the server's own handler, and a
// stop that wakes and joins them all. Asio is used here, so only support .cpp files include it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ferry::test {

class loopback_acceptor {
 public:
  using tcp = boost::asio::ip::tcp;
  /// Serves one accepted connection; runs on a thread of its own. When it returns, the
  /// connection is shut down and closed.
  using handler = std::function<void(tcp::socket&)>;

  /// Listens on `address` ("127.0.0.1" or "::1"), port 0, and starts accepting.
  loopback_acceptor(const std::string& address, handler serve);
  ~loopback_acceptor();  // stop()
  loopback_acceptor(const loopback_acceptor&) = delete;
  loopback_acceptor& operator=(const loopback_acceptor&) = delete;

  /// Stops accepting, shuts every connection down (waking blocked reads and pauses), and joins
  /// every thread. Idempotent.
  void stop();

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::size_t accepted() const;
  /// Waits (bounded) until `count` connections have finished.
  bool wait_for_finished(std::size_t count, std::chrono::seconds limit) const;

  /// Sleeps for `d` unless stop() comes first (a stalling server must not hold up a test).
  void pause(std::chrono::milliseconds d);
  /// Waits until stop() (for servers that accept and never answer).
  void wait_for_stop();
  /// Closes `s` from a handler, with RST when `reset`: under the lock stop() uses, since
  /// Asio sockets are not safe to close and shut down concurrently.
  void close(tcp::socket& s, bool reset);

 private:
  void accept_next();

  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  handler serve_;
  std::thread accept_thread_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::list<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::size_t accepted_ = 0;
  std::size_t finished_ = 0;
  bool stopping_ = false;
};

}  // namespace ferry::test
