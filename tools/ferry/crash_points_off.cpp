#include "crash_points.hpp"

namespace ferry::cli {

std::function<void(std::string_view)> crash_hook() {
  return {};
}

}  // namespace ferry::cli
