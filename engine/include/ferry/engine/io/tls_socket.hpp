// ferry::engine::tls_socket — TLS over a TCP connection or over any other stream.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/endpoint.hpp"
#include "ferry/engine/io/stream.hpp"

namespace ferry::engine {

class tls_context;

namespace detail {
class tls_impl_base;
}

/// A TLS client stream (OpenSSL). Either it owns a TCP connection (`begin_connect`, then
/// `begin_handshake`), or it runs over a `stream` it is given — a CONNECT tunnel through a
/// proxy, or a test double — and only needs `begin_handshake`.
///
/// The handshake sends SNI (for host names, not IP literals) and, unless the context has
/// verification disabled, verifies the chain against the context's trust store and the
/// certificate against the host name (DNS name or IP address).
class tls_socket final : public stream {
 public:
  /// TLS over a TCP connection of its own.
  tls_socket(io_loop& loop, const tls_context& context);
  /// TLS over `inner`, which must be connected (or become so before the handshake).
  tls_socket(std::unique_ptr<stream> inner, const tls_context& context);
  ~tls_socket() override;

  /// Connects the TCP connection, as `tcp_socket::begin_connect` does. A tls_socket over another
  /// stream completes this with `invalid_argument`.
  async_result begin_connect(std::string_view host, std::uint16_t port, async_callback callback,
                             state_ref state = {}, timeout limit = no_timeout);
  async_result begin_connect(std::span<const endpoint> endpoints, async_callback callback,
                             state_ref state = {}, timeout limit = no_timeout);
  endpoint end_connect(async_result& result, std::error_code& ec);
  endpoint end_connect(async_result& result);

  /// Performs the client handshake for `host_name`. Errors: tls_untrusted_certificate,
  /// tls_expired_certificate, tls_host_name_mismatch, tls_handshake_failed, timed_out,
  /// operation_aborted, and the network errors of the stream underneath.
  async_result begin_handshake(std::string_view host_name, async_callback callback,
                               state_ref state = {}, timeout limit = no_timeout);
  void end_handshake(async_result& result, std::error_code& ec);
  void end_handshake(async_result& result);

  using stream::begin_send;
  async_result begin_send(std::span<const const_buffer> buffers, async_callback callback,
                          state_ref state = {}, timeout limit = no_timeout) override;
  /// As `stream::begin_receive`; 0 bytes means the peer sent close_notify. A close without
  /// close_notify completes with `tls_truncated`.
  async_result begin_receive(mutable_buffer buffer, async_callback callback, state_ref state = {},
                             timeout limit = no_timeout) override;
  /// Sends close_notify and waits for the peer's.
  async_result begin_shutdown(async_callback callback, state_ref state = {},
                              timeout limit = no_timeout) override;

  void cancel() noexcept override;
  void close() noexcept override;
  [[nodiscard]] bool is_open() const noexcept override;

 private:
  [[nodiscard]] const void* operation_owner() const noexcept override;

  std::shared_ptr<detail::tls_impl_base> impl_;
};

}  // namespace ferry::engine
