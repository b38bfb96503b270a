// ferry::http::request — what to send, and request_writer, which turns it into bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ferry/http/response_head.hpp"
#include "ferry/http/url.hpp"

namespace ferry::http {

/// How a request's body is framed.
enum class body_framing {
  none,            ///< No body (GET, HEAD, DELETE without content).
  content_length,  ///< `content_length` bytes follow the head.
  chunked,  ///< `Transfer-Encoding: chunked`: the length is unknown or chunks were asked for.
};

/// One request: method, URL, the caller's fields, and the body's framing (the bytes themselves
/// are the engine's business: a body source).
struct request {
  std::string method = "GET";
  http::url url;
  std::vector<field> fields;  ///< Host, Content-Length and Transfer-Encoding are ferry's
  body_framing framing = body_framing::none;
  std::uint64_t content_length = 0;  ///< with body_framing::content_length
  bool expect_continue = false;      ///< send `Expect: 100-continue` and wait before the body

  /// Removes every field named `name` (case-insensitive).
  void remove(std::string_view name);
  /// Replaces every field named `name` with one.
  void set(std::string_view name, std::string_view value);
};

/// Where the request line points (RFC 9112 §3.2).
enum class target_form {
  origin,     ///< "GET /path?q HTTP/1.1" — to the origin server, or through a CONNECT tunnel
  absolute,   ///< "GET http://host/path?q HTTP/1.1" — to a forward proxy
  authority,  ///< "CONNECT host:port HTTP/1.1" — opening a tunnel through a proxy
};

/// True when `name` is a token (RFC 9110 §5.1) and `value` has no CR, LF, NUL or other
/// control character but HTAB (§5.5). Beast does not check this; every field a user supplies
/// passes through here before it is written.
[[nodiscard]] bool is_valid_field(std::string_view name, std::string_view value) noexcept;

/// Writes a request head: request line, `Host` (from the URL unless the caller set one),
/// the caller's fields, and the framing fields. Errors: `invalid_field` (a field fails
/// `is_valid_field`, the method is not a token, or the caller set Content-Length or
/// Transfer-Encoding, which the framing decides).
[[nodiscard]] std::string write_head(const request& r, target_form form, std::error_code& ec);
[[nodiscard]] std::string write_head(const request& r, target_form form = target_form::origin);

/// The CONNECT request that opens a tunnel to `destination`'s host and port through a proxy.
/// It carries only `proxy_fields` (Proxy-Authorization, say), never the origin's fields: the
/// proxy must not learn the origin's credentials or cookies.
[[nodiscard]] request connect_request(const url& destination, std::vector<field> proxy_fields);
[[nodiscard]] std::string write_connect(const url& destination,
                                        const std::vector<field>& proxy_fields,
                                        std::error_code& ec);

/// "host:port" with brackets for IPv6, as a CONNECT target and its Host field.
[[nodiscard]] std::string authority_of(const url& u);

/// Chunked transfer coding (RFC 9112 §7.1) for a body streamed from a source:
/// `chunk_header(n)`, the n bytes, `chunk_end()`, ... and finally `last_chunk()`.
[[nodiscard]] std::string chunk_header(std::size_t size);
[[nodiscard]] constexpr std::string_view chunk_end() noexcept {
  return "\r\n";
}
[[nodiscard]] constexpr std::string_view last_chunk() noexcept {
  return "0\r\n\r\n";
}
/// `chunk_end()` then `last_chunk()`, in one piece: after the body's final chunk.
[[nodiscard]] constexpr std::string_view chunk_end_and_last() noexcept {
  return "\r\n0\r\n\r\n";
}

}  // namespace ferry::http
