// `ferry get`: one URL to a file, or a list of them N at a time, resuming whatever was there.
#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "crash_points.hpp"
#include "exit_code.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "interrupt.hpp"

namespace ferry::cli {

using namespace std::chrono_literals;

std::string file_name_from_url(const std::string& text) {
  std::string path = text;
  const auto scheme = path.find("://");
  if (scheme != std::string::npos) {
    const auto slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? std::string{} : path.substr(slash);
  }
  path = path.substr(0, path.find_first_of("?#"));
  std::string segment = path.substr(path.find_last_of('/') + 1);
  std::string decoded;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() &&
        std::isxdigit(static_cast<unsigned char>(segment[i + 1])) != 0 &&
        std::isxdigit(static_cast<unsigned char>(segment[i + 2])) != 0) {
      decoded += static_cast<char>(std::stoi(segment.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += segment[i];
    }
  }
  std::string safe;
  for (char c : decoded) {
    const auto u = static_cast<unsigned char>(c);
    safe += (u < 0x20 || u == 0x7f || c == '/' || c == '\\') ? '_' : c;
  }
  safe.erase(0, safe.find_first_not_of('.'));
  if (safe.size() > 200) {
    safe.resize(200);
  }
  return safe.empty() ? "index.html" : safe;
}

namespace {

struct job {
  std::string url;
  std::filesystem::path output;
  std::size_t row = 0;
  std::unique_ptr<engine::download> transfer;
  engine::async_result pending;
  engine::download_result result;
  std::error_code ec;
  std::chrono::steady_clock::time_point started;
  double seconds = 0;
  bool finished = false;
  std::shared_ptr<std::atomic<bool>> settled = std::make_shared<std::atomic<bool>>(false);
};

std::string human_rate(double bytes, double seconds) {
  return seconds > 0 ? fmt::format("{:.1f} MiB/s", bytes / seconds / (1 << 20)) : "-";
}

// Stops every running transfer so that its record is saved, waiting (bounded) until each
// has said it paused (or ended).
void pause_all(std::vector<job*>& running) {
  for (job* j : running) {
    j->transfer->pause();
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (job* j : running) {
    while (!j->settled->load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
  }
}

}  // namespace

int run_get(const get_options& o) {
  watch_interrupts();
  std::vector<job> jobs;
  const std::filesystem::path dir = o.directory.empty() ? "." : o.directory;
  if (!o.list.empty()) {
    std::ifstream in{o.list};
    if (!in) {
      fmt::print(stderr, "ferry: cannot read the URL list {}\n", o.list);
      return 8;
    }
    for (std::string line; std::getline(in, line);) {
      line.erase(line.find_last_not_of(" \t\r") + 1);
      line.erase(0, line.find_first_not_of(" \t"));
      if (line.empty() || line[0] == '#') {
        continue;
      }
      job j;
      j.url = line;
      j.output = dir / file_name_from_url(line);
      jobs.push_back(std::move(j));
    }
  } else if (!o.url.empty()) {
    std::filesystem::path out;
    if (o.output == "-") {
      out = "/dev/stdout";
    } else if (!o.output.empty()) {
      out = o.output;
    } else if (o.remote_name) {
      out = dir / file_name_from_url(o.url);
    } else {
      fmt::print(stderr, "ferry get: say where the file goes: -o FILE, -o - or -O\n");
      return 2;
    }
    job j;
    j.url = o.url;
    j.output = out;
    jobs.push_back(std::move(j));
  } else {
    fmt::print(stderr, "ferry get: give a URL, or -i FILE\n");
    return 2;
  }
  if (jobs.empty()) {
    fmt::print(stderr, "ferry get: the list {} has no URL\n", o.list);
    return 2;
  }
  std::vector<http::url> urls;
  for (const job& j : jobs) {
    std::error_code ec;
    urls.push_back(http::url::parse(j.url, ec));
    if (ec) {
      fmt::print(stderr, "ferry get: not an http(s) URL: {}\n", j.url);
      return 2;
    }
  }
  engine::download_options base;
  base.segments = o.segments;
  base.overwrite = o.overwrite;
  base.durable =
      o.durability == "process" ? engine::durability::process : engine::durability::power;
  if (!o.checksum.empty()) {
    base.checksum = engine::expected_digest::parse(o.checksum);
    if (!base.checksum) {
      fmt::print(stderr, "ferry get: --checksum takes sha256:HEX or sha512:HEX\n");
      return 2;
    }
  }
  if (o.common.retry >= 0) {
    base.retry.attempts = static_cast<unsigned>(o.common.retry);
  }
  base.on_milestone = crash_hook();

  std::error_code ec;
  std::string why;
  client_setup setup{o.common, urls.front(), o.parallel * o.segments, 0, ec, why};
  if (ec) {
    fmt::print(stderr, "ferry get: {}\n", why);
    return exit_code_for(ec);
  }
  base.fields = setup.fields();
  progress_printer printer{setup.progress()};
  // Downloads, and the handles that keep them alive, go before the client and loop they run on.
  struct release_transfers {
    std::vector<job>& jobs;
    ~release_transfers() {
      for (job& j : jobs) {
        j.transfer.reset();
        j.pending = {};
      }
    }
  } release{jobs};

  // Downloads run on the loop; each completion wakes this thread, which ends it and starts the
  // next, so a list of small files moves as fast as the transfers finish.
  std::vector<job*> running;
  std::size_t next = 0;
  int signal = 0;
  // Shared with the completion callbacks, which may run after this function returns (a paused
  // download ends when its object goes).
  struct completions {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::size_t> done;
  };
  auto completed = std::make_shared<completions>();
  auto start = [&](std::size_t i) {
    job& j = jobs[i];
    j.row = printer.add(j.url, j.output.string());
    engine::download_options options = base;
    options.output = j.output;
    options.stream_output = j.output == "/dev/stdout";
    options.on_event = [&printer, row = j.row,
                        settled = j.settled](const engine::transfer_event& e) {
      printer.on_download(row, e);
      using kind = engine::transfer_event_kind;
      if (e.kind == kind::paused || e.kind == kind::completed || e.kind == kind::failed) {
        settled->store(true);
      }
    };
    j.transfer = std::make_unique<engine::download>(setup.client(), urls[i], options);
    j.started = std::chrono::steady_clock::now();
    j.pending = j.transfer->begin_download([completed, i](engine::async_result&) {
      {
        std::lock_guard lock{completed->mutex};
        completed->done.push_back(i);
      }
      completed->changed.notify_one();
    });
    running.push_back(&j);
  };
  while ((next < jobs.size() || !running.empty()) && signal == 0) {
    while (running.size() < o.parallel && next < jobs.size()) {
      start(next++);
    }
    std::vector<std::size_t> finished;
    {
      std::unique_lock lock{completed->mutex};
      completed->changed.wait_for(lock, 100ms, [&] { return !completed->done.empty(); });
      finished.swap(completed->done);
    }
    for (std::size_t i : finished) {
      job& j = jobs[i];
      j.result = j.transfer->end_download(j.pending, j.ec);
      j.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - j.started).count();
      j.finished = true;
      j.transfer.reset();  // a long list keeps results, not transfers
      j.pending = {};
      std::erase(running, &j);
    }
    signal = interrupted();
  }
  if (signal != 0) {
    pause_all(running);
  }
  printer.finish();

  int code = 0;
  for (const job& j : jobs) {
    if (!j.finished) {
      continue;
    }
    if (j.ec) {
      std::string detail = j.ec.message();
      if (j.ec == engine::error::http_error_status) {
        detail = fmt::format("the server answered {}", j.result.status);
      }
      fmt::print(stderr, "ferry: {}: {}\n", j.url, detail);
      code = code == 0 ? exit_code_for(j.ec) : code;
    } else if (setup.progress() != progress_mode::json && !o.common.silent &&
               j.result.already_complete) {
      fmt::print(stderr,
                 "ferry: {} -> {}: {} bytes, already complete (the server's validators match)\n",
                 j.url, j.output.string(), j.result.length);
    } else if (setup.progress() != progress_mode::json && !o.common.silent) {
      const std::string how = j.result.resumed > 0
                                  ? fmt::format("resumed at {} bytes", j.result.resumed)
                                  : std::string{"fresh"};
      fmt::print(stderr, "ferry: {} -> {}: {} bytes in {:.2f} s ({}), {}{}\n", j.url,
                 j.output.string(), j.result.length, j.seconds,
                 human_rate(static_cast<double>(j.result.received), j.seconds), how,
                 j.result.retries > 0 ? fmt::format(", {} retries", j.result.retries) : "");
    }
  }
  if (!setup.save_cookies(why)) {
    fmt::print(stderr, "ferry: {}\n", why);
    code = code == 0 ? 8 : code;
  }
  if (signal != 0) {
    if (setup.progress() != progress_mode::json) {
      fmt::print(stderr,
                 "ferry: interrupted; the partial file and its record are saved: run the same "
                 "command to resume\n");
    }
    return 128 + signal;
  }
  return code;
}

}  // namespace ferry::cli
