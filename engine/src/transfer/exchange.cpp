#include "exchange.hpp"

#include <utility>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/stream_decorator.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/io/throttled_stream.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/http/error.hpp"
#include "ferry/http/proxy.hpp"
#include "ferry/http/redirect.hpp"

namespace ferry::engine {
namespace {

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

// A reused connection that the server had already closed fails this way, before any byte of a
// response: worth one more try on a fresh connection.
bool is_stale_connection(std::error_code ec) {
  return ec == error::connection_reset || ec == error::not_connected ||
         ec == http::error::empty_reply || ec == http::error::partial_message;
}

// A connection paced by an exchange's throttle (exchange_options::pace), watching the throttle
// without owning it. Once its owners let go, the connection says it is closed: the pool drops it
// rather than keep it for a transfer that is gone, and never hands it to a new throttle that
// took the freed address its key names (the throttled stream would pace with the dead one).
class paced_stream final : public stream_decorator {
 public:
  paced_stream(io_loop& loop, std::unique_ptr<stream> transport,
               const std::shared_ptr<throttle>& limit)
      : stream_decorator(std::make_unique<throttled_stream>(loop, std::move(transport), *limit)),
        limit_(limit) {}

  [[nodiscard]] bool is_open() const noexcept override {
    return !limit_.expired() && stream_decorator::is_open();
  }

 private:
  std::weak_ptr<throttle> limit_;
};

}  // namespace

bool client::impl::exchange::swallows(const http::response_head& h) const {
  return (owner->options_.follow_redirects && http::is_redirect(h.status)) || will_ask(h.status);
}

const challenge_hook& client::impl::exchange::asks() const {
  return own_challenge ? own_challenge : owner->options_.on_challenge;
}

bool client::impl::exchange::will_ask(unsigned status) const {
  if (!asks()) {
    return false;
  }
  if (status == 401) {
    return !asked_server;
  }
  return status == 407 && proxy && !request.url.is_https() && !asked_proxy;
}

void client::impl::exchange::start() {
  if (cancelled) {
    return complete(error::operation_aborted);
  }
  add_credentials();
  proxy = owner->options_.proxy.for_target(request.url);
  key = pool_key();
  const std::string origin = request.url.origin().to_string();
  if (slot_origin != origin) {
    if (!slot_origin.empty()) {
      owner->release_slot(std::exchange(slot_origin, std::string{}));
    }
    if (!owner->slots_.take(origin, shared_from_this())) {
      return;  // queued: release_slot starts this exchange again
    }
    slot_origin = origin;
  }
  conn = fresh ? nullptr : owner->pool_.take(key);
  reused = conn != nullptr;
  if (reused) {
    send();
  } else {
    connect();
  }
}

void client::impl::exchange::add_credentials() {
  const bool has_authorization =
      std::any_of(request.fields.begin(), request.fields.end(),
                  [](const http::field& f) { return http::iequals(f.name, "authorization"); });
  if (request.url.has_credentials() && !has_authorization) {
    request.fields.push_back(
        {"Authorization", http::basic_authorization(request.url.user(), request.url.password())});
  }
}

std::string client::impl::exchange::pool_key() const {
  std::string k = request.url.origin().to_string();
  if (request.url.is_https()) {
    k += "|tls@" + std::to_string(reinterpret_cast<std::uintptr_t>(owner->tls_.impl().get()));
  }
  for (const http::field& f : request.fields) {
    if (http::iequals(f.name, "authorization")) {
      k += "|auth:" + f.value;
    }
  }
  if (pace) {
    k += "|pace@" + std::to_string(reinterpret_cast<std::uintptr_t>(pace.get()));
  }
  if (proxy) {
    k += "|via:" + proxy->origin().to_string() + ":" + proxy->user() + ":" + proxy->password() +
         ":" + proxy_authorization;
  }
  return k;
}

void client::impl::exchange::connect() {
  if (owner->options_.open_stream) {
    auto s = owner->options_.open_stream(request.url);
    if (!s) {
      return complete(error::connection_refused);
    }
    return use(std::move(s));
  }
  const timeout limit = owner->options_.connect;
  const http::url& first_hop = proxy ? *proxy : request.url;
  if (proxy && proxy->is_https()) {
    return complete(error::invalid_argument);  // TLS to the proxy itself: not yet
  }
  if (!first_hop.is_https()) {
    auto s = std::make_unique<tcp_socket>(owner->loop_);
    tcp_socket& ref = *s;
    opening = &ref;
    ref.begin_connect(
        first_hop.host(), first_hop.port(),
        [self = shared_from_this(), s = std::move(s)](async_result& r) mutable {
          std::error_code ec;
          (void)s->end_connect(r, ec);
          self->opening = nullptr;
          if (ec || self->cancelled) {
            return self->complete(self->cancelled ? error::operation_aborted : ec);
          }
          if (self->proxy && self->request.url.is_https()) {
            return self->open_tunnel(std::move(s));
          }
          self->use(std::move(s));
        },
        {}, limit);
    return;
  }
  auto s = std::make_unique<tls_socket>(owner->loop_, owner->tls_);
  tls_socket& ref = *s;
  opening = &ref;
  ref.begin_connect(
      request.url.host(), request.url.port(),
      [self = shared_from_this(), s = std::move(s)](async_result& r) mutable {
        std::error_code ec;
        (void)s->end_connect(r, ec);
        self->opening = nullptr;
        if (ec || self->cancelled) {
          return self->complete(self->cancelled ? error::operation_aborted : ec);
        }
        self->handshake(std::move(s));
      },
      {}, limit);
}

void client::impl::exchange::handshake(std::unique_ptr<tls_socket> s) {
  tls_socket& secure = *s;
  opening = &secure;
  secure.begin_handshake(
      request.url.host(),
      [self = shared_from_this(), s = std::move(s)](async_result& h) mutable {
        std::error_code ec;
        s->end_handshake(h, ec);
        self->opening = nullptr;
        if (ec || self->cancelled) {
          return self->complete(self->cancelled ? error::operation_aborted : ec);
        }
        self->use(std::move(s));
      },
      {}, owner->options_.connect);
}

void client::impl::exchange::open_tunnel(std::unique_ptr<stream> to_proxy) {
  tunnel = std::make_unique<connection>(std::move(to_proxy), owner->options_.connection);
  tunnel->begin_request(
      http::connect_request(request.url, proxy_fields()), http::target_form::authority, discard,
      [self = shared_from_this()](async_result& r) {
        std::error_code ec;
        const http::response_head head = self->tunnel->end_request(r, ec);
        if (!ec && head.status == 407 && self->asks() && !self->asked_proxy) {
          self->tunnel.reset();
          self->result.head = head;  // the result if the caller refuses
          self->result.url = self->request.url;
          return self->ask(head);  // once answered, start() reopens the tunnel
        }
        if (!ec && (head.status < 200 || head.status > 299)) {
          ec = http::error::tunnel_refused;
        }
        std::unique_ptr<stream> raw;
        if (!ec) {
          raw = self->tunnel->release_transport();
        }
        self->tunnel.reset();
        if (ec || !raw) {
          return self->complete(ec ? ec : http::error::tunnel_refused);
        }
        self->handshake(std::make_unique<tls_socket>(std::move(raw), self->owner->tls_));
      });
}

void client::impl::exchange::add_cookies(http::request& r) const {
  if (owner->options_.cookies == nullptr) {
    return;
  }
  const std::string from_jar = owner->options_.cookies->header_for(r.url);
  if (from_jar.empty()) {
    return;
  }
  for (http::field& f : r.fields) {
    if (http::iequals(f.name, "cookie")) {
      f.value += "; " + from_jar;
      return;
    }
  }
  r.fields.push_back({"Cookie", from_jar});
}

void client::impl::exchange::store_cookies(const http::response_head& head) const {
  if (owner->options_.cookies == nullptr) {
    return;
  }
  for (std::string_view value : head.find_all("set-cookie")) {
    (void)owner->options_.cookies->set(value, request.url);
  }
}

std::vector<http::field> client::impl::exchange::proxy_fields() const {
  if (proxy && !proxy_authorization.empty()) {
    return {{"Proxy-Authorization", proxy_authorization}};
  }
  if (!proxy || !proxy->has_credentials()) {
    return {};
  }
  return {{"Proxy-Authorization", http::basic_authorization(proxy->user(), proxy->password())}};
}

void client::impl::exchange::use(std::unique_ptr<stream> s) {
  if (cancelled) {
    return complete(error::operation_aborted);
  }
  if (owner->options_.wrap_stream) {
    s = owner->options_.wrap_stream(std::move(s));
  }
  if (pace) {
    // Outermost, so that the connection itself sees when the throttle is gone.
    s = std::make_unique<paced_stream>(owner->loop_, std::move(s), pace);
  }
  conn = std::make_unique<connection>(std::move(s), owner->options_.connection);
  send();
}

void client::impl::exchange::send() {
  gate.reset();
  // Plain http through a proxy: absolute form, with the proxy's credentials.
  const bool via_proxy = proxy && !request.url.is_https();
  http::request to_send = request;
  add_cookies(to_send);
  for (http::field& f : via_proxy ? proxy_fields() : std::vector<http::field>{}) {
    to_send.set(f.name, f.value);
  }
  conn->begin_request(
      to_send, via_proxy ? http::target_form::absolute : http::target_form::origin, gate,
      [self = shared_from_this()](async_result& r) { self->on_response(r); }, {}, source);
}

void client::impl::exchange::on_response(async_result& r) {
  std::error_code ec;
  const http::response_head head = conn->end_request(r, ec);
  if (cancelled) {
    conn.reset();
    return complete(error::operation_aborted);
  }
  if (ec) {
    conn.reset();
    if (head.status != 0) {
      result.head = head;  // what is known: the answer whose body failed
      result.url = request.url;
    }
    const bool stale = reused && !gate.got_head() && is_stale_connection(ec);
    const bool retry = stale && !retried && is_idempotent(request.method) &&
                       request.framing == http::body_framing::none;
    if (retry) {
      retried = true;
      reused = false;
      return connect();
    }
    // On a reused connection, a close before any byte is the server's idle timeout, not a
    // malformed reply: reported as the reset it is, so that the caller retries it as such.
    return complete(stale && ec == http::error::empty_reply ? error::connection_reset : ec);
  }
  store_cookies(head);
  result.head = head;
  result.url = request.url;
  owner->pool_.put(key, std::move(conn));
  if (gate.swallowed() && will_ask(head.status)) {
    return ask(head);
  }
  if (!gate.swallowed()) {
    return complete({});
  }
  std::error_code redirect_error;
  auto next = http::follow_redirect(request, head.status, head.find("location"), result.redirects,
                                    owner->options_.redirects, redirect_error);
  if (redirect_error) {
    return complete(redirect_error);
  }
  if (next->framing != http::body_framing::none) {
    return complete(error::invalid_argument);  // the body was consumed; see the header
  }
  ++result.redirects;
  request = std::move(*next);
  retried = false;
  start();
}

void client::impl::exchange::ask(const http::response_head& head) {
  const bool is_proxy = head.status == 407;
  (is_proxy ? asked_proxy : asked_server) = true;
  challenge_request question{request.url, head.status, is_proxy, {}};
  for (std::string_view value :
       head.find_all(is_proxy ? "proxy-authenticate" : "www-authenticate")) {
    auto parsed = http::parse_challenges(value);
    question.challenges.insert(question.challenges.end(), parsed.begin(), parsed.end());
  }
  auto answered = std::make_shared<std::atomic<bool>>(false);
  challenge_answer answer = [self = shared_from_this(), is_proxy,
                             answered](std::optional<http::credentials> given) {
    if (answered->exchange(true)) {
      return;  // answered already
    }
    self->owner->loop_.post(
        [self, is_proxy, given = std::move(given)] { self->on_answer(is_proxy, given); });
  };
  try {
    asks()(question, answer);
  } catch (...) {
    owner->loop_.state()->report(std::current_exception());
    answer(std::nullopt);
  }
}

void client::impl::exchange::on_answer(bool is_proxy,
                                       const std::optional<http::credentials>& given) {
  if (!op.pending()) {
    return;  // cancelled while the caller thought
  }
  if (!given) {
    return complete({});  // the 401 or 407 is the result
  }
  if (is_proxy) {
    proxy_authorization = given->authorization();
  } else {
    request.set("Authorization", given->authorization());
  }
  start();
}

void client::impl::exchange::cancel() {
  if (!op.pending() || cancelled) {
    return;
  }
  cancelled = true;
  if (conn) {
    conn->close();
  } else if (tunnel) {
    tunnel->close();
  } else if (opening != nullptr) {
    opening->close();
  } else {
    (void)owner->slots_.leave(shared_from_this());
    complete(error::operation_aborted);
  }
}

void client::impl::exchange::complete(std::error_code ec) {
  if (!slot_origin.empty()) {
    owner->release_slot(std::exchange(slot_origin, std::string{}));
  }
  op.complete(ec);
}

}  // namespace ferry::engine
