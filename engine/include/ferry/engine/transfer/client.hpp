// ferry::engine::client — runs exchanges: one request to its final response, through
// redirects, over pooled keep-alive connections (TCP or TLS).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/timeout.hpp"
#include "ferry/engine/transfer/challenge.hpp"
#include "ferry/engine/transfer/connection.hpp"
#include "ferry/engine/transfer/connection_pool.hpp"
#include "ferry/http/auth.hpp"
#include "ferry/http/cookie_jar.hpp"
#include "ferry/http/proxy.hpp"
#include "ferry/http/redirect.hpp"
#include "ferry/http/request.hpp"
#include "ferry/http/response_head.hpp"

namespace ferry::engine {

class io_loop;
class stream;
class throttle;
class tls_context;
class body_sink;
class body_source;

struct client_options {
  /// Connections in use at once for one origin, and in all. An exchange beyond a cap waits in
  /// line until another releases its connection, then reuses it (or opens one).
  std::size_t max_connections_per_host = 6;
  std::size_t max_connections = 64;
  /// Connecting: resolution, TCP connect and the TLS handshake together.
  timeout connect = std::chrono::seconds{30};
  bool follow_redirects = true;
  http::redirect_policy redirects;
  connection_options connection;
  connection_pool_options pool;
  /// A forward proxy (http://), and the hosts that bypass it.
  http::proxy_settings proxy;
  /// Cookies sent with every request and updated from every response, redirects included
  /// (curl's -b/-c). Not owned; may be shared by several clients. Null: no cookies.
  http::cookie_jar* cookies = nullptr;
  /// Asked, on a loop thread, when a server answers 401 or a forward proxy 407 (to a request or
  /// to CONNECT): at most once for the server and once for the proxy in one exchange. With an
  /// answer the request is sent again with it; without one (or if this throws) the 401/407 is the
  /// exchange's result, its body discarded. Null: a 401 is simply the result.
  challenge_hook on_challenge;
  /// Wraps every new connection's stream (after TLS, if any) before HTTP runs over it: for
  /// logging or accounting, and for tests that inject failures. Null: used as it is.
  std::function<std::unique_ptr<stream>(std::unique_ptr<stream>)> wrap_stream;
  /// Opens the transport for `url` instead of a TCP (or TLS) connection: an in-memory peer
  /// for fuzzers and tests, or another transport (a Unix socket, say). Proxies are not used
  /// then. Null: TCP, TLS for https.
  std::function<std::unique_ptr<stream>(const http::url& url)> open_stream;
};

/// How one exchange runs, beside what it sends.
struct exchange_options {
  /// Open a new connection for it (for every hop, redirects included), never a pooled one:
  /// after a malformed response, the next attempt must not meet the same connection's state,
  /// nor another pooled connection to the same broken server's process.
  bool fresh_connection = false;
  /// Paces the exchange's connections, redirects and retries included, with this throttle and
  /// its parents (a transfer's own limit): each connection it opens is wrapped in a
  /// `throttled_stream` (over `wrap_stream`'s stream), and goes back to the pool for exchanges
  /// with the same throttle only, so that one transfer's limit never paces another's requests.
  /// Such a connection keeps no share of the throttle: once every owner let go of it, the
  /// connection counts as closed and the pool drops it. The throttle's parents and clock must
  /// outlive every exchange given it. A proxy's CONNECT exchange is not paced. Null: no pacing
  /// but the client's own (`wrap_stream`).
  std::shared_ptr<throttle> pace;
  /// Asked instead of the client's `on_challenge` for this exchange's 401 and 407 (a
  /// transfer's own question: a session asks about one task). Null: the client's.
  challenge_hook on_challenge;
};

/// The outcome of an exchange: the final response's head, where it came from, and how many
/// redirects led there.
struct exchange_result {
  http::response_head head;
  http::url url;
  unsigned redirects = 0;
};

/// Runs HTTP exchanges on a loop. Bodies of redirect responses are discarded; only the final
/// response's body reaches the sink. Through a proxy, http:// requests go in absolute form and
/// https:// ones through a CONNECT tunnel carrying only the proxy's credentials; a proxy that
/// refuses the tunnel is `http::error::tunnel_refused`. A request on a reused connection that fails
/// before any response byte (the server closed an idle connection) is retried once on a new
/// connection, when its method is idempotent. Thread-safe; many exchanges may run at once.
///
/// A handle: copies refer to one client (its connections, caps and settings), which lives
/// while any copy or any exchange of it does. Downloads and uploads keep a copy, so a client
/// object may go before the transfers that use it; its loop may not.
class client {
 public:
  /// `tls` (settings for https) is a handle the client keeps a copy of: it may go before the
  /// client, and a change made through it later is seen by the client's new connections.
  client(io_loop& loop, const tls_context& tls, client_options options = {});
  ~client();
  client(const client&) = default;
  client& operator=(const client&) = default;
  client(client&&) noexcept = default;
  client& operator=(client&&) noexcept = default;

  /// Runs `request` (with its body from `source`, which must then be re-readable from the
  /// start only if a 307/308 redirect sends it again: today such a redirect of a request with
  /// a body fails with `invalid_argument`). The sink sees only the final response.
  /// Errors: connect and TLS errors, connection errors, `http::error` (malformed responses,
  /// redirect refusals). A 404 is a result, not an error.
  async_result begin_exchange(const http::request& request, body_sink& sink,
                              async_callback callback, state_ref state = {},
                              body_source* source = nullptr, exchange_options how = {});
  /// What is known even on error: after a failure inside a response (its body cut short or
  /// malformed), that response's head and URL; a status of 0 when no head came. Empty only after
  /// a misuse of the handle (invalid_result, wrong_operation, already_ended, would_deadlock).
  exchange_result end_exchange(async_result& result, std::error_code& ec);
  exchange_result end_exchange(async_result& result);

  /// Blocking form, for tools and tests (not on a loop thread: `would_deadlock`).
  exchange_result exchange(const http::request& request, body_sink& sink, std::error_code& ec,
                           body_source* source = nullptr);
  exchange_result exchange(const http::request& request, body_sink& sink,
                           body_source* source = nullptr);

  /// Stops an exchange of this client wherever it is (waiting for a slot, connecting, sending,
  /// receiving, waiting for a challenge's answer): it completes with `operation_aborted`, and
  /// its connection is closed, never pooled. Safe from any thread, and after completion (then it
  /// does nothing).
  void cancel(const async_result& exchange) noexcept;

  [[nodiscard]] connection_pool& pool() noexcept;
  /// The loop the client's exchanges run on.
  [[nodiscard]] io_loop& loop() noexcept;

 private:
  class impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ferry::engine
