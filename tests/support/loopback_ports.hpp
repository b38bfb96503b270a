// ferry::test loopback port helpers for fixtures that start real servers.
#pragma once

#include <cstdint>

namespace ferry::test {

/// A TCP port on 127.0.0.1 that the kernel says is free now (bound to 0, then released).
[[nodiscard]] std::uint16_t free_loopback_port();
/// True when something accepts connections on 127.0.0.1:`port`.
[[nodiscard]] bool accepts_on_loopback(std::uint16_t port);

}  // namespace ferry::test
