// A consumer that uses Asio itself and ferry on the same io_context: its own acceptor and timer
// beside ferry's socket. Exits 0 only if both worked.
#include <boost/asio.hpp>
#include <ferry/ferry.hpp>
#include <iostream>

int main() {
  namespace asio = boost::asio;
  asio::io_context context;
  asio::ip::tcp::acceptor acceptor{context, {asio::ip::make_address("127.0.0.1"), 0}};
  const auto port = acceptor.local_endpoint().port();
  asio::ip::tcp::socket accepted{context};
  char served[5] = {};
  acceptor.async_accept(accepted, [&](boost::system::error_code ec) {
    if (!ec) {
      asio::async_read(accepted, asio::buffer(served),
                       [](boost::system::error_code, std::size_t) {});
    }
  });
  bool timer_fired = false;
  asio::steady_timer timer{context, std::chrono::milliseconds{1}};
  timer.async_wait([&](boost::system::error_code ec) { timer_fired = !ec; });

  ferry::engine::io_loop loop{context};  // ferry on the consumer's own io_context
  ferry::engine::tcp_socket s{loop};
  std::error_code result = ferry::engine::error::operation_aborted;
  s.begin_connect("127.0.0.1", port, [&](ferry::engine::async_result& r) {
    std::error_code ec;
    s.end_connect(r, ec);
    if (ec) {
      result = ec;
      return;
    }
    s.begin_send(ferry::engine::buffer("hello"),
                 [&](ferry::engine::async_result& sent) { s.end_send(sent, result); });
  });
  context.run();
  const bool ok = !result && timer_fired && std::string(served, 5) == "hello";
  std::cout << (ok ? "consumer: ok" : "consumer: FAILED " + result.message()) << '\n';
  return ok ? 0 : 1;
}
