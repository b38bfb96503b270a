// The README's library example: fetch a URL's raw HTTP response with the Begin/End socket.
#include <ferry/engine.hpp>
#include <future>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  using namespace ferry::engine;
  using namespace std::chrono_literals;
  if (argc != 3) {
    std::cerr << "usage: readme_example HOST PORT\n";
    return 2;
  }
  io_loop loop;
  loop.start();  // one worker thread runs every callback
  tcp_socket s{loop};

  // The state object travels from begin_receive to the callback and to end_receive.
  struct reading {
    char buffer[16 * 1024];
    std::size_t total = 0;
    std::error_code ec;
  } state;
  std::promise<void> finished;

  s.begin_connect(
      argv[1], static_cast<std::uint16_t>(std::stoi(argv[2])),
      [&](async_result& connected) {
        std::error_code ec;
        s.end_connect(connected, ec);
        if (ec) {
          state.ec = ec;
          return finished.set_value();
        }
        static const std::string request = "GET / HTTP/1.0\r\nHost: example\r\n\r\n";
        s.begin_send(buffer(request), [&](async_result& sent) {
          s.end_send(sent);  // the throwing form; the loop catches and reports exceptions
          // Receive until the server closes: each callback starts the next receive.
          auto on_receive = [&](auto& self, async_result& r) -> void {
            auto* st = r.state<reading>();
            const std::size_t n = s.end_receive(r, st->ec);
            std::cout.write(st->buffer, static_cast<std::streamsize>(n));
            st->total += n;
            if (st->ec || n == 0) {
              return finished.set_value();
            }
            s.begin_receive(
                buffer(st->buffer, sizeof st->buffer),
                [&self](async_result& next) { self(self, next); }, st, 30s);
          };
          s.begin_receive(
              buffer(state.buffer, sizeof state.buffer),
              [on_receive](async_result& r) { on_receive(on_receive, r); }, &state, 30s);
        });
      },
      {}, 10s);

  finished.get_future().wait();
  std::cerr << state.total << " bytes" << (state.ec ? ", " + state.ec.message() : "") << '\n';
  return state.ec ? 1 : 0;
}
