// ferry::engine::tcp_socket — a TCP client socket with Begin/End operations.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/endpoint.hpp"
#include "ferry/engine/io/stream.hpp"

namespace ferry::engine {

namespace detail {
class tcp_impl;
}

/// A TCP connection. Connects to a host name or to endpoints, trying every address (IPv4 and
/// IPv6) in turn; Nagle's algorithm is off once connected.
///
/// All `begin_X` calls are thread-safe and return at once; operations run on the socket's own
/// strand, so callbacks of one socket never run concurrently. Destroying the socket closes it:
/// pending operations complete with `operation_aborted` and their callbacks still run.
class tcp_socket final : public stream {
 public:
  explicit tcp_socket(io_loop& loop);
  ~tcp_socket() override;

  /// Resolves `host` and connects to the first address that accepts. `limit` covers the
  /// resolution and every attempt. `end_connect` returns the endpoint connected to.
  /// Errors: host_not_found, connection_refused, network_unreachable, timed_out,
  /// operation_aborted, operation_in_progress.
  async_result begin_connect(std::string_view host, std::uint16_t port, async_callback callback,
                             state_ref state = {}, timeout limit = no_timeout);
  /// Connects to the first of `endpoints` that accepts (the list is copied).
  async_result begin_connect(std::span<const endpoint> endpoints, async_callback callback,
                             state_ref state = {}, timeout limit = no_timeout);
  endpoint end_connect(async_result& result, std::error_code& ec);
  endpoint end_connect(async_result& result);

  using stream::begin_send;
  async_result begin_send(std::span<const const_buffer> buffers, async_callback callback,
                          state_ref state = {}, timeout limit = no_timeout) override;
  async_result begin_receive(mutable_buffer buffer, async_callback callback, state_ref state = {},
                             timeout limit = no_timeout) override;
  /// Shuts down the sending direction (FIN); the peer then reads end of stream.
  async_result begin_shutdown(async_callback callback, state_ref state = {},
                              timeout limit = no_timeout) override;

  void cancel() noexcept override;
  void close() noexcept override;
  [[nodiscard]] bool is_open() const noexcept override;

  [[nodiscard]] endpoint local_endpoint(std::error_code& ec) const;
  [[nodiscard]] endpoint remote_endpoint(std::error_code& ec) const;

  /// For `tls_socket`, which runs TLS over this connection.
  [[nodiscard]] const std::shared_ptr<detail::tcp_impl>& impl() const noexcept { return impl_; }

 private:
  [[nodiscard]] const void* operation_owner() const noexcept override;

  std::shared_ptr<detail::tcp_impl> impl_;
};

/// The name of the release before: it collided with POSIX socket() under
/// `using namespace ferry::engine`. Kept for one release.
using socket [[deprecated("use tcp_socket")]] = tcp_socket;

}  // namespace ferry::engine
