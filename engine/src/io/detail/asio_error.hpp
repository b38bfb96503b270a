// detail::to_error_code — converts Boost's error codes to ferry's at the API boundary.
#pragma once

#include <boost/system/error_code.hpp>
#include <system_error>

namespace ferry::engine::detail {

/// Maps an Asio/Boost.System error to ferry's: known network conditions to `engine::error`,
/// other operating-system errors to `std::system_category()`.
[[nodiscard]] std::error_code to_error_code(const boost::system::error_code& ec) noexcept;

}  // namespace ferry::engine::detail
