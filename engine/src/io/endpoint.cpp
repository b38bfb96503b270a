#include "ferry/engine/io/endpoint.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>

#include "ferry/engine/error.hpp"

namespace ferry::engine {

endpoint endpoint::parse(std::string_view address, std::uint16_t port, std::error_code& ec) {
  ec = {};
  std::string text{address};
  std::uint32_t scope = 0;
  if (const auto percent = text.find('%'); percent != std::string::npos) {
    const std::string zone = text.substr(percent + 1);
    text.resize(percent);
    scope = if_nametoindex(zone.c_str());
    if (scope == 0) {
      char* end = nullptr;
      const unsigned long numeric = std::strtoul(zone.c_str(), &end, 10);
      if (zone.empty() || *end != '\0' || numeric > UINT32_MAX) {
        ec = error::invalid_argument;
        return {};
      }
      scope = static_cast<std::uint32_t>(numeric);
    }
  }
  std::array<std::uint8_t, 16> bytes{};
  if (scope == 0 && inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    return v4({bytes[0], bytes[1], bytes[2], bytes[3]}, port);
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    return v6(bytes, port, scope);
  }
  ec = error::invalid_argument;
  return {};
}

endpoint endpoint::parse(std::string_view address, std::uint16_t port) {
  std::error_code ec;
  endpoint result = parse(address, port, ec);
  if (ec) {
    throw std::system_error{ec, "endpoint::parse"};
  }
  return result;
}

endpoint endpoint::v4(const std::array<std::uint8_t, 4>& address, std::uint16_t port) noexcept {
  endpoint e;
  std::memcpy(e.bytes_.data(), address.data(), 4);
  e.port_ = port;
  return e;
}

endpoint endpoint::v6(const std::array<std::uint8_t, 16>& address, std::uint16_t port,
                      std::uint32_t scope_id) noexcept {
  endpoint e;
  e.bytes_ = address;
  e.port_ = port;
  e.scope_id_ = scope_id;
  e.v6_ = true;
  return e;
}

std::string endpoint::address() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), text, sizeof text);
  std::string result{text};
  if (v6_ && scope_id_ != 0) {
    result += '%' + std::to_string(scope_id_);
  }
  return result;
}

std::string endpoint::to_string() const {
  return v6_ ? '[' + address() + "]:" + std::to_string(port_)
             : address() + ':' + std::to_string(port_);
}

}  // namespace ferry::engine
