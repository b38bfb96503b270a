// ferry::test::scripted_server — a loopback HTTP peer that answers each request with canned
// bytes and can misbehave on cue: close at byte N (FIN or RST), stall, trickle, send garbage.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::test {

/// What the server does after reading one request (its head, and its body by Content-Length or
/// chunked framing).
struct scripted_answer {
  std::string bytes;                           ///< sent as the answer (any bytes at all)
  std::string interim;                         ///< sent after the head, before reading the body
  std::optional<std::size_t> close_after;      ///< send only this many bytes, then close
  bool reset = false;                          ///< close with RST instead of FIN
  std::chrono::milliseconds stall{0};          ///< wait before sending (bounded by the stop)
  std::size_t trickle = 0;                     ///< send in pieces of this size...
  std::chrono::milliseconds trickle_delay{0};  ///< ...with this pause between them
  bool read_body = true;                       ///< read the request body before answering
  bool keep_open = true;                       ///< wait for another request afterwards
};

/// Answers requests in script order, across connections; closes a connection when the script
/// runs out. Listens on 127.0.0.1, a port chosen at run time; stops and joins on destruction.
class scripted_server {
 public:
  /// Decides the answer to the `index`-th request (counting from 0, across connections) from
  /// its bytes (head and body); empty closes the connection without an answer.
  using responder =
      std::function<std::optional<scripted_answer>(std::string_view request, std::size_t index)>;

  explicit scripted_server(std::vector<scripted_answer> script);
  /// Answers every request with what `respond` says, until it says nothing.
  explicit scripted_server(responder respond);
  ~scripted_server();
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Every request received so far, head and body as bytes on the wire.
  [[nodiscard]] std::vector<std::string> requests() const;
  [[nodiscard]] std::size_t connections() const noexcept;

  /// The canned answer "200 OK" with `body` and a Content-Length.
  static scripted_answer ok(std::string_view body);
  /// An answer of exactly `bytes`, behaving well otherwise.
  static scripted_answer raw(std::string bytes);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Decodes a chunked body (for checking what a client sent); empty on malformed input.
std::optional<std::string> decode_chunked(std::string_view body);

}  // namespace ferry::test
