// Fuzzes http::response_reader with a differential oracle: the same bytes fed at once and fed
// in pseudo-random pieces (the way a connection delivers them, keeping unconsumed bytes) must
// succeed or fail together; when they succeed, with the same events and the same body. (An
// input that is both malformed and truncated may be reported as either: Beast checks a header
// line at once when it has it, but after a need_more waits for the blank line first.)
// Input: 1 byte of piece-size seed, then bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ferry/http/error.hpp"
#include "ferry/http/response_reader.hpp"

namespace {

struct transcript final : ferry::http::response_handler {
  void on_informational(const ferry::http::response_head& h) override {
    log += "1xx " + std::to_string(h.status) + ";";
  }
  void on_head(const ferry::http::response_head& h) override {
    log += "head " + std::to_string(h.status) + " " + std::to_string(h.fields.size()) + ";";
  }
  void on_body(std::string_view bytes) override { body.append(bytes); }
  void on_trailers(const std::vector<ferry::http::field>& t) override {
    log += "trailers " + std::to_string(t.size()) + ";";
  }
  void on_end() override { log += "end;"; }
  std::string log;
  std::string body;
};

struct outcome {
  std::string log;
  std::string body;
  std::error_code ec;
  bool done = false;
  bool keep_alive = false;
};

outcome run(std::string_view input, std::uint8_t seed) {
  transcript t;
  ferry::http::response_reader reader{t};
  std::string pending;
  std::error_code ec;
  std::size_t offset = 0;
  std::uint32_t state = seed * 2654435761U + 1;
  while (offset < input.size() && !reader.done()) {
    std::size_t piece = input.size();
    if (seed != 0) {
      state = state * 1103515245U + 12345U;
      piece = 1 + (state >> 16) % 64;
    }
    piece = std::min(piece, input.size() - offset);
    pending.append(input.substr(offset, piece));
    offset += piece;
    const std::size_t used = reader.put(pending, ec);
    if (used > pending.size()) {
      std::abort();  // consumed more than it was given
    }
    pending.erase(0, used);
    if (ec && ec != ferry::http::error::need_more) {
      break;
    }
  }
  if (!reader.done() && (!ec || ec == ferry::http::error::need_more)) {
    reader.put_eof(ec);
  }
  return {t.log, t.body, ec, reader.done(), reader.done() && reader.keep_alive()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view input{reinterpret_cast<const char*>(data + 1), size - 1};
  const outcome whole = run(input, 0);
  const outcome pieces = run(input, data[0] == 0 ? 1 : data[0]);
  if (whole.body.size() > input.size()) {
    std::abort();  // body bytes come from the input; there cannot be more of them
  }
  if (whole.done != pieces.done) {
    std::abort();
  }
  // Keep-alive may differ: a message that ends inside a piece leaves stray bytes in one
  // feeding and none in the other.
  if (whole.done && (whole.log != pieces.log || whole.body != pieces.body || whole.ec)) {
    std::abort();
  }
  const bool either_truncated = whole.ec == ferry::http::error::partial_message ||
                                pieces.ec == ferry::http::error::partial_message;
  if (!whole.done && (!whole.ec || !pieces.ec || (!either_truncated && whole.ec != pieces.ec))) {
    std::abort();
  }
  return 0;
}
