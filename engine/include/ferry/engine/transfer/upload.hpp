// ferry::engine::upload — one request body streamed from a file, stdin or a generator, with
// Expect: 100-continue for large bodies, progress, and retries while the body can be re-read.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine {

class client;
class body_source;

/// Opens the body for one attempt, or says why it cannot (`ec`: the upload fails with it before
/// sending anything). Called again for a retry: return null with no error when the body cannot
/// be read again (stdin), and the upload will not be retried.
using body_opener = std::function<std::unique_ptr<body_source>(std::error_code& ec)>;

/// A body from a file: its length known (Content-Length unless chunked is asked for), read
/// with positional reads piece by piece, never whole. Re-opened for every attempt.
[[nodiscard]] body_opener file_body(std::filesystem::path path);
/// A body from a file descriptor of unknown length (stdin: 0), sent chunked; read once.
[[nodiscard]] body_opener descriptor_body(int fd);

struct upload_event {
  enum class kind {
    progress,   ///< body bytes handed to the connection
    retry,      ///< an attempt failed (`reason`); the body is sent again from the start
    completed,  ///< the server's final response arrived (`status`)
    failed,
  };
  kind what = kind::progress;
  std::uint64_t sent = 0;
  std::optional<std::uint64_t> total;
  std::error_code reason;
  unsigned status = 0;
};

struct upload_options {
  std::string method = "PUT";
  std::vector<http::field> fields;  ///< extra request fields (Content-Type, say)
  /// Send `Transfer-Encoding: chunked` even when the length is known.
  bool chunked = false;
  /// The largest piece read from the source and sent at once; with chunked encoding, the chunk
  /// size. Needs the client's `connection.send_chunk_size` at least this large.
  std::size_t chunk_size = 64 * 1024;
  /// `Expect: 100-continue` for bodies of at least this many bytes, and for bodies of unknown
  /// length: a server that refuses (401, 413) answers before the body is sent.
  std::uint64_t expect_continue_from = 1U << 20U;
  /// Attempts after a connection failure or a 408/429/500/502/503/504, while the body can be
  /// re-opened; each waits `retry_delay` doubled per failure.
  unsigned retries = 3;
  std::chrono::milliseconds retry_delay{500};
  /// A malformed response (`condition::malformed`) after body bytes were sent fails at once.
  /// Before any (an answer to Expect: 100-continue, say) it gets at most this many further
  /// attempts in a row (never more than `retries`), each on a new connection, `malformed_delay`
  /// and then twice that apart; they are not counted against `retries`.
  unsigned malformed_attempts = 2;
  std::chrono::milliseconds malformed_delay{250};
  /// Keeps up to this much of the response body (the server's answer) in the result.
  std::size_t keep_response = 64 * 1024;
  std::function<void(const upload_event&)> on_event;
  std::chrono::milliseconds progress_interval{100};
  clock* time_source = nullptr;
};

struct upload_result {
  http::response_head head;  ///< the final response: a 413 is a result, not an error
  std::string response;      ///< its body, up to `keep_response` bytes
  std::uint64_t sent = 0;    ///< body bytes sent in the last attempt
  unsigned retries = 0;
};

/// One upload. The response's status is the caller's to judge; errors are the transport's
/// (connection, TLS, timeouts after the retries), the source's (`file_io_error`), and
/// `operation_aborted` after cancel().
class upload {
 public:
  upload(client& via, http::url url, body_opener body, upload_options options = {});
  ~upload();
  upload(const upload&) = delete;
  upload& operator=(const upload&) = delete;

  async_result begin_upload(async_callback callback, state_ref state = {});
  upload_result end_upload(async_result& result, std::error_code& ec);
  upload_result end_upload(async_result& result);

  /// Blocking form (not on a loop thread: `would_deadlock`).
  upload_result run(std::error_code& ec);
  upload_result run();

  /// Stops the upload; it completes with `operation_aborted`.
  void cancel();
  [[nodiscard]] std::uint64_t sent() const noexcept;

 private:
  class impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ferry::engine
