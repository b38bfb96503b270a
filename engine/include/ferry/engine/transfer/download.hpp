// ferry::engine::download — one resource to one file, through every interruption: resumes with
// Range + If-Range, retries with backoff, segments, verifies, and renames into place.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/engine/transfer/transfer.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine {

namespace detail {
class download_machine;
}

class client;
class file_system;
class throttle;

struct download_options {
  /// Where the file goes. While it downloads, its bytes are in `<output>.part` and its resume
  /// record in `<output>.part.ferry`, under the partial file's exclusive lock. When the output
  /// is not a regular file path (a character device such as /dev/null or /dev/stdout, a FIFO,
  /// a socket), the body is written straight into it: no partial file, no record, no rename;
  /// an interrupted stream resumes only within this process.
  std::filesystem::path output;
  /// Write straight into `output` whatever it is (standard output redirected to a regular
  /// file, say: "/dev/stdout"), as for a stream target.
  bool stream_output = false;
  /// Replace a file already at `output` (otherwise `output_exists`).
  bool overwrite = false;
  /// Connections to fetch disjoint ranges over (1: one stream). Needs a server that honours
  /// ranges and says the length; otherwise one connection.
  unsigned segments = 1;
  /// Segments are never split smaller than this.
  std::uint64_t min_segment_size = 1U << 20U;
  /// Bytes a second for this download, all its segments together; 0: unlimited. With a rate or
  /// a parent, the download owns one throttle on its clock that paces every connection it uses.
  std::uint64_t rate_limit = 0;
  /// The limit the download's own is a child of (a session's or the process's); must outlive
  /// the download. Null: none.
  throttle* rate_parent = nullptr;
  /// Asked about the download's 401s and 407s instead of the client's `on_challenge`; null:
  /// the client's.
  challenge_hook on_challenge;
  durability durable = durability::power;
  retry_policy retry;
  /// Verified over the whole file before the final rename; a mismatch fails with
  /// `checksum_mismatch`, the output path untouched.
  std::optional<expected_digest> checksum;
  /// Extra request fields (curl's -H). Range, If-Range and Accept-Encoding are the download's.
  std::vector<http::field> fields;
  /// A checkpoint (sync per `durable`, then a new record) after this much time or this many
  /// bytes, whichever comes first, and at every stop.
  std::chrono::milliseconds checkpoint_interval{1000};
  std::uint64_t checkpoint_bytes = 256U << 20U;
  std::chrono::milliseconds progress_interval{100};
  /// Hears every event, on a loop thread. May call pause(), resume() and cancel(); must not
  /// block.
  std::function<void(const transfer_event&)> on_event;
  /// Named moments ("checkpoint", "before_rename", "after_rename") for tests that crash the
  /// process there, and for tracing. On a loop thread ("checkpoint") or on the loop's
  /// file-work thread that verifies and renames ("before_rename", "after_rename").
  std::function<void(std::string_view milestone)> on_milestone;
  /// The clock for backoff, rates and checkpoints (tests pass a manual_clock); null: steady.
  clock_source* time_source = nullptr;
  /// The file layer (tests inject failing disks); null: the local file system.
  file_system* files = nullptr;
  /// Seeds the jitter of backoff; 0 picks one at random.
  std::uint64_t seed = 0;
};

/// What a finished download did.
struct download_result {
  std::filesystem::path output;
  std::uint64_t length = 0;    ///< the file's length
  std::uint64_t received = 0;  ///< body bytes received (less than length after a resume)
  std::uint64_t resumed = 0;   ///< bytes that were on disk when it started
  unsigned retries = 0;
  unsigned restarts = 0;
  unsigned status = 0;  ///< the last response's status (the failing one on http_error_status)
  bool already_complete = false;  ///< the record said the file was done (a 416 confirmed it)
  /// It found a complete output with its validators (fetched before by ferry) and could not
  /// ask the server whether it is current: a transient failure (`condition::retryable`) ended
  /// it, every retry spent, the file untouched. A session asks again later rather than fail.
  bool unconfirmed = false;
};

/// One download. Begin it, then wait (end_download) or listen (on_event). The state machine
/// runs on the client's loop; pause(), resume(), cancel() and the queries are safe from any
/// thread, including from its own event callback.
///
/// Resuming sends `Range: bytes=N-` with `If-Range` (the strong ETag, else Last-Modified). A
/// 206 must carry exactly the range asked for (else `bad_content_range`, retried); a 200 means
/// the server ignored the range or the resource changed: the download restarts from zero into
/// a fresh partial file, never appending. A 416 whose length equals the bytes on disk means the
/// file is complete. Transient failures (`condition::retryable`: resets, closes mid-body,
/// timeouts, stalls, a stale keep-alive connection; and 408/429/500/502/503/504) are retried
/// from the bytes on disk after a backoff. Malformed responses (`condition::malformed`) get at
/// most `retry_policy::malformed_attempts` more attempts, on new connections, then fail fast.
///
/// Errors of end_download: `output_exists`, `file_locked` (another process downloads to the
/// same output), `http_error_status` (see `download_result::status` via the event), network
/// and TLS errors after the retries, the violation's own code after a malformed response
/// (`http::error::bad_chunk`, `bad_content_range`, ...), `validator_changed` after too many
/// restarts,
/// `checksum_mismatch`, `length_mismatch`, local I/O errors (`no_space`),
/// `operation_aborted` after cancel().
class download {
 public:
  /// `via` runs the requests (its options decide redirects, proxies, TLS, cookies, a limit on
  /// all its connections through `wrap_stream`); the download keeps a handle to it. Its loop
  /// must outlive the download.
  download(client& via, http::url url, download_options options);
  /// The download a transfer request describes (`request.kind` must be `download`), run with
  /// `environment`'s client, clock, file layer, rate parent and hooks; `tuning` gives what a
  /// request does not carry (checkpoint and progress intervals, segment sizes), its other fields
  /// are ignored. A request that `validate` refuses completes begin_download with
  /// `invalid_argument`. Throws std::system_error (`invalid_argument`) when the environment has no
  /// client.
  download(const transfer_request& request, const transfer_environment& environment,
           download_options tuning = {});
  /// Stops a running download as pause() does, keeping the partial file and record.
  ~download();
  download(const download&) = delete;
  download& operator=(const download&) = delete;

  /// Starts the download. The callback runs once, when it completes, fails or is cancelled
  /// (not when it pauses). A second begin completes with `operation_in_progress`.
  async_result begin_download(async_callback callback, state_ref state = {});
  download_result end_download(async_result& result, std::error_code& ec);
  download_result end_download(async_result& result);

  /// Blocking form, for tools and tests (not on a loop thread: `would_deadlock`).
  download_result run(std::error_code& ec);
  download_result run();

  /// Stops the transfer, saves the record, keeps the partial file. The download stays pending.
  void pause();
  /// Continues a paused download from the bytes on disk.
  void resume();
  /// Stops the transfer and removes the partial file and record; completes with
  /// `operation_aborted`.
  void cancel();

  [[nodiscard]] transfer_state state() const noexcept;
  [[nodiscard]] transfer_progress progress() const;

 private:
  std::shared_ptr<detail::download_machine> machine_;
};

/// Where a download keeps its partial file and resume record for `output`.
[[nodiscard]] std::filesystem::path partial_path(const std::filesystem::path& output);
[[nodiscard]] std::filesystem::path record_path(const std::filesystem::path& output);

}  // namespace ferry::engine
