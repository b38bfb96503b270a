// ferry::engine::endpoint — an IPv4 or IPv6 address and a port.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace ferry::engine {

/// An IP address (v4 or v6, with a scope id for link-local v6) and a TCP port.
class endpoint {
 public:
  endpoint() noexcept = default;

  /// Parses a numeric address ("127.0.0.1", "::1", "fe80::1%2"). Error: invalid_argument.
  [[nodiscard]] static endpoint parse(std::string_view address, std::uint16_t port,
                                      std::error_code& ec);
  [[nodiscard]] static endpoint parse(std::string_view address, std::uint16_t port);

  [[nodiscard]] static endpoint v4(const std::array<std::uint8_t, 4>& address,
                                   std::uint16_t port) noexcept;
  [[nodiscard]] static endpoint v6(const std::array<std::uint8_t, 16>& address, std::uint16_t port,
                                   std::uint32_t scope_id = 0) noexcept;

  [[nodiscard]] bool is_v6() const noexcept { return v6_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint32_t scope_id() const noexcept { return scope_id_; }
  /// The address bytes: the first 4 for IPv4, all 16 for IPv6, in network order.
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }

  /// "127.0.0.1" or "::1".
  [[nodiscard]] std::string address() const;
  /// "127.0.0.1:80" or "[::1]:80".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const endpoint&, const endpoint&) noexcept = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::uint16_t port_ = 0;
  std::uint32_t scope_id_ = 0;
  bool v6_ = false;
};

}  // namespace ferry::engine
