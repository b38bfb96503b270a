// The one table of ferry's errors: for every engine code, every http code and the operating
// system's codes, a stable name and the groups (conditions) it belongs to. Retries, exit codes
// and event reasons are all derived from these groups.
#include "ferry/engine/error.hpp"

#include <cerrno>
#include <optional>
#include <string>

#include "ferry/http/error.hpp"

namespace ferry::engine {
namespace {

// The groups a code belongs to (see `condition`). Designated initializers name the true ones.
struct groups {
  bool retryable = false;
  bool malformed = false;
  bool network = false;
  bool protocol = false;
  bool tls = false;
  bool local_io = false;
  bool verification = false;
  bool cancelled = false;
  bool usage = false;
  bool http_status = false;
  bool conflict = false;
  bool resource_changed = false;
};

struct entry {
  std::string_view name;  // stable: events and journals carry it
  std::string_view message;
  groups in;
};

constexpr groups transient_network{.retryable = true, .network = true};
constexpr groups usage_error{.usage = true};
constexpr groups local_file{.local_io = true};
constexpr groups violation{.malformed = true, .protocol = true};

entry describe(error e) noexcept {
  switch (e) {
    case error::timed_out:
      return {"timed_out", "operation timed out", transient_network};
    case error::operation_aborted:
      return {"operation_aborted", "operation aborted", {.cancelled = true}};
    case error::operation_in_progress:
      return {"operation_in_progress", "another operation of this kind is in progress",
              usage_error};
    case error::invalid_result:
      return {"invalid_result", "empty or moved-from async_result", usage_error};
    case error::wrong_operation:
      return {"wrong_operation", "async_result belongs to another operation", usage_error};
    case error::already_ended:
      return {"already_ended", "operation already ended", usage_error};
    case error::would_deadlock:
      return {"would_deadlock", "blocking wait on a loop thread would deadlock", usage_error};
    case error::too_many_buffers:
      return {"too_many_buffers", "too many buffers in one operation", usage_error};
    case error::invalid_argument:
      return {"invalid_argument", "invalid argument", usage_error};
    case error::not_connected:
      return {"not_connected", "socket is not connected", transient_network};
    case error::host_not_found:
      return {"host_not_found", "host not found", transient_network};
    case error::connection_refused:
      return {"connection_refused", "connection refused", transient_network};
    case error::connection_reset:
      return {"connection_reset", "connection reset by peer", transient_network};
    case error::network_unreachable:
      return {"network_unreachable", "network unreachable", transient_network};
    case error::address_in_use:  // no local port free, say: others give theirs back
      return {"address_in_use", "address in use", transient_network};
    case error::tls_untrusted_certificate:
      return {"tls_untrusted_certificate",
              "TLS certificate is not trusted",
              {.tls = true, .verification = true}};
    case error::tls_expired_certificate:
      return {"tls_expired_certificate",
              "TLS certificate has expired or is not yet valid",
              {.tls = true, .verification = true}};
    case error::tls_host_name_mismatch:
      return {"tls_host_name_mismatch",
              "TLS certificate does not match the host name",
              {.tls = true, .verification = true}};
    case error::tls_handshake_failed:
      return {"tls_handshake_failed", "TLS handshake failed", {.protocol = true, .tls = true}};
    case error::tls_truncated:
      return {"tls_truncated",
              "TLS stream truncated (no close_notify)",
              {.retryable = true, .network = true, .protocol = true, .tls = true}};
    case error::tls_protocol_error:
      return {"tls_protocol_error", "TLS protocol error", {.protocol = true, .tls = true}};
    case error::file_not_found:
      return {"file_not_found", "file not found", local_file};
    case error::file_exists:
      return {"file_exists", "file exists", local_file};
    case error::file_locked:
      return {
          "file_locked", "file is locked by another owner", {.local_io = true, .conflict = true}};
    case error::permission_denied:
      return {"permission_denied", "permission denied", local_file};
    case error::no_space:
      return {"no_space", "no space left on device", local_file};
    case error::file_io_error:
      return {"file_io_error", "file I/O error", local_file};
    case error::http_error_status:
      return {
          "http_error_status", "the server answered with an error status", {.http_status = true}};
    case error::bad_content_range:
      return {"bad_content_range", "Content-Range does not match the range requested", violation};
    case error::unexpected_partial_content:
      return {"unexpected_partial_content", "a 206 answered a request that asked for no range",
              violation};
    case error::body_not_replayable:
      return {"body_not_replayable",
              "the upload's body was a stream and cannot be sent again",
              {.local_io = true}};
    case error::unsupported_filesystem:
      return {"unsupported_filesystem", "the session's state directory is on a network file system",
              local_file};
    case error::session_busy:
      return {"session_busy", "another process runs this session", {.conflict = true}};
    case error::journal_corrupt:
      return {"journal_corrupt", "the session's journal is damaged", local_file};
    case error::journal_too_new:
      return {"journal_too_new", "the session's journal was written by a newer ferry", local_file};
    case error::journal_unwritable:
      return {"journal_unwritable", "the session's journal cannot be written", local_file};
    case error::output_in_use:
      return {
          "output_in_use", "another task of the session writes to this path", {.conflict = true}};
    case error::too_late:
      return {"too_late", "the download is already finishing", usage_error};
    case error::credentials_required:
      return {"credentials_required",
              "the server requires credentials and none were given",
              {.http_status = true}};
    case error::preempted:
      return {"preempted", "a foreground task took the slot", {}};
    case error::runner_stopped:
      return {"runner_stopped", "the session's runner stopped", {}};
    case error::retry_at:
      return {"retry_at", "waiting for the next attempt", {}};
    case error::waiting_for_credentials:
      return {"waiting_for_credentials", "waiting for credentials", {}};
    case error::session_invalidated:
      return {"session_invalidated", "the session is being invalidated", usage_error};
    case error::not_idempotent:
      return {"not_idempotent",
              "a POST cut short by a stopped runner is not sent again (not marked idempotent)",
              {}};
    case error::partial_file_lost:
      return {"partial_file_lost", "the partial file lost the bytes its record claimed", {}};
    case error::range_ignored:
      return {"range_ignored", "the server ignored the range request", {.resource_changed = true}};
    case error::range_not_satisfiable:
      return {"range_not_satisfiable",
              "the server cannot satisfy the range requested",
              {.resource_changed = true}};
    case error::validator_changed:
      return {
          "validator_changed", "the resource changed on the server", {.resource_changed = true}};
    case error::length_mismatch:
      return {"length_mismatch",
              "the file's length is not the announced length",
              {.verification = true}};
    case error::checksum_mismatch:
      return {"checksum_mismatch", "the file's checksum does not match", {.verification = true}};
    case error::output_exists:
      return {"output_exists", "the output file exists", {.conflict = true}};
  }
  return {"unknown", "unknown ferry.engine error", {}};
}

// The http layer's codes (their messages are the http category's).
entry describe(http::error e) noexcept {
  using http::error;
  switch (e) {
    case error::need_more:
      return {"need_more", {}, {}};  // flow control, not a failure
    case error::bad_status_line:
      return {"bad_status_line", {}, violation};
    case error::unsupported_version:
      return {"unsupported_version", {}, violation};
    case error::bad_header:
      return {"bad_header", {}, violation};
    case error::header_too_large:
      return {"header_too_large", {}, violation};
    case error::body_too_large:
      return {"body_too_large", {}, violation};
    case error::bad_content_length:
      return {"bad_content_length", {}, violation};
    case error::bad_transfer_encoding:
      return {"bad_transfer_encoding", {}, violation};
    case error::bad_chunk:
      return {"bad_chunk", {}, violation};
    case error::conflicting_framing:
      return {"conflicting_framing", {}, violation};
    case error::too_many_informational:
      return {"too_many_informational", {}, violation};
    case error::partial_message:  // a close in the middle: the network, not the server's rules
      return {"partial_message", {}, {.retryable = true, .network = true, .protocol = true}};
    case error::empty_reply:
      return {"empty_reply", {}, violation};
    case error::no_final_response:
      return {"no_final_response", {}, violation};
    case error::invalid_field:
      return {"invalid_field", {}, usage_error};
    case error::invalid_url:
      return {"invalid_url", {}, usage_error};
    case error::too_many_redirects:
      return {"too_many_redirects", {}, {.protocol = true}};
    case error::insecure_redirect:
      return {"insecure_redirect", {}, {.protocol = true}};
    case error::missing_location:
      return {"missing_location", {}, {.protocol = true}};
    case error::tunnel_refused:  // a valid refusal: an error status, from the proxy
      return {"tunnel_refused", {}, {.http_status = true}};
  }
  return {"unknown", {}, {}};
}

// The operating system's codes that reach ferry's callers, by the engine name they match.
entry describe_errno(int value) noexcept {
  switch (value) {
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENETRESET:
      return {"connection_reset", {}, transient_network};
    case ECONNREFUSED:
      return {"connection_refused", {}, transient_network};
    case ETIMEDOUT:
      return {"timed_out", {}, transient_network};
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
      return {"network_unreachable", {}, transient_network};
    case ENOTCONN:
      return {"not_connected", {}, transient_network};
    case EADDRINUSE:
    case EADDRNOTAVAIL:
      return {"address_in_use", {}, transient_network};
    case ECANCELED:
      return {"operation_aborted", {}, {.cancelled = true}};
    case ENOSPC:
    case EDQUOT:
      return {"no_space", {}, local_file};
    case EACCES:
    case EPERM:
    case EROFS:
      return {"permission_denied", {}, local_file};
    case ENOENT:
    case ENOTDIR:
      return {"file_not_found", {}, local_file};
    case EEXIST:
      return {"file_exists", {}, local_file};
    case EIO:
    case EISDIR:
    case EFBIG:
      return {"file_io_error", {}, local_file};
    case EINVAL:
    case EBADF:
      return {"invalid_argument", {}, usage_error};
    default:
      return {"system_error", {}, {}};
  }
}

bool is_system(const std::error_category& c) noexcept {
  return c == std::system_category() || c == std::generic_category();
}

// The entry for any code, or none for a category this table does not know.
std::optional<entry> lookup(const std::error_code& code) noexcept {
  if (code.category() == ferry::engine::error_category()) {
    return describe(static_cast<error>(code.value()));
  }
  if (code.category() == http::error_category()) {
    return describe(static_cast<http::error>(code.value()));
  }
  if (is_system(code.category())) {
    return describe_errno(code.value());
  }
  return std::nullopt;
}

bool in(const groups& g, condition c) noexcept {
  switch (c) {
    case condition::retryable:
      return g.retryable;
    case condition::network:
      return g.network;
    case condition::protocol:
      return g.protocol;
    case condition::local_io:
      return g.local_io;
    case condition::verification:
      return g.verification;
    case condition::cancelled:
      return g.cancelled;
    case condition::usage:
      return g.usage;
    case condition::http_status:
      return g.http_status;
    case condition::conflict:
      return g.conflict;
    case condition::tls:
      return g.tls;
    case condition::resource_changed:
      return g.resource_changed;
    case condition::malformed:
      return g.malformed;
  }
  return false;
}

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry.engine"; }

  std::string message(int value) const override {
    const entry e = describe(static_cast<error>(value));
    if (e.name == "unknown") {
      return "unknown ferry.engine error " + std::to_string(value);
    }
    return std::string{e.message};
  }
};

class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry.engine.condition"; }

  std::string message(int value) const override {
    switch (static_cast<condition>(value)) {
      case condition::retryable:
        return "retryable failure";
      case condition::network:
        return "network failure";
      case condition::protocol:
        return "protocol violation";
      case condition::local_io:
        return "local I/O failure";
      case condition::verification:
        return "verification failure";
      case condition::cancelled:
        return "cancelled";
      case condition::usage:
        return "API misuse";
      case condition::http_status:
        return "HTTP error status";
      case condition::conflict:
        return "output in use or already present";
      case condition::tls:
        return "TLS failure";
      case condition::resource_changed:
        return "the resource changed on the server";
      case condition::malformed:
        return "malformed response";
    }
    return "unknown condition";
  }

  bool equivalent(const std::error_code& code, int value) const noexcept override {
    const std::optional<entry> e = lookup(code);
    return e && in(e->in, static_cast<condition>(value));
  }
};

}  // namespace

std::string_view code_name(std::error_code ec) noexcept {
  if (!ec) {
    return {};
  }
  const std::optional<entry> e = lookup(ec);
  return e ? e->name : std::string_view{"unknown"};
}

const std::error_category& error_category() noexcept {
  static const error_category_impl instance;
  return instance;
}

const std::error_category& condition_category() noexcept {
  static const condition_category_impl instance;
  return instance;
}

}  // namespace ferry::engine
