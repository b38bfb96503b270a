// ferry::engine::const_buffer and mutable_buffer — views of caller-owned memory for I/O.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ferry::engine {

/// A view of bytes to send. It owns nothing: the memory must stay valid until the operation
/// that uses it completes (its callback has run).
struct const_buffer {
  const void* data = nullptr;
  std::size_t size = 0;
};

/// A view of memory to receive into. Same ownership rule as `const_buffer`.
struct mutable_buffer {
  void* data = nullptr;
  std::size_t size = 0;

  operator const_buffer() const noexcept { return {data, size}; }  // NOLINT: a view widens
};

[[nodiscard]] inline const_buffer buffer(const void* data, std::size_t size) noexcept {
  return {data, size};
}
[[nodiscard]] inline mutable_buffer buffer(void* data, std::size_t size) noexcept {
  return {data, size};
}
[[nodiscard]] inline const_buffer buffer(std::string_view text) noexcept {
  return {text.data(), text.size()};
}
template <class T, std::size_t N>
requires std::is_trivially_copyable_v<T>
[[nodiscard]] mutable_buffer buffer(std::span<T, N> bytes) noexcept {
  return {bytes.data(), bytes.size_bytes()};
}
template <class T, std::size_t N>
requires std::is_trivially_copyable_v<T>
[[nodiscard]] const_buffer buffer(std::span<const T, N> bytes) noexcept {
  return {bytes.data(), bytes.size_bytes()};
}
template <class T>
requires std::is_trivially_copyable_v<T>
[[nodiscard]] mutable_buffer buffer(std::vector<T>& bytes) noexcept {
  return {bytes.data(), bytes.size() * sizeof(T)};
}
template <class T>
requires std::is_trivially_copyable_v<T>
[[nodiscard]] const_buffer buffer(const std::vector<T>& bytes) noexcept {
  return {bytes.data(), bytes.size() * sizeof(T)};
}
[[nodiscard]] inline mutable_buffer buffer(std::string& text) noexcept {
  return {text.data(), text.size()};
}

}  // namespace ferry::engine
