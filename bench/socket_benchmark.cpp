// Loopback throughput and per-operation cost of ferry's Begin/End socket against a raw Asio
// loop (async_write / async_read_some) in the same binary, with the same peer: a plain thread
// doing blocking reads (a sink) or blocking writes (a source).
//
//   build/default/bench/socket_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
//
// Throughput rows move 64 MiB per iteration in 256 KiB operations (bytes_per_second).
// Small rows receive 64-byte pieces from a peer that floods; `time_per_op` is the time of one
// receive.
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/asio.hpp>
#include <future>
#include <thread>
#include <vector>

#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/tcp_socket.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
namespace fe = ferry::engine;

constexpr std::size_t bulk_bytes = 64U << 20;
constexpr std::size_t bulk_op = 256U << 10;
constexpr std::size_t small_bytes = 4U << 20;
constexpr std::size_t small_op = 64;

// The peer: accepts one connection and sinks or floods it on a thread of its own.
class peer {
 public:
  enum class role { sink, source };

  explicit peer(role r) : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread{[this, r] {
      boost::system::error_code ec;
      tcp::socket s{io_};
      acceptor_.accept(s, ec);
      std::vector<char> buffer(1U << 20, 'p');
      while (!ec) {
        if (r == role::sink) {
          s.read_some(asio::buffer(buffer), ec);
        } else {
          asio::write(s, asio::buffer(buffer), ec);
        }
      }
    }};
  }
  ~peer() { thread_.join(); }  // ends when the client closes
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

// ferry: a chain of begin_send / begin_receive calls in callbacks moving `total` bytes.
struct ferry_chain {
  ferry_chain(fe::tcp_socket& socket, std::size_t op) : s(socket), buffer(op, 'f'), op_size(op) {}

  fe::tcp_socket& s;
  std::vector<char> buffer;
  std::size_t op_size;
  std::size_t total = 0;
  std::size_t moved = 0;
  std::size_t ops = 0;
  std::promise<void> done;

  void run(bool sending, std::size_t bytes, fe::io_loop& loop) {
    total = bytes;
    moved = 0;
    done = {};
    auto finished = done.get_future();
    loop.post([this, sending] { sending ? send_next() : receive_next(); });
    finished.wait();
  }
  void send_next() {
    s.begin_send(
        fe::buffer(buffer.data(), op_size),
        [](fe::async_result& r) {
          auto* self = r.state<ferry_chain>();
          self->moved += self->s.end_send(r);
          ++self->ops;
          self->moved >= self->total ? self->done.set_value() : self->send_next();
        },
        this);
  }
  void receive_next() {
    s.begin_receive(
        fe::buffer(buffer.data(), op_size),
        [](fe::async_result& r) {
          auto* self = r.state<ferry_chain>();
          self->moved += self->s.end_receive(r);
          ++self->ops;
          self->moved >= self->total ? self->done.set_value() : self->receive_next();
        },
        this);
  }
};

// Raw Asio: the same chains with async_write and async_read_some.
struct asio_chain {
  asio_chain(tcp::socket& socket, std::size_t op) : s(socket), buffer(op, 'a'), op_size(op) {}

  tcp::socket& s;
  std::vector<char> buffer;
  std::size_t op_size;
  std::size_t total = 0;
  std::size_t moved = 0;
  std::size_t ops = 0;
  std::promise<void> done;

  void run(bool sending, std::size_t bytes) {
    total = bytes;
    moved = 0;
    done = {};
    auto finished = done.get_future();
    asio::post(s.get_executor(), [this, sending] { sending ? send_next() : receive_next(); });
    finished.wait();
  }
  void send_next() {
    asio::async_write(s, asio::buffer(buffer.data(), op_size),
                      [this](boost::system::error_code, std::size_t n) {
                        moved += n;
                        ++ops;
                        moved >= total ? done.set_value() : send_next();
                      });
  }
  void receive_next() {
    s.async_read_some(asio::buffer(buffer.data(), op_size),
                      [this](boost::system::error_code, std::size_t n) {
                        moved += n;
                        ++ops;
                        moved >= total ? done.set_value() : receive_next();
                      });
  }
};

void report(benchmark::State& state, std::size_t bytes, std::size_t ops) {
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["time_per_op"] = benchmark::Counter(
      static_cast<double>(ops), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void ferry_transfer(benchmark::State& state, bool sending, std::size_t bytes, std::size_t op) {
  peer p{sending ? peer::role::sink : peer::role::source};
  fe::io_loop loop;
  loop.start(1);
  fe::tcp_socket s{loop};
  fe::connect(s, "127.0.0.1", p.port());
  ferry_chain chain{s, op};
  for (auto _ : state) {
    chain.run(sending, bytes, loop);
  }
  report(state, bytes * state.iterations(), chain.ops);
  s.close();
}

void asio_transfer(benchmark::State& state, bool sending, std::size_t bytes, std::size_t op) {
  peer p{sending ? peer::role::sink : peer::role::source};
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner{[&io] { io.run(); }};
  tcp::socket s{io};
  s.connect({asio::ip::make_address("127.0.0.1"), p.port()});
  s.set_option(tcp::no_delay{true});
  asio_chain chain{s, op};
  for (auto _ : state) {
    chain.run(sending, bytes);
  }
  report(state, bytes * state.iterations(), chain.ops);
  asio::post(io, [&s] { s.close(); });
  work.reset();
  runner.join();
}

void BM_ferry_send(benchmark::State& state) {
  ferry_transfer(state, true, bulk_bytes, bulk_op);
}
void BM_asio_send(benchmark::State& state) {
  asio_transfer(state, true, bulk_bytes, bulk_op);
}
void BM_ferry_receive(benchmark::State& state) {
  ferry_transfer(state, false, bulk_bytes, bulk_op);
}
void BM_asio_receive(benchmark::State& state) {
  asio_transfer(state, false, bulk_bytes, bulk_op);
}
void BM_ferry_receive_small(benchmark::State& state) {
  ferry_transfer(state, false, small_bytes, small_op);
}
void BM_asio_receive_small(benchmark::State& state) {
  asio_transfer(state, false, small_bytes, small_op);
}

BENCHMARK(BM_ferry_send)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_asio_send)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ferry_receive)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_asio_receive)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ferry_receive_small)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_asio_receive_small)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
