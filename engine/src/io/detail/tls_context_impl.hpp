// detail::tls_context_impl — the OpenSSL context behind tls_context. Asio TUs only.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <mutex>

namespace ferry::engine::detail {

class tls_context_impl {
 public:
  tls_context_impl();
  /// Loads the system's CA store, once, before the first TLS connection: parsing it costs tens
  /// of milliseconds, which a program that never speaks TLS should not pay.
  void load_system_store();

  boost::asio::ssl::context context;
  std::atomic<bool> verify{true};

 private:
  std::once_flag system_store_;
};

}  // namespace ferry::engine::detail
