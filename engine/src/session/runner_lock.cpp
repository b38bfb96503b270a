#include "runner_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "../io/file_errors.hpp"
#include "ferry/engine/error.hpp"

namespace ferry::engine::detail {

runner_lock::runner_lock(const std::filesystem::path& state_directory, std::error_code& ec) {
  ec = {};
  const std::filesystem::path file = state_directory / "runner.lock";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    ec = file_error(errno);
    return;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ec = errno == EWOULDBLOCK ? std::error_code{error::session_busy} : file_error(errno);
    ::close(fd);
    return;
  }
  fd_ = fd;
}

runner_lock::~runner_lock() {
  if (fd_ >= 0) {
    ::close(fd_);  // drops the flock
  }
}

}  // namespace ferry::engine::detail
