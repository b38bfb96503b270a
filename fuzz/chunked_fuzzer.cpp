// Fuzzes chunked transfer coding both ways (RFC 9112 §7.1): a body cut into chunks of sizes the
// input chooses, framed with ferry's chunk encoder (what uploads send), optionally with chunk
// extensions and trailers, is read back by the response reader — fed in pieces of sizes the
// input chooses — to exactly the same body, with the message complete and reusable.
// Input: a piece-size seed byte, then (chunk size byte, flags byte) pairs, then the body.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "ferry/http/error.hpp"
#include "ferry/http/request.hpp"
#include "ferry/http/response_reader.hpp"

namespace {

struct collector final : ferry::http::response_handler {
  void on_body(std::string_view bytes) override { body.append(bytes); }
  void on_end() override { ended = true; }
  std::string body;
  bool ended = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input{data, size};
  const auto seed = input.ConsumeIntegral<std::uint8_t>();
  const bool trailers = input.ConsumeBool();
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body;
  while (input.remaining_bytes() > 2) {
    const auto chunk = input.ConsumeIntegralInRange<std::size_t>(1, 300);
    const bool extension = input.ConsumeBool();
    const std::string piece = input.ConsumeBytesAsString(chunk);
    if (piece.empty()) {
      break;
    }
    std::string header = ferry::http::chunk_header(piece.size());
    if (extension) {
      header.insert(header.size() - 2, ";name=\"value\"");  // chunk-ext, which readers ignore
    }
    wire += header;
    wire += piece;
    wire += ferry::http::chunk_end();
    body += piece;
  }
  if (trailers) {
    wire += "0\r\nX-Checksum: abc\r\n\r\n";
  } else {
    wire += ferry::http::last_chunk();
  }

  collector got;
  ferry::http::response_reader reader{got};
  std::string pending;
  std::error_code ec;
  std::uint32_t state = seed * 2654435761U + 1;
  for (std::size_t offset = 0; offset < wire.size() && !reader.done();) {
    state = state * 1103515245U + 12345U;
    const std::size_t piece = std::min<std::size_t>(1 + (state >> 16) % 97, wire.size() - offset);
    pending.append(wire, offset, piece);
    offset += piece;
    const std::size_t used = reader.put(pending, ec);
    pending.erase(0, used);
    if (ec && ec != ferry::http::error::need_more) {
      std::abort();  // well-formed chunked coding was refused
    }
  }
  if (!reader.done() || !got.ended || got.body != body || !pending.empty() ||
      !reader.keep_alive()) {
    std::abort();  // not read back to the same body, or not to the end
  }
  return 0;
}
