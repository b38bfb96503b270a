// ferry::test::failing_file_system — the local file system, but its Nth operation fails.
#pragma once

#include <atomic>
#include <memory>
#include <system_error>

#include "ferry/engine/io/file.hpp"

namespace ferry::test {

/// Forwards to `file_system::local()`, counting every operation on it and on the files it
/// opens (open, write, read, sync, size, resize, allocate, lock, rename, directory sync,
/// remove, status); the `fail_at`-th (from 0) fails with `failure` instead. A write that fails
/// stores nothing. Loop `fail_at` upward from 0 until the code under test gets through untouched.
class failing_file_system final : public engine::file_system {
 public:
  failing_file_system(std::size_t fail_at, std::error_code failure)
      : fail_at_(fail_at), failure_(failure) {}

  std::unique_ptr<engine::file> open(const std::filesystem::path& path, engine::open_mode mode,
                                     std::error_code& ec) override;
  void atomic_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                      std::error_code& ec) override;
  void sync_directory(const std::filesystem::path& directory, std::error_code& ec) override;
  void remove(const std::filesystem::path& path, std::error_code& ec) override;
  engine::file_status status(const std::filesystem::path& path, std::error_code& ec) override;
  void set_attribute(const std::filesystem::path& path, const std::string& name,
                     std::string_view value, std::error_code& ec) override {
    file_system::local().set_attribute(path, name, value, ec);
  }
  std::optional<std::string> get_attribute(const std::filesystem::path& path,
                                           const std::string& name, std::error_code& ec) override {
    return file_system::local().get_attribute(path, name, ec);
  }

  /// True (and counts) when this operation is the one to fail; sets `ec` then.
  bool fail_now(std::error_code& ec);
  [[nodiscard]] std::size_t operations() const noexcept { return count_; }
  [[nodiscard]] bool injected() const noexcept { return count_ > fail_at_; }

 private:
  std::size_t fail_at_;
  std::error_code failure_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace ferry::test
