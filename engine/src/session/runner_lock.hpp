// detail::runner_lock — the one-runner-per-session lock: an flock on `<state>/runner.lock`,
// held for the runner's life and dropped by the kernel when the process dies (kill -9 too).
// Not SQLite's exclusive mode: other processes still read the journal. Engine-internal.
#pragma once

#include <filesystem>
#include <system_error>

namespace ferry::engine::detail {

class runner_lock {
 public:
  /// Takes the lock without waiting. Errors: session_busy (another holds it), and the
  /// operating system's (the directory cannot be written).
  runner_lock(const std::filesystem::path& state_directory, std::error_code& ec);
  ~runner_lock();
  runner_lock(const runner_lock&) = delete;
  runner_lock& operator=(const runner_lock&) = delete;

  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace ferry::engine::detail
