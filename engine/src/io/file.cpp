#include "ferry/engine/io/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

#include "../or_throw.hpp"
#include "ferry/engine/error.hpp"
#include "file_errors.hpp"

namespace ferry::engine {

std::error_code detail::file_error(int value) noexcept {
  switch (value) {
    case ENOENT:
    case ENOTDIR:
      return error::file_not_found;
    case EEXIST:
      return error::file_exists;
    case EACCES:
    case EPERM:
    case EROFS:
      return error::permission_denied;
    case ENOSPC:
    case EDQUOT:
      return error::no_space;
    case EWOULDBLOCK:
      return error::file_locked;
    default:
      return {value, std::system_category()};
  }
}

namespace {

class posix_file final : public file {
 public:
  explicit posix_file(int fd) noexcept : fd_(fd) {}
  ~posix_file() override { ::close(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  using file::write_at;
  std::size_t write_at(std::uint64_t offset, const_buffer bytes, std::error_code& ec) override {
    ec = {};
    const auto* data = static_cast<const char*>(bytes.data);
    std::size_t done = 0;
    while (done < bytes.size) {
      const ssize_t n = sequential_ ? ::write(fd_, data + done, bytes.size - done)
                                    : ::pwrite(fd_, data + done, bytes.size - done,
                                               static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == ESPIPE && !sequential_) {
          // A pipe, socket or terminal has no offsets: its writes are in order by nature.
          sequential_ = true;
          continue;
        }
        ec = detail::file_error(errno);
        break;
      }
      if (n == 0) {
        ec = error::no_space;
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  using file::read_at;
  std::size_t read_at(std::uint64_t offset, mutable_buffer into, std::error_code& ec) override {
    ec = {};
    auto* data = static_cast<char*>(into.data);
    std::size_t done = 0;
    while (done < into.size) {
      const ssize_t n =
          ::pread(fd_, data + done, into.size - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        ec = detail::file_error(errno);
        break;
      }
      if (n == 0) {
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  using file::sync_data;
  void sync_data(std::error_code& ec) override {
    ec = ::fdatasync(fd_) == 0 ? std::error_code{} : detail::file_error(errno);
  }

  using file::sync;
  void sync(std::error_code& ec) override {
    ec = ::fsync(fd_) == 0 ? std::error_code{} : detail::file_error(errno);
  }

  using file::size;
  std::uint64_t size(std::error_code& ec) const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      ec = detail::file_error(errno);
      return 0;
    }
    ec = {};
    return static_cast<std::uint64_t>(st.st_size);
  }

  using file::resize;
  void resize(std::uint64_t length, std::error_code& ec) override {
    ec = ::ftruncate(fd_, static_cast<off_t>(length)) == 0 ? std::error_code{}
                                                           : detail::file_error(errno);
  }

  using file::allocate;
  void allocate(std::uint64_t offset, std::uint64_t length, std::error_code& ec) override {
    const int rc = ::posix_fallocate(fd_, static_cast<off_t>(offset), static_cast<off_t>(length));
    ec = rc == 0 ? std::error_code{} : detail::file_error(rc);
  }

  using file::lock_exclusive;
  void lock_exclusive(std::error_code& ec) override {
    ec = ::flock(fd_, LOCK_EX | LOCK_NB) == 0 ? std::error_code{} : detail::file_error(errno);
  }

  using file::unlock;
  void unlock(std::error_code& ec) override {
    ec = ::flock(fd_, LOCK_UN) == 0 ? std::error_code{} : detail::file_error(errno);
  }

 private:
  int fd_;
  bool sequential_ = false;  // set once pwrite says ESPIPE
};

class posix_file_system final : public file_system {
 public:
  using file_system::open;
  std::unique_ptr<file> open(const std::filesystem::path& path, open_mode mode,
                             std::error_code& ec) override {
    ec = {};
    int flags = O_CLOEXEC;
    if (has(mode, open_mode::read) && has(mode, open_mode::write)) {
      flags |= O_RDWR;
    } else if (has(mode, open_mode::write)) {
      flags |= O_WRONLY;
    } else {
      flags |= O_RDONLY;
    }
    if (has(mode, open_mode::create)) {
      flags |= O_CREAT;
    }
    if (has(mode, open_mode::exclusive)) {
      flags |= O_EXCL;
    }
    if (has(mode, open_mode::truncate)) {
      flags |= O_TRUNC;
    }
    const mode_t permissions = has(mode, open_mode::private_) ? 0600 : 0644;
    int fd = -1;
    do {
      fd = ::open(path.c_str(), flags, permissions);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      ec = detail::file_error(errno);
      return nullptr;
    }
    return std::make_unique<posix_file>(fd);
  }

  using file_system::atomic_replace;
  void atomic_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                      std::error_code& ec) override {
    ec = ::rename(from.c_str(), to.c_str()) == 0 ? std::error_code{} : detail::file_error(errno);
  }

  using file_system::sync_directory;
  void sync_directory(const std::filesystem::path& directory, std::error_code& ec) override {
    const int fd =
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      ec = detail::file_error(errno);
      return;
    }
    ec = ::fsync(fd) == 0 ? std::error_code{} : detail::file_error(errno);
    ::close(fd);
  }

  using file_system::status;
  file_status status(const std::filesystem::path& path, std::error_code& ec) override {
    ec = {};
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        ec = detail::file_error(errno);
      }
      return {};
    }
    if (S_ISREG(st.st_mode)) {
      return {file_kind::regular, static_cast<std::uint64_t>(st.st_size)};
    }
    if (S_ISDIR(st.st_mode)) {
      return {file_kind::directory, 0};
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
      return {file_kind::stream, 0};
    }
    return {file_kind::other, 0};
  }

  using file_system::remove;
  void remove(const std::filesystem::path& path, std::error_code& ec) override {
    ec = (::unlink(path.c_str()) == 0 || errno == ENOENT) ? std::error_code{}
                                                          : detail::file_error(errno);
  }

  using file_system::set_attribute;
  void set_attribute(const std::filesystem::path& path, const std::string& name,
                     std::string_view value, std::error_code& ec) override {
    ec = ::setxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) == 0
             ? std::error_code{}
             : detail::file_error(errno);
  }

  using file_system::get_attribute;
  std::optional<std::string> get_attribute(const std::filesystem::path& path,
                                           const std::string& name, std::error_code& ec) override {
    ec = {};
    char value[4096];
    const ssize_t n = ::getxattr(path.c_str(), name.c_str(), value, sizeof value);
    if (n < 0) {
      if (errno != ENODATA && errno != ENOTSUP) {
        ec = detail::file_error(errno);
      }
      return std::nullopt;
    }
    return std::string{value, static_cast<std::size_t>(n)};
  }
};

}  // namespace

std::size_t file::write_at(std::uint64_t offset, const_buffer bytes) {
  return detail::or_throw("file::write_at",
                          [&](std::error_code& ec) { return write_at(offset, bytes, ec); });
}
std::size_t file::read_at(std::uint64_t offset, mutable_buffer into) {
  return detail::or_throw("file::read_at",
                          [&](std::error_code& ec) { return read_at(offset, into, ec); });
}
void file::sync_data() {
  detail::or_throw("file::sync_data", [&](std::error_code& ec) { sync_data(ec); });
}
void file::sync() {
  detail::or_throw("file::sync", [&](std::error_code& ec) { sync(ec); });
}
std::uint64_t file::size() const {
  return detail::or_throw("file::size", [&](std::error_code& ec) { return size(ec); });
}
void file::resize(std::uint64_t length) {
  detail::or_throw("file::resize", [&](std::error_code& ec) { resize(length, ec); });
}
void file::allocate(std::uint64_t offset, std::uint64_t length) {
  detail::or_throw("file::allocate", [&](std::error_code& ec) { allocate(offset, length, ec); });
}
void file::lock_exclusive() {
  detail::or_throw("file::lock_exclusive", [&](std::error_code& ec) { lock_exclusive(ec); });
}
void file::unlock() {
  detail::or_throw("file::unlock", [&](std::error_code& ec) { unlock(ec); });
}

std::unique_ptr<file> file_system::open(const std::filesystem::path& path, open_mode mode) {
  return detail::or_throw("file_system::open",
                          [&](std::error_code& ec) { return open(path, mode, ec); });
}
void file_system::atomic_replace(const std::filesystem::path& from,
                                 const std::filesystem::path& to) {
  detail::or_throw("file_system::atomic_replace",
                   [&](std::error_code& ec) { atomic_replace(from, to, ec); });
}
void file_system::set_attribute(const std::filesystem::path& path, const std::string& name,
                                std::string_view value, std::error_code& ec) {
  (void)path;
  (void)name;
  (void)value;
  ec = std::make_error_code(std::errc::not_supported);
}
std::optional<std::string> file_system::get_attribute(const std::filesystem::path& path,
                                                      const std::string& name,
                                                      std::error_code& ec) {
  (void)path;
  (void)name;
  ec = {};
  return std::nullopt;
}

file_status file_system::status(const std::filesystem::path& path) {
  return detail::or_throw("file_system::status",
                          [&](std::error_code& ec) { return status(path, ec); });
}

void file_system::sync_directory(const std::filesystem::path& directory) {
  detail::or_throw("file_system::sync_directory",
                   [&](std::error_code& ec) { sync_directory(directory, ec); });
}
void file_system::remove(const std::filesystem::path& path) {
  detail::or_throw("file_system::remove", [&](std::error_code& ec) { remove(path, ec); });
}

file_system& file_system::local() noexcept {
  static posix_file_system instance;
  return instance;
}

}  // namespace ferry::engine
