// `ferry put`: a file (or standard input) to a URL, Content-Length or chunked.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "commands.hpp"
#include "exit_code.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/upload.hpp"
#include "interrupt.hpp"

namespace ferry::cli {

using namespace std::chrono_literals;

void add_put_command(CLI::App& app, put_options& o) {
  auto* put = app.add_subcommand("put", "Upload FILE (or - for standard input) to URL");
  put->add_option("source", o.source, "The file to send, or - for standard input")->required();
  put->add_option("url", o.url, "Where to send it")->required();
  put->add_option("-X,--request", o.method, "Method (PUT or POST)")
      ->check(CLI::IsMember({"PUT", "POST"}))
      ->capture_default_str();
  put->add_flag("--chunked", o.chunked, "Transfer-Encoding: chunked even for a file");
  put->add_option("--chunk-size", o.chunk_size, "Bytes per read and per chunk (64K, 1M)")
      ->capture_default_str();
  add_common_options(*put, o.common);
}

int run_put(const put_options& o) {
  watch_interrupts();
  std::error_code ec;
  const http::url target = http::url::parse(o.url, ec);
  if (ec) {
    fmt::print(stderr, "ferry put: not an http(s) URL: {}\n", o.url);
    return 2;
  }
  const auto chunk = parse_size(o.chunk_size);
  if (!chunk || *chunk == 0 || *chunk > (16U << 20U)) {
    fmt::print(stderr, "ferry put: --chunk-size takes 1 byte to 16M\n");
    return 2;
  }
  std::string why;
  client_setup setup{o.common, target, 1, static_cast<std::size_t>(*chunk), ec, why};
  if (ec) {
    fmt::print(stderr, "ferry put: {}\n", why);
    return exit_code_for(ec);
  }
  progress_printer printer{setup.progress()};
  const std::size_t row = printer.add(o.url, o.source);
  engine::upload_options options;
  options.method = o.method;
  options.fields = setup.fields();
  options.chunked = o.chunked;
  options.chunk_size = static_cast<std::size_t>(*chunk);
  if (o.common.retry >= 0) {
    options.retries = static_cast<unsigned>(o.common.retry);
  }
  options.on_event = [&](const engine::upload_event& e) { printer.on_upload(row, e); };
  const bool from_stdin = o.source == "-";
  engine::upload transfer{
      setup.client(), target,
      from_stdin ? engine::descriptor_body(STDIN_FILENO) : engine::file_body(o.source), options};
  const auto started = std::chrono::steady_clock::now();
  engine::async_result pending = transfer.begin_upload({});
  int signal = 0;
  while (!pending.wait_for(100ms)) {
    signal = interrupted();
    if (signal != 0) {
      transfer.cancel();
      pending.wait();
      break;
    }
  }
  const engine::upload_result result = transfer.end_upload(pending, ec);
  printer.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (signal != 0) {
    return 128 + signal;
  }
  if (ec) {
    fmt::print(stderr, "ferry: {}: {}\n", o.url, ec.message());
    return exit_code_for(ec);
  }
  std::fwrite(result.response.data(), 1, result.response.size(), stdout);
  std::fflush(stdout);
  if (setup.progress() != progress_mode::json && !o.common.silent) {
    fmt::print(stderr, "ferry: {} -> {}: {} bytes in {:.2f} s, the server answered {}\n", o.source,
               o.url, result.sent, seconds, result.head.status);
  }
  if (!setup.save_cookies(why)) {
    fmt::print(stderr, "ferry: {}\n", why);
    return 8;
  }
  return result.head.status >= 400 ? exit_code_for(engine::error::http_error_status) : 0;
}

}  // namespace ferry::cli
