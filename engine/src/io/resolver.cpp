#include "ferry/engine/io/resolver.hpp"

#include <boost/asio/ip/tcp.hpp>

#include "detail/asio_stream.hpp"
#include "detail/tcp_impl.hpp"
#include "ferry/engine/io/io_loop.hpp"

namespace ferry::engine {
namespace detail {

class resolver_impl final : public asio_stream<resolver_impl>, public abortable {
 public:
  explicit resolver_impl(std::shared_ptr<loop_state> loop)
      : asio_stream(std::move(loop)), resolver_(strand_) {}

  async_result resolve(std::string_view host, std::uint16_t port, async_callback&& callback,
                       state_ref state, timeout limit) {
    return launch(
        operation_kind::resolve, both, std::move(callback), state, limit,
        [host = std::string{host}, port](resolver_impl& self, operation* op) {
          self.resolver_.async_resolve(
              host, std::to_string(port),
              self.handler(both, op,
                           [self = &self, op](boost::system::error_code ec,
                                              const tcp::resolver::results_type& results) {
                             for (const auto& entry : results) {
                               op->endpoints.push_back(from_asio(entry.endpoint()));
                             }
                             self->finish(both, op, to_error_code(ec), 0);
                           }));
        });
  }

  void cancel() noexcept {
    asio::dispatch(strand_, [self = shared_from_this()] { self->resolver_.cancel(); });
  }
  void abort() noexcept override {
    asio::dispatch(strand_, [self = shared_from_this()] {
      self->resolver_.cancel();
      self->cancel_timers();
    });
  }
  void on_deadline(direction&) noexcept { resolver_.cancel(); }

 private:
  tcp::resolver resolver_;
};

}  // namespace detail

resolver::resolver(io_loop& loop) : impl_(std::make_shared<detail::resolver_impl>(loop.state())) {
  impl_->set_owner(impl_.get());
  detail::loop_state::add(loop.state(), impl_);
}

resolver::~resolver() {
  impl_->abort();
}

async_result resolver::begin_resolve(std::string_view host, std::uint16_t port,
                                     async_callback callback, state_ref state, timeout limit) {
  return impl_->resolve(host, port, std::move(callback), state, limit);
}

std::vector<endpoint> resolver::end_resolve(async_result& result, std::error_code& ec) {
  (void)detail::end_operation(operation_kind::resolve, impl_.get(), result, ec);
  if (ec) {
    return {};
  }
  return result.operation()->endpoints;
}

std::vector<endpoint> resolver::end_resolve(async_result& result) {
  std::error_code ec;
  auto endpoints = end_resolve(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_resolve"};
  }
  return endpoints;
}

void resolver::cancel() noexcept {
  impl_->cancel();
}

}  // namespace ferry::engine
