// detail::or_throw (engine-wide) — the throwing form of a call that reports through
// std::error_code&.
#pragma once

#include <system_error>
#include <type_traits>

namespace ferry::engine::detail {

/// Calls `f(ec)` and throws `std::system_error{ec, what}` if it failed; returns its result.
template <class F>
auto or_throw(const char* what, F&& f) {
  std::error_code ec;
  if constexpr (std::is_void_v<decltype(f(ec))>) {
    f(ec);
    if (ec) {
      throw std::system_error{ec, what};
    }
  } else {
    auto result = f(ec);
    if (ec) {
      throw std::system_error{ec, what};
    }
    return result;
  }
}

}  // namespace ferry::engine::detail
