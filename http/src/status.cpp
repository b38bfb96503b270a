#include "ferry/http/status.hpp"

namespace ferry::http {

bool is_retryable_status(unsigned status) noexcept {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

}  // namespace ferry::http
