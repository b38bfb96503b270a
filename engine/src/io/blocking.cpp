#include "ferry/engine/io/blocking.hpp"

#include "../or_throw.hpp"
#include "detail/loop_state.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/io/tls_socket.hpp"

namespace ferry::engine {
namespace {

bool on_loop_thread(const stream& s, std::error_code& ec) {
  if (s.loop_state()->running_in_this_thread()) {
    ec = error::would_deadlock;
    return true;
  }
  return false;
}

}  // namespace

endpoint connect(tcp_socket& s, std::string_view host, std::uint16_t port, timeout limit,
                 std::error_code& ec) {
  if (on_loop_thread(s, ec)) {
    return {};
  }
  async_result r = s.begin_connect(host, port, {}, {}, limit);
  return s.end_connect(r, ec);
}

endpoint connect(tcp_socket& s, std::string_view host, std::uint16_t port, timeout limit) {
  return detail::or_throw("connect",
                          [&](std::error_code& ec) { return connect(s, host, port, limit, ec); });
}

void connect(tls_socket& s, std::string_view host, std::uint16_t port, timeout limit,
             std::error_code& ec) {
  if (on_loop_thread(s, ec)) {
    return;
  }
  async_result r = s.begin_connect(host, port, {}, {}, limit);
  (void)s.end_connect(r, ec);
  if (ec) {
    return;
  }
  r = s.begin_handshake(host, {}, {}, limit);
  s.end_handshake(r, ec);
}

void connect(tls_socket& s, std::string_view host, std::uint16_t port, timeout limit) {
  detail::or_throw("connect", [&](std::error_code& ec) { connect(s, host, port, limit, ec); });
}

std::size_t send(stream& s, const_buffer bytes, timeout limit, std::error_code& ec) {
  if (on_loop_thread(s, ec)) {
    return 0;
  }
  async_result r = s.begin_send(bytes, {}, {}, limit);
  return s.end_send(r, ec);
}

std::size_t send(stream& s, const_buffer bytes, timeout limit) {
  return detail::or_throw("send", [&](std::error_code& ec) { return send(s, bytes, limit, ec); });
}

std::size_t receive(stream& s, mutable_buffer into, timeout limit, std::error_code& ec) {
  if (on_loop_thread(s, ec)) {
    return 0;
  }
  async_result r = s.begin_receive(into, {}, {}, limit);
  return s.end_receive(r, ec);
}

std::size_t receive(stream& s, mutable_buffer into, timeout limit) {
  return detail::or_throw("receive",
                          [&](std::error_code& ec) { return receive(s, into, limit, ec); });
}

}  // namespace ferry::engine
