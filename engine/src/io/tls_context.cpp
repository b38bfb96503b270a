#include "ferry/engine/io/tls_context.hpp"

#include <openssl/ssl.h>

#include <filesystem>

#include "detail/asio_error.hpp"
#include "detail/tls_context_impl.hpp"
#include "ferry/engine/error.hpp"

namespace ferry::engine {
namespace detail {

tls_context_impl::tls_context_impl() : context(boost::asio::ssl::context::tls_client) {
  context.set_options(boost::asio::ssl::context::default_workarounds |
                      boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                      boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
  context.set_verify_mode(boost::asio::ssl::verify_peer);
}

void tls_context_impl::load_system_store() {
  std::call_once(system_store_, [this] {
    boost::system::error_code ignored;  // A machine with no CA store still gets explicit CAs.
    context.set_default_verify_paths(ignored);
  });
}

}  // namespace detail

tls_context::tls_context() : impl_(std::make_shared<detail::tls_context_impl>()) {
}
tls_context::~tls_context() = default;

void tls_context::add_ca_file(const std::string& path, std::error_code& ec) {
  ec = {};
  std::error_code exists_ec;
  if (!std::filesystem::is_regular_file(path, exists_ec)) {
    ec = error::file_not_found;
    return;
  }
  boost::system::error_code bec;
  impl_->context.load_verify_file(path, bec);
  if (bec) {
    ec = error::invalid_argument;
  }
}

void tls_context::add_ca_file(const std::string& path) {
  std::error_code ec;
  add_ca_file(path, ec);
  if (ec) {
    throw std::system_error{ec, "tls_context::add_ca_file"};
  }
}

void tls_context::add_ca_pem(std::string_view pem, std::error_code& ec) {
  ec = {};
  boost::system::error_code bec;
  impl_->context.add_certificate_authority(boost::asio::buffer(pem.data(), pem.size()), bec);
  if (bec) {
    ec = error::invalid_argument;
  }
}

void tls_context::add_ca_pem(std::string_view pem) {
  std::error_code ec;
  add_ca_pem(pem, ec);
  if (ec) {
    throw std::system_error{ec, "tls_context::add_ca_pem"};
  }
}

void tls_context::disable_verification() noexcept {
  impl_->verify.store(false);
  impl_->context.set_verify_mode(boost::asio::ssl::verify_none);
}

bool tls_context::verifies_peer() const noexcept {
  return impl_->verify.load();
}

}  // namespace ferry::engine
