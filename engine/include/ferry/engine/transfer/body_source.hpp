// ferry::engine::body_source — where a request's body bytes come from.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "ferry/engine/io/buffer.hpp"

namespace ferry::engine {

class file;

/// Produces a request body piece by piece. `read` fills up to `into.size` bytes and returns the
/// count; 0 means the body is complete. `size` is the total when known (Content-Length), empty
/// when it is not (chunked).
class body_source {
 public:
  virtual ~body_source() = default;
  virtual std::size_t read(mutable_buffer into, std::error_code& ec) = 0;
  [[nodiscard]] virtual std::optional<std::uint64_t> size() const = 0;
};

/// A body held in memory (copied).
class memory_source final : public body_source {
 public:
  explicit memory_source(std::string body) : body_(std::move(body)) {}
  std::size_t read(mutable_buffer into, std::error_code& ec) override;
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return body_.size(); }

 private:
  std::string body_;
  std::size_t offset_ = 0;
};

/// `length` bytes of a file from `offset` (positional reads; the file must outlive the source).
/// A file that turns out shorter than promised is `file_io_error`, never a short body.
class file_source final : public body_source {
 public:
  file_source(file& from, std::uint64_t offset, std::uint64_t length)
      : file_(&from), offset_(offset), remaining_(length), length_(length) {}
  std::size_t read(mutable_buffer into, std::error_code& ec) override;
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return length_; }

 private:
  file* file_;
  std::uint64_t offset_;
  std::uint64_t remaining_;
  std::uint64_t length_;
};

/// Bytes from a function of unknown total length (sent chunked): it fills the buffer and
/// returns the count, 0 at the end.
class generator_source final : public body_source {
 public:
  explicit generator_source(std::function<std::size_t(mutable_buffer, std::error_code&)> fn)
      : fn_(std::move(fn)) {}
  std::size_t read(mutable_buffer into, std::error_code& ec) override { return fn_(into, ec); }
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return std::nullopt; }

 private:
  std::function<std::size_t(mutable_buffer, std::error_code&)> fn_;
};

}  // namespace ferry::engine
