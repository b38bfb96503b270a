// http::response_reader against raw Beast in one binary, two baselines: response_parser with
// buffer_body (the usual way to stream a body with Beast: fields stored, body copied into a
// buffer) and the floor, basic_parser with callbacks that only count. Deterministic corpora:
//   many_headers  200 small responses of 24 header fields each, parsed one after another
//   large_body    one response with a 4 MiB Content-Length body
//   chunked       one response with a 4 MiB body in 4 KiB chunks
// Inputs arrive in 64 KiB pieces, as from a socket. bytes/s and responses/s both reported.
//
//   build/default/bench/parser_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <random>
#include <string>
#include <vector>

#include "ferry/http/error.hpp"
#include "ferry/http/response_reader.hpp"

namespace {

namespace bhttp = boost::beast::http;
constexpr std::size_t piece = 64 * 1024;

struct corpus {
  std::vector<std::string> responses;
  std::size_t bytes = 0;
};

std::string body_of(std::size_t n) {
  std::mt19937 random{42};
  std::string s(n, '\0');
  for (auto& c : s) {
    c = static_cast<char>(random());
  }
  return s;
}

corpus many_headers() {
  corpus c;
  std::mt19937 random{7};
  for (int i = 0; i < 200; ++i) {
    std::string r = "HTTP/1.1 200 OK\r\n";
    for (int f = 0; f < 24; ++f) {
      r += "X-Field-" + std::to_string(f) + ": value-" + std::to_string(random()) + "\r\n";
    }
    r += "Content-Length: 16\r\n\r\n0123456789abcdef";
    c.bytes += r.size();
    c.responses.push_back(std::move(r));
  }
  return c;
}

corpus large_body() {
  const std::string body = body_of(4U << 20);
  corpus c;
  c.responses.push_back("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body);
  c.bytes = c.responses[0].size();
  return c;
}

corpus chunked() {
  const std::string body = body_of(4U << 20);
  std::string r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 4096) {
    r += "1000\r\n" + body.substr(at, 4096) + "\r\n";
  }
  r += "0\r\n\r\n";
  corpus c;
  c.bytes = r.size();
  c.responses.push_back(std::move(r));
  return c;
}

struct counting_handler final : ferry::http::response_handler {
  void on_body(std::string_view bytes) override { body += bytes.size(); }
  std::size_t body = 0;
};

// Feeds one response in pieces, keeping unconsumed bytes the way a connection does.
std::size_t ferry_parse(const std::string& response) {
  counting_handler handler;
  ferry::http::response_reader reader{handler};
  std::string pending;
  std::error_code ec;
  for (std::size_t at = 0; at < response.size() && !reader.done(); at += piece) {
    std::string_view input{response.data() + at, std::min(piece, response.size() - at)};
    std::size_t used = 0;
    if (pending.empty()) {
      used = reader.put(input, ec);
      if (used < input.size()) {
        pending.assign(input.substr(used));
      }
    } else {
      pending.append(input);
      used = reader.put(pending, ec);
      pending.erase(0, used);
    }
  }
  return handler.body;
}

std::size_t beast_parse(const std::string& response) {
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.eager(true);
  parser.body_limit(boost::none);
  static char scratch[64 * 1024];
  std::size_t body = 0;
  std::string pending;
  boost::beast::error_code ec;
  for (std::size_t at = 0; at < response.size() && !parser.is_done(); at += piece) {
    pending.append(response, at, std::min(piece, response.size() - at));
    std::size_t offset = 0;
    while (offset < pending.size() && !parser.is_done()) {
      parser.get().body().data = scratch;
      parser.get().body().size = sizeof scratch;
      offset +=
          parser.put(boost::asio::buffer(pending.data() + offset, pending.size() - offset), ec);
      body += sizeof scratch - parser.get().body().size;
      if (ec == bhttp::error::need_buffer) {
        ec = {};
        continue;
      }
      if (ec) {
        break;  // need_more: keep the rest for the next piece
      }
    }
    pending.erase(0, offset);
  }
  return body;
}

// The floor: Beast's basic_parser with callbacks that only count (no field storage, no body
// copy). What ferry's reader adds over this is its own overhead.
class counting_parser final : public bhttp::basic_parser<false> {
 public:
  std::size_t body = 0;

 private:
  using sv = boost::beast::string_view;
  using ec_t = boost::beast::error_code;
  void on_request_impl(bhttp::verb, sv, sv, int, ec_t& ec) override { ec = {}; }
  void on_response_impl(int, sv, int, ec_t& ec) override { ec = {}; }
  void on_field_impl(bhttp::field, sv, sv, ec_t& ec) override { ec = {}; }
  void on_header_impl(ec_t& ec) override { ec = {}; }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, ec_t& ec) override { ec = {}; }
  std::size_t on_body_impl(sv b, ec_t& ec) override {
    ec = {};
    body += b.size();
    return b.size();
  }
  void on_chunk_header_impl(std::uint64_t, sv, ec_t& ec) override { ec = {}; }
  std::size_t on_chunk_body_impl(std::uint64_t, sv b, ec_t& ec) override {
    ec = {};
    body += b.size();
    return b.size();
  }
  void on_finish_impl(ec_t& ec) override { ec = {}; }
};

std::size_t beast_floor_parse(const std::string& response) {
  counting_parser parser;
  parser.eager(true);
  parser.body_limit(boost::none);
  std::string pending;
  boost::beast::error_code ec;
  for (std::size_t at = 0; at < response.size() && !parser.is_done(); at += piece) {
    std::string_view input{response.data() + at, std::min(piece, response.size() - at)};
    if (pending.empty()) {
      const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      if (used < input.size()) {
        pending.assign(input.substr(used));
      }
    } else {
      pending.append(input);
      pending.erase(0, parser.put(boost::asio::buffer(pending), ec));
    }
  }
  return parser.body;
}

template <std::size_t (*Parse)(const std::string&), corpus (*Make)()>
void run(benchmark::State& state) {
  const corpus c = Make();
  for (auto _ : state) {
    for (const auto& r : c.responses) {
      benchmark::DoNotOptimize(Parse(r));
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(c.bytes * state.iterations()));
  state.counters["responses_per_second"] = benchmark::Counter(
      static_cast<double>(c.responses.size() * state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(run<ferry_parse, many_headers>)->Name("BM_ferry_reader/many_headers");
BENCHMARK(run<beast_floor_parse, many_headers>)->Name("BM_beast_floor/many_headers");
BENCHMARK(run<beast_parse, many_headers>)->Name("BM_beast_parser/many_headers");
BENCHMARK(run<ferry_parse, large_body>)->Name("BM_ferry_reader/large_body");
BENCHMARK(run<beast_floor_parse, large_body>)->Name("BM_beast_floor/large_body");
BENCHMARK(run<beast_parse, large_body>)->Name("BM_beast_parser/large_body");
BENCHMARK(run<ferry_parse, chunked>)->Name("BM_ferry_reader/chunked");
BENCHMARK(run<beast_floor_parse, chunked>)->Name("BM_beast_floor/chunked");
BENCHMARK(run<beast_parse, chunked>)->Name("BM_beast_parser/chunked");

}  // namespace

BENCHMARK_MAIN();
