// client::impl::exchange — one exchange of a client: a request to its final response, through
// connecting (TCP, TLS, a proxy's CONNECT tunnel) or a pooled connection, redirects, challenges
// and cookies, holding a connection slot of its origin. Engine-internal.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "client_impl.hpp"
#include "composed_operation.hpp"
#include "ferry/engine/io/stream.hpp"
#include "ferry/engine/io/tls_socket.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/connection.hpp"
#include "ferry/http/auth.hpp"
#include "ferry/http/request.hpp"

namespace ferry::engine {

namespace detail {

// The sink an exchange gives its connections: the final response's body goes to the caller's
// sink; the body of a response the exchange will not return (a redirect it follows, a
// challenge it answers) goes nowhere.
class gate_sink final : public body_sink {
 public:
  gate_sink(body_sink& target, std::function<bool(const http::response_head&)> swallow)
      : target_(&target), swallow_(std::move(swallow)) {}

  void on_head(const http::response_head& head, std::error_code& ec) override {
    got_head_ = true;
    swallowed_ = swallow_(head);
    if (swallowed_) {
      ec = {};
      return;
    }
    target_->on_head(head, ec);
  }
  void write(std::string_view bytes, std::error_code& ec) override {
    if (swallowed_) {
      ec = {};
      return;
    }
    target_->write(bytes, ec);
  }
  void reset() noexcept {
    got_head_ = false;
    swallowed_ = false;
  }
  [[nodiscard]] bool got_head() const noexcept { return got_head_; }
  [[nodiscard]] bool swallowed() const noexcept { return swallowed_; }

 private:
  body_sink* target_;
  std::function<bool(const http::response_head&)> swallow_;
  bool got_head_ = false;
  bool swallowed_ = false;
};

}  // namespace detail

// The steps, each a continuation: start (take a slot of the origin, else wait in line) ->
// a pooled connection, or connect -> [handshake | open_tunnel -> handshake] -> use -> send ->
// on_response, which ends the exchange (complete), follows a redirect (start again), retries
// once on a fresh connection after a stale pooled one, or asks for credentials (ask ->
// on_answer -> start). Which step it is in is implied by `opening`, `conn` and `tunnel`.
struct client::impl::exchange : std::enable_shared_from_this<exchange> {
  exchange(std::shared_ptr<impl> client, const http::request& r, body_sink& sink, body_source* body)
      : owner(std::move(client)),
        request(r),
        source(body),
        gate(sink, [this](const http::response_head& h) { return swallows(h); }) {}

  // Whether the exchange goes on past this response (so its body is not the caller's).
  [[nodiscard]] bool swallows(const http::response_head& h) const;

  [[nodiscard]] bool will_ask(unsigned status) const;
  // Who is asked about a 401 or 407: the exchange's own hook, else the client's.
  [[nodiscard]] const challenge_hook& asks() const;

  void start();

  // URL credentials become Basic authorization, unless the caller set one.
  void add_credentials();

  // What must match for a connection to be shared: origin, TLS settings, credentials.
  [[nodiscard]] std::string pool_key() const;

  void connect();

  void handshake(std::unique_ptr<tls_socket> s);

  // CONNECT through the proxy; on 2xx, TLS to the origin runs inside the tunnel.
  void open_tunnel(std::unique_ptr<stream> to_proxy);

  // The jar's cookies join any Cookie field the caller set (which redirects to another
  // origin have already dropped).
  void add_cookies(http::request& r) const;

  void store_cookies(const http::response_head& head) const;

  [[nodiscard]] std::vector<http::field> proxy_fields() const;

  void use(std::unique_ptr<stream> s);

  void send();

  void on_response(async_result& r);

  // The caller's on_challenge decides; its answer comes back to the loop, whenever it comes.
  void ask(const http::response_head& head);

  void on_answer(bool is_proxy, const std::optional<http::credentials>& given);

  // On a loop thread. Whatever is in flight ends with operation_aborted and finishes the exchange
  // through its own callback; an exchange with nothing in flight (queued for a slot, or waiting
  // for a challenge's answer) finishes here.
  void cancel();

  void complete(std::error_code ec);

  std::shared_ptr<impl> owner;
  http::request request;
  body_source* source;
  detail::gate_sink gate;
  exchange_result result;
  std::unique_ptr<connection> conn;
  std::unique_ptr<connection> tunnel;  // the CONNECT exchange with the proxy
  memory_sink discard{0};
  std::optional<http::url> proxy;
  std::string key;
  composed_operation op;
  std::string proxy_authorization;  // from an answered 407
  std::string slot_origin;          // the origin whose connection slot this exchange holds
  std::shared_ptr<throttle> pace;   // paces its connections (exchange_options), if any
  challenge_hook own_challenge;     // asked instead of the client's (exchange_options), if any
  stream* opening = nullptr;        // the socket being connected or handshaken, if any
  bool cancelled = false;
  bool fresh = false;  // never takes a pooled connection (exchange_options)
  bool reused = false;
  bool retried = false;
  bool asked_server = false;
  bool asked_proxy = false;
};

}  // namespace ferry::engine
