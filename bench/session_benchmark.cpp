// Adding tasks to a session journaled for power loss (durability::power): each add commits its
// own transaction and returns once that commit is synced. With group commit, adds that arrive
// together share one sync of the WAL; the floor to beat is the machine's own cost of one
// write-and-fdatasync per commit (BM_WriteAndFdatasync, in the same directory and run), which
// is what a sync per commit pays. Reports adds/s (items_per_second) for 1 and 8 adding threads.
// Tasks are added paused: nothing is transferred, only journaled.
//
//   build/default/bench/session_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/engine/session/session.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ferry::engine;

// A fresh directory under the system's temporary one, removed at exit.
class scratch_directory {
 public:
  scratch_directory() {
    std::string pattern = (fs::temp_directory_path() / "ferry-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    path_ = pattern;
  }
  ~scratch_directory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  scratch_directory(const scratch_directory&) = delete;
  scratch_directory& operator=(const scratch_directory&) = delete;
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

// The floor: what one synced commit costs at the least on this disk.
void BM_WriteAndFdatasync(benchmark::State& state) {
  scratch_directory dir;
  const std::string file = (dir.path() / "floor").string();
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const std::string page(4096, 'j');
  off_t offset = 0;
  for (auto _ : state) {
    if (::pwrite(fd, page.data(), page.size(), offset) != static_cast<ssize_t>(page.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    offset = (offset + 4096) % (1 << 20);
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WriteAndFdatasync)->UseRealTime();

// One session shared by the threads of a run, opened by the first thread to arrive.
struct shared_session {
  std::mutex mutex;
  int users = 0;
  std::unique_ptr<scratch_directory> dir;
  std::unique_ptr<session> s;
  std::atomic<std::uint64_t> next{0};
};
shared_session shared;

void BM_SessionAddPowerDurable(benchmark::State& state) {
  {
    std::lock_guard lock{shared.mutex};
    if (shared.users++ == 0) {
      shared.dir = std::make_unique<scratch_directory>();
      session_config config;
      config.identifier = "bench";
      config.state_directory = shared.dir->path() / "state";
      config.durable = durability::power;
      shared.s = session::open(config, nullptr);
    }
  }
  task_options paused;
  paused.paused = true;
  transfer_request r;
  r.kind = transfer_kind::download;
  r.url = ferry::http::url::parse("http://127.0.0.1:9/file");
  for (auto _ : state) {
    r.output = shared.dir->path() / ("out" + std::to_string(shared.next++));
    std::error_code ec;
    (void)shared.s->add(r, paused, ec);
    if (ec) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  std::lock_guard lock{shared.mutex};
  if (--shared.users == 0) {
    shared.s.reset();
    shared.dir.reset();
  }
}
BENCHMARK(BM_SessionAddPowerDurable)->Threads(1)->Threads(8)->UseRealTime();

// The same tasks through add_all, 256 a call (one transaction and one sync each).
void BM_SessionAddAllPowerDurable(benchmark::State& state) {
  scratch_directory dir;
  session_config config;
  config.identifier = "bench";
  config.state_directory = dir.path() / "state";
  config.durable = durability::power;
  auto s = session::open(config, nullptr);
  task_options paused;
  paused.paused = true;
  transfer_request r;
  r.kind = transfer_kind::download;
  r.url = ferry::http::url::parse("http://127.0.0.1:9/file");
  std::uint64_t next = 0;
  std::vector<task_spec> batch(256, task_spec{r, paused});
  for (auto _ : state) {
    for (task_spec& t : batch) {
      t.request.output = dir.path() / ("out" + std::to_string(next++));
    }
    std::error_code ec;
    (void)s->add_all(batch, ec);
    if (ec) {
      state.SkipWithError(ec.message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_SessionAddAllPowerDurable)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
