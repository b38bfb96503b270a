// ferry_session_peer — another process of a session, for the tests that need one: a controller
// that sends one command and says how long its answer took.
//
//   ferry_session_peer STATE_DIR add URL OUTPUT   prints "<task id> <milliseconds>"
//   ferry_session_peer STATE_DIR pause|resume|cancel ID
//                                                 prints "<milliseconds>"
//   ferry_session_peer STATE_DIR runner-active    prints "yes" or "no"
//
// Exit 0, or 1 with the error's name on standard error.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ferry/engine/error.hpp"
#include "ferry/engine/session/session.hpp"

namespace {

using namespace ferry::engine;

int fail(std::error_code ec) {
  std::fprintf(stderr, "%s: %s\n", std::string{code_name(ec)}.c_str(), ec.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fputs("usage: ferry_session_peer STATE_DIR VERB ...\n", stderr);
    return 2;
  }
  session_config config;
  config.identifier = "peer";
  config.state_directory = argv[1];
  config.role = session_role::control;
  config.durable = durability::process;
  const std::string_view verb = argv[2];
  std::error_code ec;
  auto s = session::open(config, nullptr, ec);
  if (ec) {
    return fail(ec);
  }
  const auto begin = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - begin)
                                      .count());
  };
  if (verb == "add" && argc == 5) {
    transfer_request r;
    r.kind = transfer_kind::download;
    r.url = ferry::http::url::parse(argv[3]);
    r.output = argv[4];
    r.durable = durability::process;
    const task_info t = s->add(r, {}, ec);
    if (ec) {
      return fail(ec);
    }
    std::printf("%llu %lld\n", static_cast<unsigned long long>(t.id), elapsed());
    return 0;
  }
  if ((verb == "pause" || verb == "resume" || verb == "cancel") && argc == 4) {
    const task_id id = std::strtoull(argv[3], nullptr, 10);
    if (verb == "pause") {
      s->pause(id, ec);
    } else if (verb == "resume") {
      s->resume(id, ec);
    } else {
      s->cancel(id, ec);
    }
    if (ec) {
      return fail(ec);
    }
    std::printf("%lld\n", elapsed());
    return 0;
  }
  if (verb == "runner-active" && argc == 3) {
    std::puts(s->runner_active() ? "yes" : "no");
    return 0;
  }
  std::fputs("ferry_session_peer: unknown verb or arguments\n", stderr);
  return 2;
}
