// ferry::engine::file and file_system — positional file I/O, durability and atomic replace.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/buffer.hpp"

namespace ferry::engine {

/// How `file_system::open` opens a file. Combine with `|`.
enum class open_mode : unsigned {
  read = 1U,
  write = 2U,
  create = 4U,     ///< Create the file when it does not exist (mode 0644, or 0600 if `private_`).
  exclusive = 8U,  ///< With `create`: fail with `file_exists` when it exists.
  truncate = 16U,
  private_ = 32U,  ///< Created files get mode 0600 (cookie jars, resume records with URLs).
};
[[nodiscard]] constexpr open_mode operator|(open_mode a, open_mode b) noexcept {
  return static_cast<open_mode>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
[[nodiscard]] constexpr bool has(open_mode set, open_mode flag) noexcept {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(flag)) != 0U;
}

/// An open file. Positional reads and writes (no shared cursor), so that several segments may
/// write one file at different offsets. Errors are `engine::error` values (file_not_found,
/// no_space, file_locked, permission_denied, file_io_error) or the operating system's code.
///
/// Virtual so that tests can inject failures (a disk that fills at byte N, a sync that fails).
class file {
 public:
  virtual ~file() = default;

  /// Writes all of `bytes` at `offset` (on a pipe, socket or terminal, which have no offsets: at
  /// the end, in call order). Returns the bytes written: all, or fewer with `ec` set
  /// (a full disk stores a prefix and reports `no_space`).
  virtual std::size_t write_at(std::uint64_t offset, const_buffer bytes, std::error_code& ec) = 0;
  std::size_t write_at(std::uint64_t offset, const_buffer bytes);

  /// Reads up to `into.size` bytes at `offset`; fewer at the end of the file.
  virtual std::size_t read_at(std::uint64_t offset, mutable_buffer into, std::error_code& ec) = 0;
  std::size_t read_at(std::uint64_t offset, mutable_buffer into);

  /// Makes written data durable (fdatasync): survives a power loss once this returns.
  virtual void sync_data(std::error_code& ec) = 0;
  void sync_data();
  /// Makes data and metadata durable (fsync).
  virtual void sync(std::error_code& ec) = 0;
  void sync();

  [[nodiscard]] virtual std::uint64_t size(std::error_code& ec) const = 0;
  [[nodiscard]] std::uint64_t size() const;
  /// Truncates or extends (with zeros) to `length`.
  virtual void resize(std::uint64_t length, std::error_code& ec) = 0;
  void resize(std::uint64_t length);
  /// Reserves disk blocks for [offset, offset + length), so that later writes there cannot
  /// fail for space. Error: no_space.
  virtual void allocate(std::uint64_t offset, std::uint64_t length, std::error_code& ec) = 0;
  void allocate(std::uint64_t offset, std::uint64_t length);

  /// Takes the file's exclusive advisory lock without waiting. Error: file_locked when another
  /// process (or another open of the file) holds it. Released by `unlock` or on close.
  virtual void lock_exclusive(std::error_code& ec) = 0;
  void lock_exclusive();
  virtual void unlock(std::error_code& ec) = 0;
  void unlock();
};

/// What a path names (as stat(2) sees it, following symbolic links).
enum class file_kind {
  none,       ///< Nothing is there (nor is the path's directory, or a part of it is a file).
  regular,    ///< A regular file.
  directory,  ///< A directory.
  stream,     ///< A character device (/dev/null, a terminal), a FIFO or a socket: written in order.
  other,      ///< Anything else (a block device).
};

/// A path's kind, and its size in bytes for a regular file (0 otherwise).
struct file_status {
  file_kind kind = file_kind::none;
  std::uint64_t size = 0;
};

/// Opens files and changes directories: the one place that knows rename and directory sync.
class file_system {
 public:
  virtual ~file_system() = default;

  [[nodiscard]] virtual std::unique_ptr<file> open(const std::filesystem::path& path,
                                                   open_mode mode, std::error_code& ec) = 0;
  [[nodiscard]] std::unique_ptr<file> open(const std::filesystem::path& path, open_mode mode);

  /// Renames `from` to `to`, replacing `to` atomically: a reader sees the old or the new file,
  /// never neither and never a mix. Both must be on one file system.
  virtual void atomic_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                              std::error_code& ec) = 0;
  void atomic_replace(const std::filesystem::path& from, const std::filesystem::path& to);

  /// Makes the directory's entries (creations, renames) durable.
  virtual void sync_directory(const std::filesystem::path& directory, std::error_code& ec) = 0;
  void sync_directory(const std::filesystem::path& directory);

  /// Removes a file; removing one that does not exist is not an error.
  virtual void remove(const std::filesystem::path& path, std::error_code& ec) = 0;
  void remove(const std::filesystem::path& path);

  /// What is at `path`. Nothing there is `file_kind::none`, not an error; errors are the
  /// operating system's (`permission_denied` for a directory that may not be searched).
  [[nodiscard]] virtual file_status status(const std::filesystem::path& path,
                                           std::error_code& ec) = 0;
  [[nodiscard]] file_status status(const std::filesystem::path& path);

  /// Sets an extended attribute ("user.ferry.validators", say) on a file: a downloaded file keeps
  /// the validators it was fetched with, so that fetching it again can ask whether it changed.
  /// Errors: `std::errc::not_supported` on file systems without them (the default here).
  virtual void set_attribute(const std::filesystem::path& path, const std::string& name,
                             std::string_view value, std::error_code& ec);
  /// The attribute's value; empty when the file has none by that name (not an error).
  [[nodiscard]] virtual std::optional<std::string> get_attribute(const std::filesystem::path& path,
                                                                 const std::string& name,
                                                                 std::error_code& ec);

  /// The operating system's file system (POSIX).
  [[nodiscard]] static file_system& local() noexcept;
};

}  // namespace ferry::engine
