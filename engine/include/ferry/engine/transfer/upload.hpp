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
#include "ferry/engine/transfer/transfer.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine {

class client;
class body_source;
class throttle;

/// A body from a file: its length known (Content-Length unless chunked is asked for), read
/// with positional reads piece by piece, never whole. Re-opened for every attempt.
[[nodiscard]] body_opener file_body(std::filesystem::path path);
/// A body from a file descriptor of unknown length (stdin: 0), sent chunked; read once.
[[nodiscard]] body_opener descriptor_body(int fd);

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
  /// One meaning with downloads (see retry_policy): failed attempts in a row without progress,
  /// backoff with jitter, a 429's or 503's Retry-After honoured. An upload progresses when an
  /// attempt gets further into its body than every attempt before it; a retry sends the body
  /// again from byte 0 (until resumable uploads exist), and only while it can be re-opened. A
  /// malformed answer after body bytes went out fails at once; before any (an answer to
  /// Expect: 100-continue), it gets the policy's `malformed_attempts`, on new connections.
  retry_policy retry;
  /// Bytes a second for this upload; 0: unlimited. With a rate or a parent, the upload owns one
  /// throttle on its clock that paces every connection it uses (the request's head too).
  std::uint64_t rate_limit = 0;
  /// The limit the upload's own is a child of (a session's or the process's); must outlive the
  /// upload. Null: none.
  throttle* rate_parent = nullptr;
  /// Asked about the upload's 401s and 407s instead of the client's `on_challenge`; null: the
  /// client's.
  challenge_hook on_challenge;
  /// Keeps up to this much of the response body (the server's answer) in the result.
  std::size_t keep_response = 64 * 1024;
  /// Hears every event (see transfer_event), in order, with no ferry lock held: `started`
  /// when the first attempt opened its body, `progress` as the connection takes body bytes (on the
  /// loop thread that sends them), `retry`, `paused`, `completed` (the final response, whatever
  /// its status) and `failed`. May call pause(), resume() and cancel(); must not block.
  std::function<void(const transfer_event&)> on_event;
  std::chrono::milliseconds progress_interval{100};
  /// The clock for backoff and rates (tests pass a manual_clock); null: steady.
  clock_source* time_source = nullptr;
  /// Seeds the jitter of backoff; 0 picks one at random.
  std::uint64_t seed = 0;
};

struct upload_result {
  http::response_head head;  ///< the final response: a 413 is a result, not an error
  std::string response;      ///< its body, up to `keep_response` bytes
  std::uint64_t sent = 0;    ///< body bytes sent in the last attempt
  unsigned retries = 0;
};

/// One upload. The response's status is the caller's to judge; errors are the transport's
/// (connection, TLS, timeouts after the retries), the source's (`file_io_error`;
/// `body_not_replayable` when a stream body would have to be sent again after a pause), and
/// `operation_aborted` after cancel(). The state machine runs on the client's loop; pause(),
/// resume(), cancel() and the queries are safe from any thread, including its own event
/// callback.
class upload {
 public:
  upload(client& via, http::url url, body_opener body, upload_options options = {});
  /// The upload a transfer request describes (`request.kind` must be `upload`): its body is the
  /// file `request.body`, else `environment.body`; run with the environment's client, clock,
  /// listener and rate parent; `tuning` gives what a request does not carry (Expect threshold,
  /// response kept, progress interval), its other fields are ignored. A request that `validate`
  /// refuses completes begin_upload with `invalid_argument`. Throws std::system_error
  /// (`invalid_argument`) when the environment has no client.
  upload(const transfer_request& request, const transfer_environment& environment,
         upload_options tuning = {});
  /// Cancels a running upload.
  ~upload();
  upload(const upload&) = delete;
  upload& operator=(const upload&) = delete;

  /// Starts the upload. The callback runs once, when it completes, fails or is cancelled (not
  /// when it pauses). A second begin completes with `operation_in_progress`.
  async_result begin_upload(async_callback callback, state_ref state = {});
  /// What is known even on error: the last response's head (if one came), bytes sent, retries.
  upload_result end_upload(async_result& result, std::error_code& ec);
  upload_result end_upload(async_result& result);

  /// Blocking form (not on a loop thread: `would_deadlock`).
  upload_result run(std::error_code& ec);
  upload_result run();

  /// Stops the request (a `paused` event follows once it stopped). The upload stays pending.
  void pause();
  /// Sends again from byte 0 (until resumable uploads exist), with the retry counts reset. A
  /// body that cannot be re-opened (a stream already read) fails with `body_not_replayable`.
  void resume();
  /// Stops the upload; it completes with `operation_aborted`.
  void cancel();

  [[nodiscard]] transfer_state state() const noexcept;
  [[nodiscard]] transfer_progress progress() const;
  /// Body bytes sent in the current attempt.
  [[nodiscard]] std::uint64_t sent() const noexcept;

 private:
  class impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ferry::engine
