#include "ferry/engine/transfer/client.hpp"

#include <utility>

#include "client_impl.hpp"
#include "exchange.hpp"
#include "ferry/engine/error.hpp"

namespace ferry::engine {

async_result client::impl::begin(const http::request& request, body_sink& sink,
                                 async_callback&& callback, state_ref state, body_source* source,
                                 exchange_options how) {
  auto j = std::make_shared<exchange>(shared_from_this(), request, sink, source);
  j->fresh = how.fresh_connection;
  j->pace = std::move(how.pace);
  j->own_challenge = std::move(how.on_challenge);
  async_result user_ref = j->op.begin(*loop_.state(), this, std::move(callback), state);
  j->op.keep_alive(j);  // the result lives with the operation until its last handle goes
  j->start();
  return user_ref;
}

exchange_result client::impl::end(async_result& result, std::error_code& ec) {
  (void)composed_operation::end(this, result, ec);
  const auto* x = static_cast<const exchange*>(composed_operation::kept(this, result));
  return x != nullptr && composed_operation::outcome_known(ec) ? x->result : exchange_result{};
}

void client::impl::cancel(const async_result& handle) noexcept {
  auto j = std::static_pointer_cast<exchange>(composed_operation::kept_shared(this, handle));
  if (j) {
    loop_.post([j] { j->cancel(); });
  }
}

// Gives a slot back, and starts whoever is next in line for one.
void client::impl::release_slot(const std::string& origin) {
  if (auto next = std::static_pointer_cast<exchange>(slots_.release(origin))) {
    loop_.post([next] { next->start(); });
  }
}

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
