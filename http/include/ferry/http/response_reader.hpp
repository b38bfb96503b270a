// ferry::http::response_reader — turns received bytes into response events (Beast's parser).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/http/response_head.hpp"

namespace ferry::http {

/// What a response_reader reports, in order: any number of `on_informational` (1xx), then
/// `on_head`, `on_body` for each piece of the body, `on_trailers` (chunked bodies with
/// trailers), `on_end`. Each runs inside `put` or `put_eof`.
class response_handler {
 public:
  virtual ~response_handler() = default;
  virtual void on_informational(const response_head& head) { (void)head; }
  virtual void on_head(const response_head& head) { (void)head; }
  /// Body bytes, decoded from the transfer coding. A view into the bytes given to `put`: valid
  /// only during the call, never copied by the reader.
  virtual void on_body(std::string_view bytes) { (void)bytes; }
  virtual void on_trailers(const std::vector<field>& trailers) { (void)trailers; }
  virtual void on_end() {}
};

struct response_reader_options {
  /// The most body bytes accepted (`body_too_large` past it). Downloads set their own; the
  /// default is unlimited, so that nothing caps a large transfer by accident.
  std::uint64_t body_limit = UINT64_MAX;
  /// The most bytes of status line and header fields (`header_too_large` past it).
  std::uint32_t header_limit = 64 * 1024;
  /// The most 1xx responses before the final one (`too_many_informational` past it).
  unsigned max_informational = 16;
  /// The request was HEAD: the response has no body whatever its fields say.
  bool head_request = false;
};

/// Parses one HTTP/1.1 response from bytes (RFC 9112), with no I/O: the caller receives bytes
/// and presents them with `put`, which returns how many it consumed. Unconsumed bytes must be
/// kept and presented again, followed by more (a header is parsed only when complete).
///
/// Policy beyond Beast's parser, so that nothing corrupts a download:
/// - Transfer-Encoding must be exactly `chunked` (any other coding or list is
///   `bad_transfer_encoding`); Content-Length together with Transfer-Encoding is
///   `conflicting_framing`; transfer-coding bytes (chunk sizes, extensions, trailers) never
///   reach `on_body`.
/// - Bare LF line endings are rejected (`bad_header` / `bad_status_line`), as Beast does: a
///   response that cannot frame its lines with CRLF cannot be trusted to frame its body.
/// - obs-fold in a field value is accepted and replaced by spaces (RFC 9112 §5.2).
/// - 1xx responses are reported and skipped, at most `max_informational` of them.
/// - `keep_alive()` is false when the server said close, the body was close-delimited, or bytes
///   followed the complete message (including a body sent with a 204, 304 or HEAD response).
class response_reader {
 public:
  explicit response_reader(response_handler& handler, response_reader_options options = {});
  ~response_reader();
  response_reader(const response_reader&) = delete;
  response_reader& operator=(const response_reader&) = delete;

  /// Parses as much of `bytes` as possible; returns the count consumed. `ec` is
  /// `error::need_more` when the bytes end inside an element (keep the rest and add more),
  /// another `http::error` on a malformed response, and clear when the message is done (then
  /// unconsumed bytes are not part of it, and the connection is not reused).
  std::size_t put(std::string_view bytes, std::error_code& ec);
  std::size_t put(std::span<const std::byte> bytes, std::error_code& ec);

  /// The peer closed the connection: ends a close-delimited body, or fails with
  /// `partial_message`.
  void put_eof(std::error_code& ec);

  /// The final response is complete (on_end has run).
  [[nodiscard]] bool done() const noexcept;
  /// Whether the connection may carry another request after this response. Meaningful once
  /// `done()`.
  [[nodiscard]] bool keep_alive() const noexcept;
  /// The final response's head, once `on_head` has run.
  [[nodiscard]] const response_head& head() const noexcept;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ferry::http
