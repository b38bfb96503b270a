#include "ferry/engine/io/tcp_socket.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "detail/tcp_impl.hpp"
#include "ferry/engine/io/io_loop.hpp"

namespace ferry::engine {
namespace detail {

tcp::endpoint to_asio(const endpoint& e) {
  if (e.is_v6()) {
    asio::ip::address_v6::bytes_type bytes;
    std::copy(e.bytes().begin(), e.bytes().end(), bytes.begin());
    return {asio::ip::address_v6{bytes, e.scope_id()}, e.port()};
  }
  return {asio::ip::address_v4{{e.bytes()[0], e.bytes()[1], e.bytes()[2], e.bytes()[3]}}, e.port()};
}

endpoint from_asio(const tcp::endpoint& e) {
  const auto address = e.address();
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    const auto bytes = v6.to_bytes();
    std::array<std::uint8_t, 16> raw{};
    std::copy(bytes.begin(), bytes.end(), raw.begin());
    return endpoint::v6(raw, e.port(), static_cast<std::uint32_t>(v6.scope_id()));
  }
  const auto bytes = address.to_v4().to_bytes();
  return endpoint::v4({bytes[0], bytes[1], bytes[2], bytes[3]}, e.port());
}

std::vector<tcp::endpoint> to_asio(std::span<const endpoint> endpoints) {
  std::vector<tcp::endpoint> converted;
  converted.reserve(endpoints.size());
  for (const endpoint& e : endpoints) {
    converted.push_back(to_asio(e));
  }
  return converted;
}

bool copy_buffers(operation& op, std::span<const const_buffer> buffers) noexcept {
  if (buffers.size() > operation::max_buffers) {
    return false;
  }
  std::copy(buffers.begin(), buffers.end(), op.buffers.begin());
  op.buffer_count = buffers.size();
  return true;
}

async_result tcp_impl::connect(std::string_view host, std::uint16_t port, async_callback&& callback,
                               state_ref state, timeout limit) {
  mark_closed(false);
  return launch(operation_kind::connect, both, std::move(callback), state, limit,
                [host = std::string{host}, port](tcp_impl& self, operation* op) {
                  self.resolver_.async_resolve(
                      host, std::to_string(port),
                      self.handler(both, op,
                                   [self = &self, op](boost::system::error_code ec,
                                                      const tcp::resolver::results_type& results) {
                                     if (ec) {
                                       self->finish(both, op, to_error_code(ec), 0);
                                       return;
                                     }
                                     self->start_connect(op, results);
                                   }));
                });
}

async_result tcp_impl::connect(std::vector<tcp::endpoint> endpoints, async_callback&& callback,
                               state_ref state, timeout limit) {
  mark_closed(false);
  return launch(operation_kind::connect, both, std::move(callback), state, limit,
                [endpoints = std::move(endpoints)](tcp_impl& self, operation* op) {
                  if (endpoints.empty()) {
                    self.fail(both, op, error::invalid_argument);
                    return;
                  }
                  self.start_connect(op, tcp::resolver::results_type::create(
                                             endpoints.begin(), endpoints.end(), "", ""));
                });
}

void tcp_impl::start_connect(operation* op, const tcp::resolver::results_type& results) {
  asio::async_connect(
      socket_, results,
      handler(both, op,
              [self = this, op](boost::system::error_code ec, const tcp::endpoint& connected) {
                if (!ec) {
                  boost::system::error_code ignored;
                  self->socket_.set_option(tcp::no_delay{true}, ignored);
                  self->open_.store(true, std::memory_order_release);
                  op->endpoints.assign(1, from_asio(connected));
                } else if (ec == asio::error::not_found) {
                  ec = asio::error::connection_refused;  // every address was tried
                }
                self->finish(both, op, to_error_code(ec), 0);
              }));
}

async_result tcp_impl::send(std::span<const const_buffer> buffers, async_callback&& callback,
                            state_ref state, timeout limit) {
  return launch(
      operation_kind::send, sending, std::move(callback), state, limit,
      [this, buffers](operation& op) noexcept {
        if (!is_open()) {
          return std::error_code{error::not_connected};
        }
        return copy_buffers(op, buffers) ? std::error_code{} : error::too_many_buffers;
      },
      [](tcp_impl& self, operation* op) {
        if (!self.is_open()) {
          self.fail(sending, op, error::operation_aborted);  // closed while it waited
          return;
        }
        asio::async_write(
            self.socket_, buffer_sequence{op->buffers.data(), op->buffer_count},
            self.handler(sending, op,
                         [self = &self, op](boost::system::error_code ec, std::size_t n) {
                           self->finish(sending, op, to_error_code(ec), n);
                         }));
      });
}

async_result tcp_impl::receive(mutable_buffer buffer, async_callback&& callback, state_ref state,
                               timeout limit) {
  return launch(operation_kind::receive, receiving, std::move(callback), state, limit,
                not_connected_check(), [buffer](tcp_impl& self, operation* op) {
                  if (!self.is_open()) {
                    self.fail(receiving, op, error::operation_aborted);  // closed while it waited
                    return;
                  }
                  self.socket_.async_read_some(
                      asio::mutable_buffer{buffer.data, buffer.size},
                      self.handler(receiving, op,
                                   [self = &self, op](boost::system::error_code ec, std::size_t n) {
                                     if (ec == asio::error::eof) {
                                       ec = {};  // a clean close: 0 bytes, no error
                                     }
                                     self->finish(receiving, op, to_error_code(ec), n);
                                   }));
                });
}

async_result tcp_impl::shutdown(async_callback&& callback, state_ref state, timeout limit) {
  return launch(operation_kind::shutdown, sending, std::move(callback), state, limit,
                not_connected_check(), [](tcp_impl& self, operation* op) {
                  boost::system::error_code ec;
                  self.socket_.shutdown(tcp::socket::shutdown_send, ec);
                  self.fail(sending, op, to_error_code(ec));
                });
}

void tcp_impl::cancel() noexcept {
  asio::dispatch(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->resolver_.cancel();
    self->socket_.cancel(ignored);
  });
}

void tcp_impl::close() noexcept {
  mark_closed(true);
  open_.store(false, std::memory_order_release);
  asio::dispatch(strand_, [self = shared_from_this()] { self->close_now(); });
}

void tcp_impl::close_now() noexcept {
  boost::system::error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
  cancel_timers();
}

}  // namespace detail

tcp_socket::tcp_socket(io_loop& loop)
    : stream(loop), impl_(std::make_shared<detail::tcp_impl>(loop.state())) {
  impl_->set_owner(impl_.get());
  detail::loop_state::add(loop_state(), impl_);
}

tcp_socket::~tcp_socket() {
  impl_->close();
}

const void* tcp_socket::operation_owner() const noexcept {
  return impl_.get();
}

async_result tcp_socket::begin_connect(std::string_view host, std::uint16_t port,
                                       async_callback callback, state_ref state, timeout limit) {
  return impl_->connect(host, port, std::move(callback), state, limit);
}

async_result tcp_socket::begin_connect(std::span<const endpoint> endpoints, async_callback callback,
                                       state_ref state, timeout limit) {
  return impl_->connect(detail::to_asio(endpoints), std::move(callback), state, limit);
}

endpoint tcp_socket::end_connect(async_result& result, std::error_code& ec) {
  return end_connect_operation(result, ec);
}

endpoint tcp_socket::end_connect(async_result& result) {
  std::error_code ec;
  endpoint connected = end_connect(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_connect"};
  }
  return connected;
}

async_result tcp_socket::begin_send(std::span<const const_buffer> buffers, async_callback callback,
                                    state_ref state, timeout limit) {
  return impl_->send(buffers, std::move(callback), state, limit);
}

async_result tcp_socket::begin_receive(mutable_buffer buffer, async_callback callback,
                                       state_ref state, timeout limit) {
  return impl_->receive(buffer, std::move(callback), state, limit);
}

async_result tcp_socket::begin_shutdown(async_callback callback, state_ref state, timeout limit) {
  return impl_->shutdown(std::move(callback), state, limit);
}

void tcp_socket::cancel() noexcept {
  impl_->cancel();
}
void tcp_socket::close() noexcept {
  impl_->close();
}
bool tcp_socket::is_open() const noexcept {
  return impl_->is_open();
}

endpoint tcp_socket::local_endpoint(std::error_code& ec) const {
  boost::system::error_code bec;
  const auto e = impl_->socket().local_endpoint(bec);
  ec = detail::to_error_code(bec);
  return ec ? endpoint{} : detail::from_asio(e);
}

endpoint tcp_socket::remote_endpoint(std::error_code& ec) const {
  boost::system::error_code bec;
  const auto e = impl_->socket().remote_endpoint(bec);
  ec = detail::to_error_code(bec);
  return ec ? endpoint{} : detail::from_asio(e);
}

}  // namespace ferry::engine
