// ferry_session_peer — another process of a session, for the tests that need one: a controller
// that sends one command and says how long its answer took.
//
//   ferry_session_peer STATE_DIR add URL OUTPUT   prints "<task id> <milliseconds>"
//   ferry_session_peer STATE_DIR pause|resume|cancel ID
//                                                 prints "<milliseconds>"
//   ferry_session_peer STATE_DIR runner-active    prints "yes" or "no"
//   ferry_session_peer STATE_DIR run BASE_URL COUNT OUT_DIR LOG
//       the session's runner: adds COUNT downloads (keys t0.., BASE_URL/f<i> to OUT_DIR/f<i>; a
//       second run adds them again, which adds nothing), works until idle and closes. Its
//       delegate appends "event <seq> <task> <kind>" to LOG when it hears an event, then
//       acknowledges it itself and appends "ack <seq>" once that has committed: what a
//       delegate that must act exactly once would store. With FERRY_CRASH_AT=<milestone>:<n> it
//       kills itself (SIGKILL) at the n-th (from 1) such milestone of the session.
//
// Exit 0, or 1 with the error's name on standard error.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
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

// Appends lines with one write(2) each: what was written survives a SIGKILL.
class log_file {
 public:
  explicit log_file(const char* path) : fd_(::open(path, O_WRONLY | O_CREAT | O_APPEND, 0600)) {}
  ~log_file() { ::close(fd_); }
  log_file(const log_file&) = delete;
  log_file& operator=(const log_file&) = delete;
  void line(const std::string& text) const {
    const std::string l = text + "\n";
    (void)!::write(fd_, l.data(), l.size());
  }

 private:
  int fd_;
};

class logging_delegate : public session_delegate {
 public:
  explicit logging_delegate(const log_file& log) : log_(log) {}

  void on_attached(session& s) override { owner_ = &s; }

  delivery on_event(const session_event& e) override {
    log_.line("event " + std::to_string(e.seq) + " " + std::to_string(e.task) + " " +
              std::string{to_string(e.kind)});
    std::error_code ec;
    owner_->acknowledge(e.seq, ec);
    if (!ec) {
      log_.line("ack " + std::to_string(e.seq));
    }
    return delivery::later;  // acknowledged above, and logged only once committed
  }

 private:
  const log_file& log_;
  session* owner_ = nullptr;
};

// FERRY_CRASH_AT=<milestone>:<n>: SIGKILL at the n-th such milestone.
std::function<void(std::string_view)> crash_hook() {
  const char* at = std::getenv("FERRY_CRASH_AT");
  if (at == nullptr) {
    return {};
  }
  const std::string spec = at;
  const auto colon = spec.rfind(':');
  const std::string name = spec.substr(0, colon);
  const long n = std::strtol(spec.c_str() + colon + 1, nullptr, 10);
  auto seen = std::make_shared<std::atomic<long>>(0);
  return [name, n, seen](std::string_view milestone) {
    if (milestone == name && ++*seen == n) {
      ::kill(::getpid(), SIGKILL);
    }
  };
}

int run(const session_config& base, const std::string& url, std::size_t count,
        const std::string& out_dir, const char* log_path) {
  session_config config = base;
  config.role = session_role::runner;
  config.retry.initial_delay = std::chrono::milliseconds{5};
  config.retry.max_delay = std::chrono::milliseconds{50};
  const log_file log{log_path};
  logging_delegate delegate{log};
  session_environment environment;
  environment.on_milestone = crash_hook();
  std::error_code ec;
  auto s = session::open(config, &delegate, ec, std::move(environment));
  if (ec) {
    return fail(ec);
  }
  for (std::size_t i = 0; i < count; ++i) {
    transfer_request r;
    r.kind = transfer_kind::download;
    r.url = ferry::http::url::parse(url + "/f" + std::to_string(i));
    r.output = out_dir + "/f" + std::to_string(i);
    r.durable = durability::process;
    r.retry.initial_delay = std::chrono::milliseconds{5};
    r.retry.max_delay = std::chrono::milliseconds{50};
    task_options o;
    o.key = "t" + std::to_string(i);
    (void)s->add(r, o, ec);
    if (ec) {
      return fail(ec);
    }
  }
  s->wait_idle(std::chrono::seconds{60}, ec);
  if (ec) {
    return fail(ec);
  }
  s->close();
  return 0;
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
  if (verb == "run" && argc == 7) {
    return run(config, argv[3], std::strtoull(argv[4], nullptr, 10), argv[5], argv[6]);
  }
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
