// detail::runner_lock — the one-runner-per-session lock: the exclusive advisory lock of
// `<state>/runner.lock`, taken through the file layer (`file::lock_exclusive`, an flock), held
// for the runner's life and dropped by the kernel when the process dies (kill -9 too). Not
// SQLite's exclusive mode: other processes still read the journal and queue commands in it.
// Engine-internal.
#pragma once

#include <filesystem>
#include <memory>
#include <system_error>

#include "ferry/engine/io/file.hpp"

namespace ferry::engine::detail {

class runner_lock {
 public:
  /// Takes the lock without waiting. Errors: session_busy (another holds it), and the file
  /// layer's (the directory cannot be written).
  runner_lock(const std::filesystem::path& state_directory, std::error_code& ec);
  runner_lock(const runner_lock&) = delete;
  runner_lock& operator=(const runner_lock&) = delete;

  [[nodiscard]] bool held() const noexcept { return file_ != nullptr; }
  /// Lets go of the lock (closing the file drops it); idempotent.
  void release() noexcept { file_.reset(); }

  /// True when some process holds `state_directory`'s lock now (a probe that takes and drops
  /// it). An error (the directory is gone) counts as not held.
  [[nodiscard]] static bool held_by_anyone(const std::filesystem::path& state_directory);

 private:
  std::unique_ptr<file> file_;
};

}  // namespace ferry::engine::detail
