// ferry::engine::body_sink — where a response's body bytes go.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "ferry/http/response_head.hpp"

namespace ferry::engine {

class file;

/// Receives a response body piece by piece, in order. `write` gets views into the connection's
/// receive buffer, valid only during the call. An error stops the exchange with that error.
class body_sink {
 public:
  virtual ~body_sink() = default;
  /// The final response's head, before any of its body (not called for 1xx). A sink may
  /// refuse the body with an error (a download refuses an error page this way).
  virtual void on_head(const http::response_head& head, std::error_code& ec) {
    (void)head;
    ec = {};
  }
  virtual void write(std::string_view bytes, std::error_code& ec) = 0;
};

/// Keeps the body in memory, up to `cap` bytes; past it, `no_space` (a caller's limit reads
/// like a full disk, not like a protocol failure).
class memory_sink final : public body_sink {
 public:
  explicit memory_sink(std::size_t cap = SIZE_MAX) : cap_(cap) {}
  void write(std::string_view bytes, std::error_code& ec) override;
  [[nodiscard]] const std::string& data() const noexcept { return data_; }
  void clear() noexcept { data_.clear(); }

 private:
  std::size_t cap_;
  std::string data_;
};

/// Writes the body into a file at `offset` onwards (positional writes, so that segments can
/// share a file). The file must outlive the sink.
class file_sink final : public body_sink {
 public:
  file_sink(file& target, std::uint64_t offset) : file_(&target), offset_(offset) {}
  void write(std::string_view bytes, std::error_code& ec) override;
  /// The offset the next byte goes to.
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }

 private:
  file* file_;
  std::uint64_t offset_;
};

/// Hands each piece to a function.
class callback_sink final : public body_sink {
 public:
  explicit callback_sink(std::function<void(std::string_view, std::error_code&)> fn)
      : fn_(std::move(fn)) {}
  void write(std::string_view bytes, std::error_code& ec) override { fn_(bytes, ec); }

 private:
  std::function<void(std::string_view, std::error_code&)> fn_;
};

}  // namespace ferry::engine
