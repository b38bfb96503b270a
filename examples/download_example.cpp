// The README's download example: one URL to one file, resumed from whatever an earlier run left
// on disk, over up to 4 connections, verified when a checksum is given.
#include <ferry/engine.hpp>
#include <iostream>

int main(int argc, char** argv) {
  using namespace ferry;
  if (argc < 3) {
    std::cerr << "usage: download_example URL FILE [sha256:HEX]\n";
    return 2;
  }
  engine::io_loop loop;
  loop.start();
  engine::tls_context tls;
  engine::client via{loop, tls};  // redirects, proxies, cookies, rate limits

  engine::download_options o;
  o.output = argv[2];  // bytes go to FILE.part (and its record) until verified and renamed
  o.segments = 4;      // ranges over 4 connections when the server allows
  if (argc > 3) {
    o.checksum = engine::expected_digest::parse(argv[3]);
  }
  // started, progress, retry, restarted, paused, completed, failed; `code` names every reason.
  o.on_event = [](const engine::transfer_event& e) {
    if (e.kind == engine::transfer_event_kind::retry) {
      std::cerr << "retrying (" << engine::code_name(e.reason) << ")\n";
    }
  };
  engine::download d{via, http::url::parse(argv[1]), o};
  engine::async_result r = d.begin_download([](engine::async_result&) { /* on a loop thread */ });
  // d.pause(), d.resume() and d.cancel() may be called from any thread meanwhile.
  std::error_code ec;
  const engine::download_result done = d.end_download(r, ec);  // waits; or end_download(r)
  if (ec) {
    std::cerr << "failed: " << ec.message() << " (" << engine::code_name(ec) << ")\n";
    return 1;
  }
  std::cerr << done.length << " bytes, " << done.resumed << " of them from an earlier run\n";
  return 0;
}
