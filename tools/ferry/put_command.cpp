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
  engine::transfer_request request;
  request.kind = engine::transfer_kind::upload;
  request.url = target;
  request.method = o.method;
  request.fields = setup.fields();
  request.chunked = o.chunked;
  request.chunk_size = static_cast<std::size_t>(*chunk);
  if (o.common.retry >= 0) {
    request.retry.attempts = static_cast<unsigned>(o.common.retry);
  }
  engine::transfer_environment environment;
  environment.via = &setup.client();
  environment.on_event = [&](const engine::transfer_event& e) { printer.on_upload(row, e); };
  if (o.source == "-") {
    environment.body = engine::descriptor_body(STDIN_FILENO);
  } else {
    request.body = o.source;
  }
  engine::upload transfer{request, environment};
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
