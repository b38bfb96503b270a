#include "ferry/engine/io/tls_socket.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "detail/tcp_impl.hpp"
#include "detail/tls_context_impl.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/tls_context.hpp"

namespace ferry::engine {
namespace detail {
namespace ssl = asio::ssl;

/// The operations every tls_socket implementation offers, whatever runs beneath it.
class tls_impl_base : public abortable {
 public:
  virtual async_result connect(std::string_view host, std::uint16_t port, async_callback&& callback,
                               state_ref state, timeout limit) = 0;
  virtual async_result connect(std::vector<tcp::endpoint> endpoints, async_callback&& callback,
                               state_ref state, timeout limit) = 0;
  virtual async_result handshake(std::string_view host, async_callback&& callback, state_ref state,
                                 timeout limit) = 0;
  virtual async_result send(std::span<const const_buffer> buffers, async_callback&& callback,
                            state_ref state, timeout limit) = 0;
  virtual async_result receive(mutable_buffer buffer, async_callback&& callback, state_ref state,
                               timeout limit) = 0;
  virtual async_result shutdown(async_callback&& callback, state_ref state, timeout limit) = 0;
  virtual void cancel() noexcept = 0;
  virtual void close() noexcept = 0;
  [[nodiscard]] virtual bool is_open() const noexcept = 0;
};

/// Asio's AsyncReadStream/AsyncWriteStream over a ferry `stream`, so that OpenSSL can run over
/// a CONNECT tunnel or a test double. Completions are dispatched to the handler's executor
/// (the TLS stream's strand); cancellation of the handler cancels the inner stream.
class stream_adapter {
 public:
  using executor_type = asio_stream<tcp_impl>::strand_type;
  using lowest_layer_type = stream_adapter;  // required by ssl::stream; there is nothing lower

  stream_adapter(stream& inner, executor_type strand)
      : inner_(&inner), strand_(std::move(strand)) {}

  [[nodiscard]] executor_type get_executor() const noexcept { return strand_; }
  [[nodiscard]] stream_adapter& lowest_layer() noexcept { return *this; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          const asio::mutable_buffer first = *asio::buffer_sequence_begin(b);
          watch_cancellation(handler);
          inner_->begin_receive(mutable_buffer{first.data(), first.size()},
                                [this, h = std::move(handler)](async_result& r) mutable {
                                  std::error_code ec;
                                  const std::size_t n = inner_->end_receive(r, ec);
                                  complete(std::move(h), ec, n, !ec && n == 0);
                                });
        },
        token, buffers);
  }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          const asio::const_buffer first = *asio::buffer_sequence_begin(b);
          watch_cancellation(handler);
          inner_->begin_send(const_buffer{first.data(), first.size()},
                             [this, h = std::move(handler)](async_result& r) mutable {
                               std::error_code ec;
                               const std::size_t n = inner_->end_send(r, ec);
                               complete(std::move(h), ec, n, false);
                             });
        },
        token, buffers);
  }

 private:
  template <class Handler>
  void watch_cancellation(Handler& handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([inner = inner_](asio::cancellation_type) { inner->cancel(); });
    }
  }

  template <class Handler>
  void complete(Handler&& handler, std::error_code ec, std::size_t n, bool end_of_stream) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.clear();
    }
    boost::system::error_code bec;
    if (end_of_stream) {
      bec = asio::error::eof;
    } else if (ec == error::operation_aborted) {
      bec = asio::error::operation_aborted;
    } else if (ec) {
      bec = boost::system::error_code{ec};
    }
    auto executor = asio::get_associated_executor(handler, strand_);
    asio::dispatch(
        executor, [h = std::forward<Handler>(handler), bec, n]() mutable { std::move(h)(bec, n); });
  }

  stream* inner_;
  executor_type strand_;
};

/// A tls_socket's implementation over `Next`: `tcp::socket&` (a TCP connection of its own) or
/// `stream_adapter` (any ferry stream).
template <class Next>
class tls_impl final : public tls_impl_base, public asio_stream<tls_impl<Next>> {
  using base = asio_stream<tls_impl<Next>>;
  static constexpr bool over_tcp = std::is_same_v<Next, tcp::socket&>;

 public:
  // Over a TCP connection of its own, which shares this stream's strand.
  tls_impl(std::shared_ptr<loop_state> loop,
           std::shared_ptr<tls_context_impl> context) requires over_tcp
      : base(loop),
        context_(std::move(context)),
        tcp_(std::make_shared<tcp_impl>(loop, this->strand_)),
        ssl_(tcp_->socket(), context_->context) {
    adopt_owner();
  }

  // Over any ferry stream.
  tls_impl(std::shared_ptr<loop_state> loop, std::shared_ptr<tls_context_impl> context,
           std::unique_ptr<stream> inner) requires(!over_tcp)
      : base(std::move(loop)),
        context_(std::move(context)),
        inner_(std::move(inner)),
        ssl_(stream_adapter{*inner_, this->strand_}, context_->context) {
    adopt_owner();
  }

  async_result connect(std::string_view host, std::uint16_t port, async_callback&& callback,
                       state_ref state, timeout limit) override {
    if constexpr (over_tcp) {
      return tcp_->connect(host, port, std::move(callback), state, limit);
    } else {
      return refuse(operation_kind::connect, std::move(callback), state);
    }
  }

  async_result connect(std::vector<tcp::endpoint> endpoints, async_callback&& callback,
                       state_ref state, timeout limit) override {
    if constexpr (over_tcp) {
      return tcp_->connect(std::move(endpoints), std::move(callback), state, limit);
    } else {
      return refuse(operation_kind::connect, std::move(callback), state);
    }
  }

  async_result handshake(std::string_view host, async_callback&& callback, state_ref state,
                         timeout limit) override {
    return this->launch(
        operation_kind::handshake, both, std::move(callback), state, limit,
        this->not_connected_check(), [host = std::string{host}](tls_impl& self, operation* op) {
          if (!self.is_open()) {
            self.fail(both, op, error::operation_aborted);  // closed while it waited
            return;
          }
          if (const std::error_code ec = self.configure(host)) {
            self.fail(both, op, ec);
            return;
          }
          self.ssl_.async_handshake(
              ssl::stream_base::client,
              self.handler(both, op, [self = &self, op](boost::system::error_code ec) {
                self->finish(both, op, self->handshake_error(ec), 0);
              }));
        });
  }

  async_result send(std::span<const const_buffer> buffers, async_callback&& callback,
                    state_ref state, timeout limit) override {
    return this->launch(
        operation_kind::send, sending, std::move(callback), state, limit,
        [this, buffers](operation& op) noexcept {
          if (!is_open()) {
            return std::error_code{error::not_connected};
          }
          return copy_buffers(op, buffers) ? std::error_code{} : error::too_many_buffers;
        },
        [](tls_impl& self, operation* op) {
          if (!self.is_open()) {
            self.fail(sending, op, error::operation_aborted);  // closed while it waited
            return;
          }
          asio::async_write(
              self.ssl_, buffer_sequence{op->buffers.data(), op->buffer_count},
              self.handler(sending, op,
                           [self = &self, op](boost::system::error_code ec, std::size_t n) {
                             self->finish(sending, op, to_error_code(ec), n);
                           }));
        });
  }

  async_result receive(mutable_buffer buffer, async_callback&& callback, state_ref state,
                       timeout limit) override {
    return this->launch(
        operation_kind::receive, receiving, std::move(callback), state, limit,
        this->not_connected_check(), [buffer](tls_impl& self, operation* op) {
          if (!self.is_open()) {
            self.fail(receiving, op, error::operation_aborted);  // closed while it waited
            return;
          }
          self.ssl_.async_read_some(
              asio::mutable_buffer{buffer.data, buffer.size},
              self.handler(receiving, op,
                           [self = &self, op](boost::system::error_code ec, std::size_t n) {
                             if (ec == asio::error::eof) {
                               ec = {};  // close_notify: a clean end of stream
                             }
                             self->finish(receiving, op, to_error_code(ec), n);
                           }));
        });
  }

  async_result shutdown(async_callback&& callback, state_ref state, timeout limit) override {
    return this->launch(
        operation_kind::shutdown, both, std::move(callback), state, limit,
        this->not_connected_check(), [](tls_impl& self, operation* op) {
          if (!self.is_open()) {
            self.fail(both, op, error::operation_aborted);  // closed while it waited
            return;
          }
          self.ssl_.async_shutdown(
              self.handler(both, op, [self = &self, op](boost::system::error_code ec) {
                if (ec == asio::error::eof) {
                  ec = {};  // the peer answered close_notify and closed
                }
                self->finish(both, op, to_error_code(ec), 0);
              }));
        });
  }

  void cancel() noexcept override {
    asio::dispatch(this->strand_, [self = this->shared_from_this()] { self->cancel_now(); });
  }

  void close() noexcept override {
    this->mark_closed(true);
    if constexpr (over_tcp) {
      tcp_->close();
    } else {
      inner_->close();
    }
    asio::dispatch(this->strand_, [self = this->shared_from_this()] { self->cancel_timers(); });
  }

  void abort() noexcept override { close(); }

  [[nodiscard]] bool is_open() const noexcept override {
    if constexpr (over_tcp) {
      return tcp_->is_open();
    } else {
      return inner_->is_open();
    }
  }

  // Connect deadlines belong to the TCP connection beneath; nothing else needs help here.
  void on_deadline(typename base::direction&) noexcept {}

 private:
  void adopt_owner() {
    const void* owner = static_cast<const tls_impl_base*>(this);
    this->set_owner(owner);
    if constexpr (over_tcp) {
      tcp_->set_owner(owner);
    }
  }

  async_result refuse(operation_kind kind, async_callback&& callback, state_ref state) {
    return this->launch(
        kind, both, std::move(callback), state, no_timeout,
        [](operation&) noexcept { return std::error_code{error::invalid_argument}; },
        [](tls_impl&, operation*) {});
  }

  void cancel_now() noexcept {
    if constexpr (over_tcp) {
      boost::system::error_code ignored;
      tcp_->socket().cancel(ignored);
    } else {
      inner_->cancel();
    }
  }

  // SNI for host names (RFC 6066 forbids IP literals there), and the identity to verify.
  std::error_code configure(const std::string& host) {
    SSL* native = ssl_.native_handle();
    boost::system::error_code not_ip;
    (void)asio::ip::make_address(host, not_ip);
    const bool is_ip = !not_ip;
    if (!is_ip && SSL_set_tlsext_host_name(native, host.c_str()) != 1) {
      return error::invalid_argument;
    }
    if (!context_->verify.load()) {
      ssl_.set_verify_mode(ssl::verify_none);
      return {};
    }
    ssl_.set_verify_mode(ssl::verify_peer);
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int set = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    return set == 1 ? std::error_code{} : std::error_code{error::invalid_argument};
  }

  // A verification failure says why; anything else is a network error or a failed handshake.
  std::error_code handshake_error(const boost::system::error_code& ec) {
    if (!ec) {
      return {};
    }
    switch (SSL_get_verify_result(ssl_.native_handle())) {
      case X509_V_OK:
        break;
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return error::tls_expired_certificate;
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return error::tls_host_name_mismatch;
      default:
        return error::tls_untrusted_certificate;
    }
    const std::error_code converted = to_error_code(ec);
    if (converted == error::tls_truncated || converted == error::tls_protocol_error) {
      return error::tls_handshake_failed;  // the peer hung up or spoke something else
    }
    if (converted == condition::network || converted == condition::cancelled) {
      return converted;
    }
    return error::tls_handshake_failed;
  }

  std::shared_ptr<tls_context_impl> context_;
  std::shared_ptr<tcp_impl> tcp_;  // over_tcp only
  std::unique_ptr<stream> inner_;  // !over_tcp only
  ssl::stream<Next> ssl_;
};

}  // namespace detail

tls_socket::tls_socket(io_loop& loop, const tls_context& context) : stream(loop) {
  context.impl()->load_system_store();
  auto impl =
      std::make_shared<detail::tls_impl<detail::tcp::socket&>>(loop.state(), context.impl());
  detail::loop_state::add(loop_state(), impl);
  impl_ = std::move(impl);
}

tls_socket::tls_socket(std::unique_ptr<stream> inner, const tls_context& context)
    : stream(inner->loop_state()) {
  context.impl()->load_system_store();
  auto impl = std::make_shared<detail::tls_impl<detail::stream_adapter>>(
      inner->loop_state(), context.impl(), std::move(inner));
  detail::loop_state::add(loop_state(), impl);
  impl_ = std::move(impl);
}

tls_socket::~tls_socket() {
  impl_->close();
}

const void* tls_socket::operation_owner() const noexcept {
  return static_cast<const detail::tls_impl_base*>(impl_.get());
}

async_result tls_socket::begin_connect(std::string_view host, std::uint16_t port,
                                       async_callback callback, state_ref state, timeout limit) {
  return impl_->connect(host, port, std::move(callback), state, limit);
}

async_result tls_socket::begin_connect(std::span<const endpoint> endpoints, async_callback callback,
                                       state_ref state, timeout limit) {
  return impl_->connect(detail::to_asio(endpoints), std::move(callback), state, limit);
}

endpoint tls_socket::end_connect(async_result& result, std::error_code& ec) {
  return end_connect_operation(result, ec);
}

endpoint tls_socket::end_connect(async_result& result) {
  std::error_code ec;
  endpoint connected = end_connect(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_connect"};
  }
  return connected;
}

async_result tls_socket::begin_handshake(std::string_view host_name, async_callback callback,
                                         state_ref state, timeout limit) {
  return impl_->handshake(host_name, std::move(callback), state, limit);
}

void tls_socket::end_handshake(async_result& result, std::error_code& ec) {
  (void)end_operation(operation_kind::handshake, result, ec);
}

void tls_socket::end_handshake(async_result& result) {
  std::error_code ec;
  end_handshake(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_handshake"};
  }
}

async_result tls_socket::begin_send(std::span<const const_buffer> buffers, async_callback callback,
                                    state_ref state, timeout limit) {
  return impl_->send(buffers, std::move(callback), state, limit);
}

async_result tls_socket::begin_receive(mutable_buffer buffer, async_callback callback,
                                       state_ref state, timeout limit) {
  return impl_->receive(buffer, std::move(callback), state, limit);
}

async_result tls_socket::begin_shutdown(async_callback callback, state_ref state, timeout limit) {
  return impl_->shutdown(std::move(callback), state, limit);
}

void tls_socket::cancel() noexcept {
  impl_->cancel();
}
void tls_socket::close() noexcept {
  impl_->close();
}
bool tls_socket::is_open() const noexcept {
  return impl_->is_open();
}

}  // namespace ferry::engine
