// ferry — the command-line tool: `get` (resumable downloads), `put` (uploads), and
// `engine-demo`, which drives the bare Begin/End socket engine end to end.
#include <fmt/core.h>

#include <chrono>
#include <ferry/ferry.hpp>
#include <future>
#include <string>
#include <vector>

#include "command_line.hpp"

namespace {

using namespace ferry::engine;
using namespace std::chrono_literals;

// Sends one HTTP/1.0 request over the engine's socket and writes every byte of the reply
// (status line and headers included: parsing them is the HTTP layer's job) to a file, through
// a chain of begin_receive callbacks that carry a state object.
struct raw_fetch {
  raw_fetch(tcp_socket& to, file& into) : s(to), output(into) {}

  tcp_socket& s;
  file& output;
  std::vector<char> buffer = std::vector<char>(256 * 1024);
  std::uint64_t written = 0;
  std::error_code ec;
  std::promise<void> finished;

  void on_receive(async_result& r) {
    const std::size_t n = s.end_receive(r, ec);
    if (!ec && n > 0) {
      written += output.write_at(written, ferry::engine::buffer(buffer.data(), n), ec);
    }
    if (ec || n == 0) {
      finished.set_value();
      return;
    }
    receive_next();
  }

  void receive_next() {
    s.begin_receive(
        ferry::engine::buffer(buffer), [](async_result& r) { r.state<raw_fetch>()->on_receive(r); },
        this, 30s);
  }
};

int engine_demo(const std::string& host, std::uint16_t port, const std::string& path,
                const std::string& output_path) {
  io_loop loop;
  loop.start(1);
  tcp_socket s{loop};
  std::error_code ec;
  const endpoint peer = connect(s, host, port, 10s, ec);
  if (ec) {
    fmt::print(stderr, "ferry: connect to {}:{}: {}\n", host, port, ec.message());
    return 3;
  }
  auto output = file_system::local().open(
      output_path, open_mode::write | open_mode::create | open_mode::truncate, ec);
  if (ec) {
    fmt::print(stderr, "ferry: open {}: {}\n", output_path, ec.message());
    return 8;
  }
  const std::string request = fmt::format(
      "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: ferry-engine-demo\r\n\r\n", path, host);
  const auto start = std::chrono::steady_clock::now();
  (void)send(s, buffer(request), 10s, ec);
  if (ec) {
    fmt::print(stderr, "ferry: send: {}\n", ec.message());
    return 3;
  }
  raw_fetch fetch{s, *output};
  auto done = fetch.finished.get_future();
  loop.post([&] { fetch.receive_next(); });
  done.wait();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (fetch.ec) {
    fmt::print(stderr, "ferry: receive: {}\n", fetch.ec.message());
    return fetch.ec == condition::local_io ? 8 : 3;
  }
  output->sync_data(ec);
  fmt::print(stderr, "ferry: {} bytes from {} in {:.3f} s ({:.0f} MiB/s) into {}\n", fetch.written,
             peer.to_string(), seconds, static_cast<double>(fetch.written) / seconds / (1 << 20),
             output_path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ferry::cli::command_line line;
  if (const auto exit = ferry::cli::parse_command_line(argc, argv, line)) {
    return *exit;
  }
  switch (line.which) {
    case ferry::cli::command_line::command::get:
      return ferry::cli::run_get(line.get);
    case ferry::cli::command_line::command::put:
      return ferry::cli::run_put(line.put);
    case ferry::cli::command_line::command::engine_demo:
      return engine_demo(line.demo.host, static_cast<std::uint16_t>(line.demo.port), line.demo.path,
                         line.demo.output);
  }
  return 2;
}
