// ferry::engine::error — the engine's error codes, and the conditions that group them.
#pragma once

#include <string_view>
#include <system_error>

namespace ferry::engine {

/// Failures of engine operations. Every value names when it happens. Operating-system errors
/// that have no entry here travel as `std::system_category()` codes and are still classified
/// by `condition` (a reset connection is `network` and `retryable` either way).
enum class error {
  // Operations and their results.
  timed_out = 1,          ///< The operation's deadline passed; it was cancelled.
  operation_aborted,      ///< cancel(), close(), socket destruction or loop shutdown stopped it.
  operation_in_progress,  ///< A second send (or receive) was begun while one was pending.
  invalid_result,         ///< end_X or wait() was given an empty or moved-from async_result.
  wrong_operation,        ///< end_X was given the result of another kind of operation or stream.
  already_ended,          ///< end_X was called a second time for the same operation.
  would_deadlock,         ///< A blocking wait was attempted on one of the loop's own threads.
  too_many_buffers,       ///< A gather write had more buffers than one operation carries.
  invalid_argument,       ///< An argument was malformed (an unparsable address, a zero port).

  // Network.
  not_connected,        ///< The socket is closed, or was never connected.
  host_not_found,       ///< Name resolution found no address for the host.
  connection_refused,   ///< Every address refused the connection.
  connection_reset,     ///< The peer reset the connection (RST), or the pipe broke.
  network_unreachable,  ///< No route to the host or its network.
  address_in_use,       ///< A local address could not be bound.

  // TLS.
  tls_untrusted_certificate,  ///< The peer's chain does not end at a trusted CA.
  tls_expired_certificate,    ///< A certificate in the peer's chain has expired (or is not yet
                              ///< valid).
  tls_host_name_mismatch,     ///< The certificate does not name the host that was asked for.
  tls_handshake_failed,       ///< The handshake failed for another reason (protocol, cipher).
  tls_truncated,              ///< The peer closed without a TLS close_notify.
  tls_protocol_error,         ///< A TLS record could not be processed after the handshake.

  // Local files.
  file_not_found,     ///< The file or a directory on its path does not exist.
  file_exists,        ///< Exclusive creation found the file already there.
  file_locked,        ///< Another process (or handle) holds the file's exclusive lock.
  permission_denied,  ///< The operating system refused access.
  no_space,           ///< The disk (or quota) is full; nothing past the failing write was stored.
  file_io_error,      ///< Any other failure of a read, write, sync or rename.

  // Transfers.
  http_error_status,      ///< The server answered with a status that is not the content (a 404,
                          ///< or a 503 after every retry); its body was not written.
  bad_content_range,      ///< A 206 whose Content-Range is not exactly the range asked for (or
                          ///< none: a multipart/byteranges answer to a single range).
  range_ignored,          ///< The server answered a range request with the whole resource (200):
                          ///< a download restarts from zero (a restart's reason).
  range_not_satisfiable,  ///< A 416 that does not say the file on disk is complete: a download
                          ///< restarts from zero (a restart's reason).
  validator_changed,      ///< The resource changed on the server (ETag, Last-Modified or length)
                          ///< more often than a download restarts.
  length_mismatch,        ///< The finished file's length is not the length the server announced.
  checksum_mismatch,      ///< The finished file's digest is not the expected one.
  output_exists,          ///< The output path holds a file that ferry may not replace.

  // Transfers, added later (appended, so that every value keeps its number).
  unexpected_partial_content,  ///< A 206 to a request that asked for no range, and that does
                               ///< not carry the whole resource either.
  body_not_replayable,         ///< An upload's body is a stream (stdin) that was read once; it
                               ///< cannot be sent again (a resume after pause()).

  // Sessions.
  unsupported_filesystem,   ///< A session's state directory is on a network file system (NFS,
                            ///< SMB, ...), whose locks and syncs a journal cannot rely on.
  session_busy,             ///< Another process runs the session (it holds the runner lock).
  journal_corrupt,          ///< The session's journal failed its integrity check or a row's
                            ///< checksum; nothing was deleted (see the message for the file).
  journal_too_new,          ///< The journal was written by a newer ferry (its schema version).
  journal_unwritable,       ///< The journal cannot be written (disk full, I/O error): no task
                            ///< starts, and nothing committed is lost (also a waiting reason).
  output_in_use,            ///< Another live task of the session writes to the same path.
  too_late,                 ///< A cancel that came after the download began to finish: it
                            ///< completes.
  credentials_required,     ///< The server asked for credentials that nobody can give.
  preempted,                ///< A reason: a foreground task took the task's slot.
  runner_stopped,           ///< A reason: the runner stopped (shutdown, a signal); queued again.
  retry_at,                 ///< A reason: waiting for the next attempt's time.
  waiting_for_credentials,  ///< A reason: waiting for a challenge's answer.
  session_invalidated,      ///< The session is being invalidated: it takes no new task.
  not_idempotent,           ///< A POST that a stopped runner cut short: not sent again, since
                            ///< the server may have acted on it (unless marked idempotent).
  partial_file_lost,        ///< A reason: the bytes a resume record claimed are not in the
                            ///< partial file (it vanished, shrank, or is another URL's): the
                            ///< download restarted from zero.
};

/// Groups of errors from which retries, exit codes and event reasons are derived: one table
/// (engine/src/error.cpp) classifies every engine code, every `http::error` code and the
/// operating system's codes. Compare a `std::error_code` against these:
/// `if (ec == condition::retryable) ...`. A code may be in several groups; every protocol
/// failure of the http layer is in exactly one of `retryable` and `malformed`.
enum class condition {
  retryable = 1,     ///< Transient: another attempt may well succeed (timeouts, resets, refused or
                     ///< lost connections, a close in the middle of a body, a stale keep-alive).
  network,           ///< The network or the peer failed (any category, OS codes included).
  protocol,          ///< The peer broke a protocol (HTTP framing, TLS records, redirect rules).
  local_io,          ///< The local file system failed.
  verification,      ///< The peer or the bytes could not be verified (certificates, checksums).
  cancelled,         ///< The caller (or shutdown) stopped the operation.
  usage,             ///< The caller misused the API (end twice, wrong result, bad argument or
                     ///< URL).
  http_status,       ///< The server answered with an error status.
  conflict,          ///< The output is another's: it exists, or another process holds it.
  tls,               ///< TLS failed: the handshake, the certificate, or a record.
  resource_changed,  ///< The resource on the server is not the one whose bytes are on disk
                     ///< (a restart's reason: validator_changed, range_ignored, ...).
  malformed,         ///< A deterministic protocol violation: the same server will answer the same
                     ///< way again (bad framing, a status line that does not parse, a
                     ///< Content-Range that cannot be matched). Retried at most twice.
};

/// The stable snake_case name of `ec` (`"validator_changed"`, `"bad_chunk"`,
/// `"connection_reset"`), for events, journals and scripts: the enumerator's name for engine
/// and http codes, the matching engine name for an operating-system code (ECONNRESET is
/// `"connection_reset"`), `"system_error"` for other OS codes and `"unknown"` for other
/// categories; empty for no error. Names never change once released; messages may.
[[nodiscard]] std::string_view code_name(std::error_code ec) noexcept;

/// The category of `error` values; its name is "ferry.engine".
[[nodiscard]] const std::error_category& error_category() noexcept;
/// The category of `condition` values; its name is "ferry.engine.condition".
[[nodiscard]] const std::error_category& condition_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}
[[nodiscard]] inline std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

}  // namespace ferry::engine

template <>
struct std::is_error_code_enum<ferry::engine::error> : std::true_type {};
template <>
struct std::is_error_condition_enum<ferry::engine::condition> : std::true_type {};
