// ferry::engine::resolver — host name resolution with Begin/End operations.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/endpoint.hpp"
#include "ferry/engine/io/timeout.hpp"

namespace ferry::engine {

class io_loop;

namespace detail {
class resolver_impl;
}

/// Resolves host names to endpoints (IPv4 and IPv6, in the system's order of preference).
/// `tcp_socket::begin_connect` with a host name does this itself; use a resolver to choose or
/// filter addresses first. One resolution may be pending at a time.
class resolver {
 public:
  explicit resolver(io_loop& loop);
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  /// Resolves `host` (a name or a numeric address). Errors: host_not_found, timed_out,
  /// operation_aborted, operation_in_progress.
  async_result begin_resolve(std::string_view host, std::uint16_t port, async_callback callback,
                             state_ref state = {}, timeout limit = no_timeout);
  std::vector<endpoint> end_resolve(async_result& result, std::error_code& ec);
  std::vector<endpoint> end_resolve(async_result& result);

  /// Cancels a pending resolution; it completes with `operation_aborted`.
  void cancel() noexcept;

 private:
  std::shared_ptr<detail::resolver_impl> impl_;
};

}  // namespace ferry::engine
