#include "ferry/engine/transfer/client.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>

#include "composed_operation.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/io/tls_socket.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/connection_slots.hpp"
#include "ferry/http/auth.hpp"
#include "ferry/http/error.hpp"
#include "ferry/http/proxy.hpp"

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

}  // namespace

class client::impl : public std::enable_shared_from_this<client::impl> {
 public:
  impl(io_loop& loop, const tls_context& tls, client_options options)
      : loop_(loop),
        tls_(tls),
        options_(options),
        pool_(options.pool),
        slots_(options.max_connections_per_host, options.max_connections) {}

  async_result begin(const http::request& request, body_sink& sink, async_callback&& callback,
                     state_ref state, body_source* source, exchange_options how) {
    auto j = std::make_shared<job>(shared_from_this(), request, sink, source);
    j->fresh = how.fresh_connection;
    async_result user_ref = j->op.begin(*loop_.state(), this, std::move(callback), state);
    j->op.keep_alive(j);  // the result lives with the operation until its last handle goes
    j->start();
    return user_ref;
  }

  exchange_result end(async_result& result, std::error_code& ec) {
    (void)composed_operation::end(this, result, ec);
    if (ec) {
      return {};
    }
    return static_cast<const job*>(composed_operation::kept(this, result))->result;
  }

  void cancel(const async_result& exchange) noexcept {
    auto j = std::static_pointer_cast<job>(composed_operation::kept_shared(this, exchange));
    if (j) {
      loop_.post([j] { j->cancel(); });
    }
  }

  connection_pool& pool() noexcept { return pool_; }
  io_loop& loop() noexcept { return loop_; }

 private:
  struct job;

  // Gives a slot back, and starts whoever is next in line for one.
  void release_slot(const std::string& origin) {
    if (auto next = std::static_pointer_cast<job>(slots_.release(origin))) {
      loop_.post([next] { next->start(); });
    }
  }

  // One exchange: connect (or reuse), send, read; again for each redirect.
  struct job : std::enable_shared_from_this<job> {
    job(std::shared_ptr<impl> client, const http::request& r, body_sink& sink, body_source* body)
        : owner(std::move(client)),
          request(r),
          source(body),
          gate(sink, [this](const http::response_head& h) { return swallows(h); }) {}

    // Whether the exchange goes on past this response (so its body is not the caller's).
    [[nodiscard]] bool swallows(const http::response_head& h) const {
      return (owner->options_.follow_redirects && http::is_redirect(h.status)) ||
             will_ask(h.status);
    }

    [[nodiscard]] bool will_ask(unsigned status) const {
      if (!owner->options_.on_challenge) {
        return false;
      }
      if (status == 401) {
        return !asked_server;
      }
      return status == 407 && proxy && !request.url.is_https() && !asked_proxy;
    }

    void start() {
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
          return;  // queued: release_slot starts this job again
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

    // URL credentials become Basic authorization, unless the caller set one.
    void add_credentials() {
      const bool has_authorization =
          std::any_of(request.fields.begin(), request.fields.end(),
                      [](const http::field& f) { return http::iequals(f.name, "authorization"); });
      if (request.url.has_credentials() && !has_authorization) {
        request.fields.push_back(
            {"Authorization",
             http::basic_authorization(request.url.user(), request.url.password())});
      }
    }

    // What must match for a connection to be shared: origin, TLS settings, credentials.
    [[nodiscard]] std::string pool_key() const {
      std::string k = request.url.origin().to_string();
      if (request.url.is_https()) {
        k += "|tls@" + std::to_string(reinterpret_cast<std::uintptr_t>(owner->tls_.impl().get()));
      }
      for (const http::field& f : request.fields) {
        if (http::iequals(f.name, "authorization")) {
          k += "|auth:" + f.value;
        }
      }
      if (proxy) {
        k += "|via:" + proxy->origin().to_string() + ":" + proxy->user() + ":" + proxy->password() +
             ":" + proxy_authorization;
      }
      return k;
    }

    void connect() {
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

    void handshake(std::unique_ptr<tls_socket> s) {
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

    // CONNECT through the proxy; on 2xx, TLS to the origin runs inside the tunnel.
    void open_tunnel(std::unique_ptr<stream> to_proxy) {
      tunnel = std::make_unique<connection>(std::move(to_proxy), owner->options_.connection);
      tunnel->begin_request(
          http::connect_request(request.url, proxy_fields()), http::target_form::authority, nullptr,
          discard, [self = shared_from_this()](async_result& r) {
            std::error_code ec;
            const http::response_head head = self->tunnel->end_request(r, ec);
            if (!ec && head.status == 407 && self->owner->options_.on_challenge &&
                !self->asked_proxy) {
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

    // The jar's cookies join any Cookie field the caller set (which redirects to another
    // origin have already dropped).
    void add_cookies(http::request& r) const {
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

    void store_cookies(const http::response_head& head) const {
      if (owner->options_.cookies == nullptr) {
        return;
      }
      for (std::string_view value : head.find_all("set-cookie")) {
        (void)owner->options_.cookies->set(value, request.url);
      }
    }

    [[nodiscard]] std::vector<http::field> proxy_fields() const {
      if (proxy && !proxy_authorization.empty()) {
        return {{"Proxy-Authorization", proxy_authorization}};
      }
      if (!proxy || !proxy->has_credentials()) {
        return {};
      }
      return {{"Proxy-Authorization", http::basic_authorization(proxy->user(), proxy->password())}};
    }

    void use(std::unique_ptr<stream> s) {
      if (cancelled) {
        return complete(error::operation_aborted);
      }
      if (owner->options_.wrap_stream) {
        s = owner->options_.wrap_stream(std::move(s));
      }
      conn = std::make_unique<connection>(std::move(s), owner->options_.connection);
      send();
    }

    void send() {
      gate.reset();
      // Plain http through a proxy: absolute form, with the proxy's credentials.
      const bool via_proxy = proxy && !request.url.is_https();
      http::request to_send = request;
      add_cookies(to_send);
      for (http::field& f : via_proxy ? proxy_fields() : std::vector<http::field>{}) {
        to_send.set(f.name, f.value);
      }
      conn->begin_request(
          to_send, via_proxy ? http::target_form::absolute : http::target_form::origin, source,
          gate, [self = shared_from_this()](async_result& r) { self->on_response(r); });
    }

    void on_response(async_result& r) {
      std::error_code ec;
      const http::response_head head = conn->end_request(r, ec);
      if (cancelled) {
        conn.reset();
        return complete(error::operation_aborted);
      }
      if (ec) {
        conn.reset();
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
      auto next =
          http::follow_redirect(request, head.status, head.find("location"), result.redirects,
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

    // The caller's on_challenge decides; its answer comes back to the loop, whenever it comes.
    void ask(const http::response_head& head) {
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
        owner->options_.on_challenge(question, answer);
      } catch (...) {
        owner->loop_.state()->report(std::current_exception());
        answer(std::nullopt);
      }
    }

    void on_answer(bool is_proxy, const std::optional<http::credentials>& given) {
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

    // On a loop thread. Whatever is in flight ends with operation_aborted and finishes the job
    // through its own callback; a job with nothing in flight (queued for a slot, or waiting
    // for a challenge's answer) finishes here.
    void cancel() {
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

    void complete(std::error_code ec) {
      if (!slot_origin.empty()) {
        owner->release_slot(std::exchange(slot_origin, std::string{}));
      }
      op.complete(ec);
    }

    std::shared_ptr<impl> owner;
    http::request request;
    body_source* source;
    gate_sink gate;
    exchange_result result;
    std::unique_ptr<connection> conn;
    std::unique_ptr<connection> tunnel;  // the CONNECT exchange with the proxy
    memory_sink discard{0};
    std::optional<http::url> proxy;
    std::string key;
    composed_operation op;
    std::string proxy_authorization;  // from an answered 407
    std::string slot_origin;          // the origin whose connection slot this job holds
    stream* opening = nullptr;        // the socket being connected or handshaken, if any
    bool cancelled = false;
    bool fresh = false;  // never takes a pooled connection (exchange_options)
    bool reused = false;
    bool retried = false;
    bool asked_server = false;
    bool asked_proxy = false;
  };

  io_loop& loop_;
  tls_context tls_;  // a handle: the caller's context may go before this client
  client_options options_;
  connection_pool pool_;
  connection_slots slots_;  // the caps on connections in use, and the line waiting for one
};

client::client(io_loop& loop, const tls_context& tls, client_options options)
    : impl_(std::make_shared<impl>(loop, tls, options)) {
}

client::~client() = default;

async_result client::begin_exchange(const http::request& request, body_sink& sink,
                                    async_callback callback, state_ref state, body_source* source,
                                    exchange_options how) {
  return impl_->begin(request, sink, std::move(callback), state, source, how);
}

exchange_result client::end_exchange(async_result& result, std::error_code& ec) {
  return impl_->end(result, ec);
}

exchange_result client::end_exchange(async_result& result) {
  std::error_code ec;
  exchange_result r = end_exchange(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_exchange"};
  }
  return r;
}

exchange_result client::exchange(const http::request& request, body_sink& sink, std::error_code& ec,
                                 body_source* source) {
  if (impl_->loop().running_in_this_thread()) {
    ec = error::would_deadlock;
    return {};
  }
  async_result r = begin_exchange(request, sink, {}, {}, source);
  return end_exchange(r, ec);
}

exchange_result client::exchange(const http::request& request, body_sink& sink,
                                 body_source* source) {
  std::error_code ec;
  exchange_result r = exchange(request, sink, ec, source);
  if (ec) {
    throw std::system_error{ec, "exchange"};
  }
  return r;
}

void client::cancel(const async_result& exchange) noexcept {
  impl_->cancel(exchange);
}

connection_pool& client::pool() noexcept {
  return impl_->pool();
}

io_loop& client::loop() noexcept {
  return impl_->loop();
}

}  // namespace ferry::engine
