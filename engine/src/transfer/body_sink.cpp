#include "ferry/engine/transfer/body_sink.hpp"

#include <algorithm>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"

namespace ferry::engine {

void memory_sink::write(std::string_view bytes, std::error_code& ec) {
  if (bytes.size() > cap_ - std::min(cap_, data_.size())) {
    ec = error::no_space;
    return;
  }
  ec = {};
  data_.append(bytes);
}

void file_sink::write(std::string_view bytes, std::error_code& ec) {
  offset_ += file_->write_at(offset_, {bytes.data(), bytes.size()}, ec);
}

}  // namespace ferry::engine
