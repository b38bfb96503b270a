// ferry::engine::connection — one HTTP/1.1 connection over any stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <system_error>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/timeout.hpp"
#include "ferry/http/request.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/response_reader.hpp"

namespace ferry::engine {

class stream;
class body_sink;
class body_source;

struct connection_options {
  /// From the end of the request to the first byte of the response.
  timeout first_byte = std::chrono::seconds{30};
  /// No byte received for this long, once the response has begun: `timed_out`.
  timeout stall = std::chrono::seconds{30};
  /// Each send of the request.
  timeout send = std::chrono::seconds{30};
  /// Fewer than `low_speed_limit` bytes a second over `low_speed_time`: `timed_out`
  /// (curl's -Y/-y). 0 turns it off.
  std::uint64_t low_speed_limit = 0;
  std::chrono::seconds low_speed_time{30};
  /// With `Expect: 100-continue`, how long to wait for the server's go-ahead before sending
  /// the body anyway (RFC 9110 §10.1.1).
  timeout continue_wait = std::chrono::seconds{1};
  /// The receive buffer; also the largest piece a body sink is handed at once.
  std::size_t buffer_size = 256 * 1024;
  /// The largest body piece read from a source and sent at once (a chunk, when chunked).
  std::size_t send_chunk_size = 64 * 1024;
  http::response_reader_options reader;
};

/// One HTTP/1.1 connection: sends a request (head and body from a source, gathered into as few
/// sends as possible), reads the response with `http::response_reader`, and streams the body
/// into a sink. One request at a time; `reusable()` says whether another may follow.
///
/// Errors of `end_request`: the stream's (connection_reset, timed_out, operation_aborted, TLS
/// errors), `http::error` values for malformed responses, the sink's and the source's errors.
/// An HTTP status is never an error: a 404 is a response.
class connection {
 public:
  explicit connection(std::unique_ptr<stream> transport, connection_options options = {});
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Sends `request` (its body from `source` when the request has one) and reads the final
  /// response, its body into `sink`. `source` and `sink` must outlive the operation. Another
  /// begin_request while one is pending completes with `operation_in_progress`. The arguments
  /// come in `client::begin_exchange`'s order: what is sent, where the answer goes, the
  /// callback and its state, then the body.
  async_result begin_request(const http::request& request, http::target_form form, body_sink& sink,
                             async_callback callback, state_ref state = {},
                             body_source* source = nullptr);
  /// The order of the release before (the body source before the sink); kept for one release.
  [[deprecated("begin_request(request, form, sink, callback, state, source)")]] async_result
  begin_request(const http::request& request, http::target_form form, body_source* source,
                body_sink& sink, async_callback callback, state_ref state = {});
  /// The final response's head, also when its body failed (status 0 when no head came; empty
  /// after a misuse of the handle). Errors as above.
  http::response_head end_request(async_result& result, std::error_code& ec);
  http::response_head end_request(async_result& result);

  /// True when the last response ended cleanly, the server allows reuse, no stray bytes came,
  /// and the stream is open.
  [[nodiscard]] bool reusable() const noexcept;
  /// Gives up the stream (after a CONNECT, to run TLS through the tunnel). Null while a request
  /// pends, after a failure, or when bytes beyond the response were already received.
  [[nodiscard]] std::unique_ptr<stream> release_transport();
  /// Closes the stream; a pending request completes with `operation_aborted`.
  void close() noexcept;
  [[nodiscard]] stream& transport() noexcept;

 private:
  class impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ferry::engine
