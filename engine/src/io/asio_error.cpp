#include "detail/asio_error.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include "ferry/engine/error.hpp"

namespace ferry::engine::detail {

std::error_code to_error_code(const boost::system::error_code& ec) noexcept {
  namespace ae = boost::asio::error;
  if (!ec) {
    return {};
  }
  if (ec == ae::operation_aborted) {
    return error::operation_aborted;
  }
  if (ec == ae::timed_out) {
    return error::timed_out;
  }
  if (ec == ae::connection_refused) {
    return error::connection_refused;
  }
  if (ec == ae::connection_reset || ec == ae::broken_pipe || ec == ae::connection_aborted) {
    return error::connection_reset;
  }
  if (ec == ae::network_unreachable || ec == ae::host_unreachable || ec == ae::network_down) {
    return error::network_unreachable;
  }
  if (ec == ae::not_connected || ec == ae::bad_descriptor || ec == ae::shut_down) {
    return error::not_connected;
  }
  if (ec == ae::address_in_use) {
    return error::address_in_use;
  }
  if (ec == ae::host_not_found || ec == ae::host_not_found_try_again || ec == ae::no_data ||
      ec == ae::service_not_found) {
    return error::host_not_found;
  }
  if (ec == ae::invalid_argument) {
    return error::invalid_argument;
  }
  if (ec == boost::asio::ssl::error::stream_truncated) {
    return error::tls_truncated;
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    return error::tls_protocol_error;
  }
  if (ec.category() == boost::system::system_category()) {
    return {ec.value(), std::system_category()};
  }
  return ec;  // Boost's bridge keeps the category's name and message.
}

}  // namespace ferry::engine::detail
