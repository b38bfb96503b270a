#include "runner_lock.hpp"

#include "ferry/engine/error.hpp"

namespace ferry::engine::detail {

runner_lock::runner_lock(const std::filesystem::path& state_directory, std::error_code& ec) {
  auto f = file_system::local().open(
      state_directory / "runner.lock",
      open_mode::read | open_mode::write | open_mode::create | open_mode::private_, ec);
  if (ec) {
    return;
  }
  f->lock_exclusive(ec);
  if (ec == error::file_locked) {
    ec = error::session_busy;
  }
  if (!ec) {
    file_ = std::move(f);
  }
}

bool runner_lock::held_by_anyone(const std::filesystem::path& state_directory) {
  std::error_code ec;
  const runner_lock probe{state_directory, ec};
  return ec == error::session_busy;
}

}  // namespace ferry::engine::detail
