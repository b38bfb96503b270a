// client::impl — what a client is: its loop, TLS settings, options, connection pool and
// connection slots; the exchanges it runs are in exchange.hpp. Engine-internal.
#pragma once

#include <memory>
#include <string>
#include <system_error>

#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/connection_pool.hpp"
#include "ferry/engine/transfer/connection_slots.hpp"

namespace ferry::engine {

class client::impl : public std::enable_shared_from_this<client::impl> {
 public:
  impl(io_loop& loop, const tls_context& tls, client_options options)
      : loop_(loop),
        tls_(tls),
        options_(options),
        pool_(options.pool),
        slots_(options.max_connections_per_host, options.max_connections) {}

  async_result begin(const http::request& request, body_sink& sink, async_callback&& callback,
                     state_ref state, body_source* source, exchange_options how);

  exchange_result end(async_result& result, std::error_code& ec);

  void cancel(const async_result& handle) noexcept;

  connection_pool& pool() noexcept { return pool_; }
  io_loop& loop() noexcept { return loop_; }

 private:
  // One exchange: connect (or reuse), send, read; again for each redirect (exchange.hpp).
  struct exchange;

  // Gives a slot back, and starts whoever is next in line for one.
  void release_slot(const std::string& origin);

  io_loop& loop_;
  tls_context tls_;  // a handle: the caller's context may go before this client
  client_options options_;
  connection_pool pool_;
  connection_slots slots_;  // the caps on connections in use, and the line waiting for one
};

}  // namespace ferry::engine
