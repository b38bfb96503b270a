// detail::tls_context_impl — the OpenSSL context behind tls_context. Asio TUs only.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>

namespace ferry::engine::detail {

class tls_context_impl {
 public:
  tls_context_impl();
  boost::asio::ssl::context context;
  std::atomic<bool> verify{true};
};

}  // namespace ferry::engine::detail
