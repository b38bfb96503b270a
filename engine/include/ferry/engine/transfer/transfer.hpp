// ferry::engine — the transfer family: what downloads and uploads share. The retry policy, the
// states they pass through and the events they report; what a transfer *is* (a plain request a
// journal can store) and what it *runs with* (an environment of live objects, never stored).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/transfer/challenge.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine {

class body_source;
class client;
class file_system;
class throttle;

enum class transfer_kind {
  download,  ///< a resource into a file
  upload,    ///< a file (or a stream) as a request body
};

/// What a resume record survives. The record never claims bytes that this crash can lose.
enum class durability {
  /// A killed process: data is written before the record that claims it, and the record is
  /// replaced atomically. No fsync on the way; the finished file is renamed without one.
  process,
  /// A power loss too: the data is fdatasync'ed before each record that claims it, the record
  /// and its directory are fsync'ed, and the finished file is synced before and after its
  /// rename. Costs one fdatasync per checkpoint (by default at most one a second).
  power,
};

/// When a transfer gives up, and how long it waits in between. One meaning for downloads and
/// uploads.
struct retry_policy {
  /// Failed attempts in a row, without a byte of progress between them, before the transfer
  /// fails. 0: no retries. An attempt that moved bytes (a download wrote some, an upload's
  /// server took its whole body) resets the count: a transfer that keeps moving keeps going.
  unsigned attempts = 10;
  /// The first wait; each failure in a row doubles it, up to `max_delay`; each wait is then
  /// scaled by a random factor in [0.5, 1.5) (jitter, so that many clients do not return at once).
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{std::chrono::seconds{30}};
  /// A server's Retry-After (seconds or an HTTP-date) replaces the wait, up to this cap.
  std::chrono::seconds max_retry_after{120};
  /// Downloads: restarts from zero (the resource changed, or the server ignored the range)
  /// before the download fails with the last restart's reason.
  unsigned max_restarts = 5;
  /// A malformed response (`condition::malformed`: broken framing, a status line or head that
  /// does not parse, a Content-Range that cannot be matched) is what the same server will send
  /// again: it gets at most this many further attempts in a row (per segment; a response that
  /// delivers body bytes resets the count), each on a new connection, the first after
  /// `malformed_delay` and each next after twice the last; then the transfer fails with the
  /// violation's own code. Never more than `attempts`. An upload whose body bytes already went
  /// out fails at once.
  unsigned malformed_attempts = 2;
  std::chrono::milliseconds malformed_delay{250};
};

/// Where a transfer is. Both kinds pass through the same states.
enum class transfer_state {
  idle,         ///< constructed, not begun
  running,      ///< requests in flight
  backing_off,  ///< waiting before the next attempt
  paused,       ///< stopped by pause(); a download keeps its partial file and record
  completed,
  failed,
  cancelled,
};

/// How far a transfer is.
struct transfer_progress {
  std::uint64_t step = 0;         ///< body bytes moved since the previous progress event
  std::uint64_t transferred = 0;  ///< body bytes moved by this object, over all its attempts
  /// Bytes of the resource that are done: in the partial file (a download; resumed ones
  /// too), or sent in the current attempt (an upload, which starts again from byte 0 on a retry).
  std::uint64_t done = 0;
  std::optional<std::uint64_t> total;  ///< the complete length, once known
  double rate = 0;                     ///< bytes a second, over the last few seconds
  std::optional<double> eta_seconds;   ///< when total and rate are known
};

enum class transfer_event_kind {
  started,    ///< a download locked its partial file (`progress.done`: what a resume found); an
              ///< upload opened its body
  progress,   ///< bytes moved (at most `progress_interval` apart)
  retry,      ///< an attempt failed (`reason`); the next starts after `delay`
  restarted,  ///< a download's bytes on disk were discarded (`reason`: validator_changed,
              ///< range_ignored, range_not_satisfiable); it starts from zero
  paused,     ///< pause() took effect (a download's record is saved)
  completed,  ///< a download verified and renamed into place; an upload's final response came
  failed,     ///< `reason` says why; a download's output path is untouched
};

/// What a transfer reports, as it happens: in order, on a loop thread, with no ferry lock held.
struct transfer_event {
  transfer_event_kind kind = transfer_event_kind::progress;
  transfer_progress progress;
  std::error_code reason;
  unsigned status = 0;  ///< the HTTP status behind a retry, failure or completion, if any
  clock_source::duration delay{};
};

/// Opens an upload's body for one attempt, or says why it cannot (`ec`: the upload fails with
/// it before sending anything). Called again for a retry or a resume: return null with no error
/// when the body cannot be read again (stdin), and the upload ends with the last failure.
using body_opener = std::function<std::unique_ptr<body_source>(std::error_code& ec)>;

/// What a transfer *is*: plain values, which a journal can store and a later process run again.
struct transfer_request {
  transfer_kind kind = transfer_kind::download;
  http::url url;
  /// Empty: GET for a download, PUT for an upload (which takes PUT or POST).
  std::string method;
  /// Extra request fields (curl's -H). A download's Range, If-Range and Accept-Encoding are
  /// its own.
  std::vector<http::field> fields;
  /// A download's output path (see download_options::output).
  std::filesystem::path output;
  /// A download: replace a file already at `output` (otherwise `output_exists`).
  bool overwrite = false;
  /// An upload's body: this file, re-opened for every attempt. Empty: the environment's `body`
  /// (a descriptor or a generator), and the transfer cannot be stored.
  std::filesystem::path body;
  /// An upload: Transfer-Encoding: chunked even when the length is known; the largest piece
  /// read and sent at once (the chunk size).
  bool chunked = false;
  std::size_t chunk_size = 64 * 1024;
  /// A download: connections fetching disjoint ranges.
  unsigned segments = 1;
  /// Bytes per second for this transfer, all its connections together (a download's segments
  /// share it); 0: unlimited. The environment's `rate_parent`, if any, limits it too.
  std::uint64_t rate_limit = 0;
  /// A download: verified over the whole file before the final rename.
  std::optional<expected_digest> checksum;
  durability durable = durability::power;
  retry_policy retry;
};

/// What a transfer *runs with*: live objects and hooks, never stored.
struct transfer_environment {
  /// Runs the requests (required); the transfer keeps a handle to it.
  client* via = nullptr;
  /// The clock for backoff, rates and checkpoints (tests pass a manual_clock); null: steady.
  clock_source* time_source = nullptr;
  /// The file layer (tests inject failing disks); null: the local file system.
  file_system* files = nullptr;
  /// The limit this transfer's own is a child of: a session's or the process's, shared by the
  /// transfers under it. Must outlive the transfer; null: none.
  throttle* rate_parent = nullptr;
  /// Seeds the jitter of backoff; 0 picks one at random.
  std::uint64_t seed = 0;
  /// Hears every event (see transfer_event); may call pause(), resume() and cancel(); must not
  /// block.
  std::function<void(const transfer_event&)> on_event;
  /// Named moments ("checkpoint", "before_rename", "after_rename") for tests that crash the
  /// process there, and for tracing.
  std::function<void(std::string_view milestone)> on_milestone;
  /// Asked about this transfer's 401s and 407s instead of the client's `on_challenge` (a
  /// session asks its delegate about one task). Null: the client's.
  challenge_hook on_challenge;
  /// An upload's body when the request names no file: a descriptor (descriptor_body) or a
  /// generator. A transfer with one cannot be stored.
  body_opener body;
};

/// Whether a journal can store the transfer and a later process run it again: false when its
/// body lives only in the environment (a descriptor or a generator).
[[nodiscard]] bool is_storable(const transfer_request& request,
                               const transfer_environment& environment) noexcept;

/// `invalid_argument` when the request cannot run with the environment: no client, a URL that
/// is not http(s), a download without an output path or with 0 segments, an upload without a
/// body (or with both a path and a descriptor) or with a method other than PUT or POST, a chunk
/// size of 0 or over 16 MiB. Else no error.
[[nodiscard]] std::error_code validate(const transfer_request& request,
                                       const transfer_environment& environment);

// Names of the release before the family: kept for one release.
using download_state [[deprecated("use transfer_state")]] = transfer_state;
using download_progress [[deprecated("use transfer_progress")]] = transfer_progress;
using download_event_kind [[deprecated("use transfer_event_kind")]] = transfer_event_kind;
using download_event [[deprecated("use transfer_event")]] = transfer_event;
using upload_event [[deprecated("use transfer_event")]] = transfer_event;

}  // namespace ferry::engine
