// ferry::test::scaled — big-data test sizes, reduced under sanitizers (FERRY_TEST_SCALE=small).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ferry::test {

/// `full` normally; `full / 8` when FERRY_TEST_SCALE=small (sanitizer presets set it), so that
/// big-data tests keep their shape but stay affordable under ASan and TSan.
inline std::size_t scaled(std::size_t full) {
  const char* scale = std::getenv("FERRY_TEST_SCALE");
  return scale != nullptr && std::strcmp(scale, "small") == 0 ? full / 8 : full;
}

/// Byte i of the deterministic test pattern (not periodic in any power of two up to 2^32).
inline unsigned char pattern_byte(std::size_t i) {
  const std::size_t x = i * 2654435761U;
  return static_cast<unsigned char>((x >> 13) ^ (i >> 8) ^ i);
}

}  // namespace ferry::test
