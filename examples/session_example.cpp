// The README's session example: a named queue of downloads that outlives the process. Run it,
// kill it, run it again: the tasks continue from their partial files, and every outcome is
// delivered, at least once, until acknowledged.
#include <ferry/engine.hpp>
#include <iostream>

class printer : public ferry::engine::session_delegate {
 public:
  // On the session's delegate thread; the event is already in the journal.
  ferry::engine::delivery on_event(const ferry::engine::session_event& e) override {
    std::cout << "task " << e.task << ": " << ferry::engine::to_string(e.kind) << ' '
              << ferry::engine::code_name(e.code) << '\n';
    return ferry::engine::delivery::done;  // acknowledged: never delivered again
  }
};

int main(int argc, char** argv) {
  using namespace ferry;
  if (argc < 3 || argc % 2 == 0) {
    std::cerr << "usage: session_example URL FILE [URL FILE]...\n";
    return 2;
  }
  engine::session_config config;
  config.identifier = "example";  // state in $XDG_STATE_HOME/ferry/sessions/example
  printer delegate;
  std::error_code ec;
  auto s = engine::session::open(config, &delegate, ec);  // re-attaches if it exists
  if (ec) {
    std::cerr << "cannot open the session: " << ec.message() << '\n';  // session_busy, ...
    return 1;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    engine::transfer_request r;
    r.url = http::url::parse(argv[i]);
    r.output = argv[i + 1];
    engine::task_options o;
    o.key = argv[i + 1];  // adding it again on the next run returns the same task
    std::cout << "task " << s->add(r, o).id << ": " << argv[i] << '\n';
  }
  s->wait_idle(std::chrono::hours{1}, ec);  // every task finished, every event delivered
  return ec ? 1 : 0;
}
