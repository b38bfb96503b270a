#include "ferry/engine/transfer/body_source.hpp"

#include <algorithm>
#include <cstring>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"

namespace ferry::engine {

std::size_t memory_source::read(mutable_buffer into, std::error_code& ec) {
  ec = {};
  const std::size_t n = std::min(into.size, body_.size() - offset_);
  std::memcpy(into.data, body_.data() + offset_, n);
  offset_ += n;
  return n;
}

std::size_t file_source::read(mutable_buffer into, std::error_code& ec) {
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(into.size, remaining_));
  if (want == 0) {
    ec = {};
    return 0;
  }
  const std::size_t n = file_->read_at(offset_, {into.data, want}, ec);
  if (!ec && n == 0) {
    ec = error::file_io_error;  // the file is shorter than the length promised
  }
  offset_ += n;
  remaining_ -= n;
  return n;
}

}  // namespace ferry::engine
