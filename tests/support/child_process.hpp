// ferry::test::child_process — a program the test starts, talks to through files, signals,
// and always reaps (stopped by its PID on destruction).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

class child_process {
 public:
  /// Starts `argv` with `env` added to the environment; standard output and error go to
  /// the given files (or /dev/null when empty), standard input from /dev/null.
  child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                const std::filesystem::path& out = {}, const std::filesystem::path& err = {});
  ~child_process();  // SIGKILL and reap, if still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  void signal(int number) const;
  /// Waits up to `limit`; the exit code (128 + N when killed by signal N), or empty on timeout.
  std::optional<int> wait(std::chrono::milliseconds limit);
  [[nodiscard]] bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// Runs `argv` to its end (at most `limit`, then SIGKILL): the exit code.
int run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                const std::filesystem::path& out = {}, const std::filesystem::path& err = {},
                std::chrono::milliseconds limit = std::chrono::seconds{120});

}  // namespace ferry::test
