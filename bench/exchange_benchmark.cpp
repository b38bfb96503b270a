// Sequential keep-alive GETs of a 4 KiB body through ferry's whole HTTP stack (client,
// connection pool, connection, response reader) against an in-process loopback server that
// answers every request with canned bytes. Reports requests/s (items_per_second).
//
//   build/default/bench/exchange_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <boost/asio.hpp>
#include <future>
#include <thread>

#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/client.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Answers each request (read up to the blank line) with the same 4 KiB response.
class canned_server {
 public:
  canned_server() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    response_ = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'b');
    thread_ = std::thread{[this] {
      boost::system::error_code ec;
      tcp::socket s{io_};
      acceptor_.accept(s, ec);
      std::string pending;
      char chunk[4096];
      while (!ec) {
        const std::size_t n = s.read_some(asio::buffer(chunk), ec);
        pending.append(chunk, n);
        std::size_t end;
        while ((end = pending.find("\r\n\r\n")) != std::string::npos) {
          pending.erase(0, end + 4);
          asio::write(s, asio::buffer(response_), ec);
        }
      }
    }};
  }
  ~canned_server() { thread_.join(); }  // ends when the client's connection closes
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::string response_;
  std::thread thread_;
};

// 100 requests per iteration, each begun from the previous one's callback (a sequential client
// on the loop), so that the figure is the stack's and not thread wake-ups'.
constexpr int batch = 100;

struct sequential_gets {
  explicit sequential_gets(ferry::engine::client& c) : client(c) {}

  ferry::engine::client& client;
  ferry::http::request request;
  ferry::engine::memory_sink sink;
  int remaining = 0;
  bool failed = false;
  std::promise<void> done;

  void next() {
    sink.clear();
    client.begin_exchange(request, sink, [this](ferry::engine::async_result& r) {
      std::error_code ec;
      const auto result = client.end_exchange(r, ec);
      if (ec || result.head.status != 200 || sink.data().size() != 4096) {
        failed = true;
        return done.set_value();
      }
      if (--remaining == 0) {
        return done.set_value();
      }
      next();
    });
  }
};

void BM_ferry_keep_alive_get_4k(benchmark::State& state) {
  canned_server server;
  ferry::engine::io_loop loop;
  loop.start(1);
  ferry::engine::tls_context tls;
  {
    ferry::engine::client client{loop, tls};
    sequential_gets gets{client};
    gets.request.url =
        ferry::http::url::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/four-k");
    for (auto _ : state) {
      gets.remaining = batch;
      gets.done = {};
      auto finished = gets.done.get_future();
      gets.next();
      finished.wait();
      if (gets.failed) {
        state.SkipWithError("unexpected response");
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    state.SetBytesProcessed(static_cast<std::int64_t>(4096 * batch * state.iterations()));
  }  // the client and its pooled connection go: the server sees the close
  loop.shutdown();
}

BENCHMARK(BM_ferry_keep_alive_get_4k)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
