#include "exit_code.hpp"

#include "ferry/engine/error.hpp"
#include "ferry/http/error.hpp"

namespace ferry::cli {

namespace {

bool is_tls(std::error_code ec) {
  using engine::error;
  return ec == error::tls_untrusted_certificate || ec == error::tls_expired_certificate ||
         ec == error::tls_host_name_mismatch || ec == error::tls_handshake_failed ||
         ec == error::tls_truncated || ec == error::tls_protocol_error;
}

}  // namespace

int exit_code_for(std::error_code ec) {
  using engine::condition;
  if (!ec) {
    return 0;
  }
  // Most specific first: a TLS certificate failure is also "verification", a locked file also
  // "local I/O", a truncated TLS stream also "network".
  if (ec == condition::conflict) {
    return 9;
  }
  if (is_tls(ec)) {
    return 4;
  }
  if (ec == condition::http_status) {
    return 5;
  }
  if (ec == condition::verification) {
    return 7;
  }
  if (ec == condition::protocol || ec == http::condition::protocol ||
      ec == http::condition::redirect || ec == engine::error::validator_changed ||
      ec == engine::error::range_ignored || ec == engine::error::range_not_satisfiable) {
    return 6;
  }
  if (ec == condition::local_io) {
    return 8;
  }
  if (ec == condition::usage || ec == http::condition::usage) {
    return 2;
  }
  return 3;  // the network, after every retry
}

}  // namespace ferry::cli
