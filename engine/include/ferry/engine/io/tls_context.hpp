// ferry::engine::tls_context — TLS client settings shared by many tls_sockets.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace ferry::engine {

namespace detail {
class tls_context_impl;
}

/// Client-side TLS settings: TLS 1.2 or newer, the peer's certificate verified against the
/// system's CA store and checked against the host name by default. Verification can only be
/// turned off explicitly (`disable_verification`). Sockets keep the settings they were made
/// with alive; changing a context affects sockets created afterwards.
///
/// A handle: copies share one set of settings (a change through one is seen by all), which
/// lives while any copy, or any socket made with one, does. A `client` keeps a copy, so the
/// context it was given may go before it.
class tls_context {
 public:
  tls_context();
  ~tls_context();
  tls_context(const tls_context&) = default;
  tls_context& operator=(const tls_context&) = default;
  tls_context(tls_context&&) noexcept = default;
  tls_context& operator=(tls_context&&) noexcept = default;

  /// Also trusts the CA certificates in a PEM file. Errors: file_not_found, invalid_argument.
  void add_ca_file(const std::string& path, std::error_code& ec);
  void add_ca_file(const std::string& path);
  /// Also trusts the CA certificates in PEM text. Error: invalid_argument.
  void add_ca_pem(std::string_view pem, std::error_code& ec);
  void add_ca_pem(std::string_view pem);

  /// Accepts any certificate and any host name. For tests and `--insecure` only.
  void disable_verification() noexcept;
  [[nodiscard]] bool verifies_peer() const noexcept;

  [[nodiscard]] const std::shared_ptr<detail::tls_context_impl>& impl() const noexcept {
    return impl_;
  }

 private:
  std::shared_ptr<detail::tls_context_impl> impl_;
};

}  // namespace ferry::engine
