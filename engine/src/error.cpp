#include "ferry/engine/error.hpp"

#include <cerrno>
#include <string>

namespace ferry::engine {
namespace {

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ferry.engine"; }

  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::timed_out:
        return "operation timed out";
      case error::operation_aborted:
        return "operation aborted";
      case error::operation_in_progress:
        return "another operation of this kind is in progress";
      case error::invalid_result:
        return "empty or moved-from async_result";
      case error::wrong_operation:
        return "async_result belongs to another operation";
      case error::already_ended:
        return "operation already ended";
      case error::would_deadlock:
        return "blocking wait on a loop thread would deadlock";
      case error::too_many_buffers:
        return "too many buffers in one operation";
      case error::invalid_argument:
        return "invalid argument";
      case error::not_connected:
        return "socket is not connected";
      case error::host_not_found:
        return "host not found";
      case error::connection_refused:
        return "connection refused";
      case error::connection_reset:
        return "connection reset by peer";
      case error::network_unreachable:
        return "network unreachable";
      case error::address_in_use:
        return "address in use";
      case error::tls_untrusted_certificate:
        return "TLS certificate is not trusted";
      case error::tls_expired_certificate:
        return "TLS certificate has expired or is not yet valid";
      case error::tls_host_name_mismatch:
        return "TLS certificate does not match the host name";
      case error::tls_handshake_failed:
        return "TLS handshake failed";
      case error::tls_truncated:
        return "TLS stream truncated (no close_notify)";
      case error::tls_protocol_error:
        return "TLS protocol error";
      case error::file_not_found:
        return "file not found";
      case error::file_exists:
        return "file exists";
      case error::file_locked:
        return "file is locked by another owner";
      case error::permission_denied:
        return "permission denied";
      case error::no_space:
        return "no space left on device";
      case error::file_io_error:
        return "file I/O error";
      case error::http_error_status:
        return "the server answered with an error status";
      case error::bad_content_range:
        return "Content-Range does not match the range requested";
      case error::validator_changed:
        return "the resource changed on the server";
      case error::range_ignored:
        return "the server ignored the range request";
      case error::range_not_satisfiable:
        return "the server cannot satisfy the range requested";
      case error::length_mismatch:
        return "the file's length is not the announced length";
      case error::checksum_mismatch:
        return "the file's checksum does not match";
      case error::output_exists:
        return "the output file exists";
    }
    return "unknown ferry.engine error " + std::to_string(value);
  }
};

// The one table from which every grouping is derived. A code may be in several groups.
struct classification {
  bool retryable;
  bool network;
  bool protocol;
  bool local_io;
  bool verification;
  bool cancelled;
  bool usage;
  bool http_status = false;
  bool conflict = false;
};

classification classify_engine(error e) {
  switch (e) {
    case error::timed_out:
      return {true, true, false, false, false, false, false};
    case error::operation_aborted:
      return {false, false, false, false, false, true, false};
    case error::operation_in_progress:
    case error::invalid_result:
    case error::wrong_operation:
    case error::already_ended:
    case error::would_deadlock:
    case error::too_many_buffers:
    case error::invalid_argument:
      return {false, false, false, false, false, false, true};
    case error::not_connected:
      return {false, true, false, false, false, false, false};
    case error::host_not_found:
      return {false, true, false, false, false, false, false};
    case error::connection_refused:
    case error::connection_reset:
    case error::network_unreachable:
      return {true, true, false, false, false, false, false};
    case error::address_in_use:
      return {false, true, false, false, false, false, false};
    case error::tls_untrusted_certificate:
    case error::tls_expired_certificate:
    case error::tls_host_name_mismatch:
      return {false, false, false, false, true, false, false};
    case error::tls_handshake_failed:
      return {false, false, true, false, false, false, false};
    case error::tls_truncated:
      return {true, true, true, false, false, false, false};
    case error::tls_protocol_error:
      return {false, false, true, false, false, false, false};
    case error::file_locked:
      return {false, false, false, true, false, false, false, false, true};
    case error::http_error_status:
      return {false, false, false, false, false, false, false, true, false};
    case error::bad_content_range:
      return {true, false, true, false, false, false, false};
    case error::validator_changed:
    case error::range_ignored:
    case error::range_not_satisfiable:
      return {true, false, false, false, false, false, false};
    case error::length_mismatch:
    case error::checksum_mismatch:
      return {false, false, false, false, true, false, false};
    case error::output_exists:
      return {false, false, false, false, false, false, false, false, true};
    case error::file_not_found:
    case error::file_exists:
    case error::permission_denied:
    case error::no_space:
    case error::file_io_error:
      return {false, false, false, true, false, false, false};
  }
  return {};
}

classification classify_errno(int value) {
  switch (value) {
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ECONNREFUSED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case ENETRESET:
      return {true, true, false, false, false, false, false};
    case ENOTCONN:
    case EADDRINUSE:
    case EADDRNOTAVAIL:
      return {false, true, false, false, false, false, false};
    case ECANCELED:
      return {false, false, false, false, false, true, false};
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EROFS:
    case EACCES:
    case EPERM:
    case ENOENT:
    case EEXIST:
    case EISDIR:
    case ENOTDIR:
    case EFBIG:
      return {false, false, false, true, false, false, false};
    case EINVAL:
    case EBADF:
      return {false, false, false, false, false, false, true};
    default:
      return {};
  }
}

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
    }
    return "unknown condition";
  }

  bool equivalent(const std::error_code& code, int value) const noexcept override {
    classification c{};
    if (code.category() == ferry::engine::error_category()) {
      c = classify_engine(static_cast<error>(code.value()));
    } else if (code.category() == std::system_category() ||
               code.category() == std::generic_category()) {
      c = classify_errno(code.value());
    } else {
      return false;
    }
    switch (static_cast<condition>(value)) {
      case condition::retryable:
        return c.retryable;
      case condition::network:
        return c.network;
      case condition::protocol:
        return c.protocol;
      case condition::local_io:
        return c.local_io;
      case condition::verification:
        return c.verification;
      case condition::cancelled:
        return c.cancelled;
      case condition::usage:
        return c.usage;
      case condition::http_status:
        return c.http_status;
      case condition::conflict:
        return c.conflict;
    }
    return false;
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const error_category_impl instance;
  return instance;
}

const std::error_category& condition_category() noexcept {
  static const condition_category_impl instance;
  return instance;
}

}  // namespace ferry::engine
