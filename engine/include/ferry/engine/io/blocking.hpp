// ferry::engine blocking conveniences — connect, handshake, send, receive that wait.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/buffer.hpp"
#include "ferry/engine/io/endpoint.hpp"
#include "ferry/engine/io/timeout.hpp"

namespace ferry::engine {

class tcp_socket;
class stream;
class tls_socket;

// Each call begins the operation and waits for it: for tools and tests, on a thread that is not
// running the stream's loop (there it fails with `would_deadlock` and starts nothing). Nothing
// inside the engine calls these.

/// Connects `s` to `host`:`port`. Returns the endpoint connected to.
endpoint connect(tcp_socket& s, std::string_view host, std::uint16_t port, timeout limit,
                 std::error_code& ec);
endpoint connect(tcp_socket& s, std::string_view host, std::uint16_t port,
                 timeout limit = no_timeout);

/// Connects `s` and performs the TLS handshake for `host`.
void connect(tls_socket& s, std::string_view host, std::uint16_t port, timeout limit,
             std::error_code& ec);
void connect(tls_socket& s, std::string_view host, std::uint16_t port, timeout limit = no_timeout);

/// Sends all of `bytes`. Returns the bytes sent.
std::size_t send(stream& s, const_buffer bytes, timeout limit, std::error_code& ec);
std::size_t send(stream& s, const_buffer bytes, timeout limit = no_timeout);

/// Receives some bytes; 0 means the peer closed the stream.
std::size_t receive(stream& s, mutable_buffer into, timeout limit, std::error_code& ec);
std::size_t receive(stream& s, mutable_buffer into, timeout limit = no_timeout);

}  // namespace ferry::engine
