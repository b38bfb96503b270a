#include "ferry/engine/io/timer.hpp"

#include <mutex>

#include "detail/asio_stream.hpp"
#include "ferry/engine/io/io_loop.hpp"

namespace ferry::engine {
namespace detail {

class timer_impl final : public asio_stream<timer_impl>, public abortable {
 public:
  timer_impl(std::shared_ptr<loop_state> loop, clock_source& time_source)
      : asio_stream(std::move(loop)),
        clock_(&time_source),
        real_(time_source.is_real()),
        manual_(real_ ? nullptr : static_cast<manual_clock*>(&time_source)),
        timer_(strand_) {}

  async_result wait_until(clock_source::time_point at, async_callback&& callback, state_ref state) {
    return launch(operation_kind::wait, receiving, std::move(callback), state, no_timeout,
                  [at](timer_impl& self, operation* op) { self.start(at, op); });
  }

  void cancel() noexcept {
    if (loop().shutting_down()) {
      // Shutdown has aborted every wait already, and a handler queued now would never run:
      // it would keep this timer, and through it the loop, alive for good.
      return;
    }
    asio::dispatch(strand_, [self = shared_from_this()] { self->cancel_now(); });
  }
  void abort() noexcept override { cancel(); }
  void on_deadline(direction&) noexcept {}

  // The public timer is going away, and its manual clock may go right after: unhook from the
  // clock_source now, on this thread; the pending wait is aborted on the strand later, without it.
  void detach() noexcept {
    {
      std::lock_guard lock{manual_mutex_};
      if (manual_ != nullptr) {
        (void)manual_->cancel_at(manual_id_);
        manual_ = nullptr;
      }
    }
    cancel();
  }

  [[nodiscard]] clock_source& time_source() const noexcept { return *clock_; }

 private:
  void start(clock_source::time_point at, operation* op) {
    if (real_) {
      timer_.expires_at(std::chrono::time_point_cast<clock_type::duration>(
          clock_type::time_point{at.time_since_epoch()}));
      timer_.async_wait(handler(receiving, op, [self = this, op](boost::system::error_code ec) {
        self->finish(receiving, op, to_error_code(ec), 0);
      }));
      return;
    }
    pending_ = op;
    std::lock_guard lock{manual_mutex_};
    if (manual_ == nullptr) {
      fire_manual(op, error::operation_aborted);  // detached before the wait could start
      return;
    }
    manual_id_ = manual_->call_at(at, [weak = weak_from_this(), op] {
      if (auto self = weak.lock()) {
        asio::dispatch(self->strand_, [self, op] { self->fire_manual(op, {}); });
      }
    });
  }

  void fire_manual(operation* op, std::error_code ec) {
    if (pending_ != op) {
      return;  // already completed (cancelled, then fired, or the reverse)
    }
    pending_ = nullptr;
    fail(receiving, op, ec);
  }

  void cancel_now() noexcept {
    if (real_) {
      timer_.cancel();
      return;
    }
    if (pending_ == nullptr) {
      return;
    }
    bool removed = false;
    {
      std::lock_guard lock{manual_mutex_};
      // Detached: detach() already removed the call from the clock.
      removed = manual_ == nullptr || manual_->cancel_at(manual_id_);
    }
    if (removed) {
      fire_manual(pending_, error::operation_aborted);
    }
  }

  clock_source* clock_;  // for now() on the caller's thread only; the strand uses real_ and manual_
  const bool real_;
  std::mutex manual_mutex_;
  manual_clock* manual_;  // null for a real clock, or once detached
  std::uint64_t manual_id_ = 0;
  asio::steady_timer timer_;
  operation* pending_ = nullptr;  // the wait on a manual clock, strand only
};

}  // namespace detail

timer::timer(io_loop& loop, clock_source& time_source)
    : impl_(std::make_shared<detail::timer_impl>(loop.state(), time_source)) {
  impl_->set_owner(impl_.get());
  detail::loop_state::add(loop.state(), impl_);
}

timer::~timer() {
  impl_->cancel();
}

async_result timer::begin_wait_until(clock_source::time_point at, async_callback callback,
                                     state_ref state) {
  return impl_->wait_until(at, std::move(callback), state);
}

async_result timer::begin_wait(clock_source::duration delay, async_callback callback,
                               state_ref state) {
  return impl_->wait_until(impl_->time_source().now() + delay, std::move(callback), state);
}

void timer::end_wait(async_result& result, std::error_code& ec) {
  (void)detail::end_operation(operation_kind::wait, impl_.get(), result, ec);
}

void timer::end_wait(async_result& result) {
  std::error_code ec;
  end_wait(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_wait"};
  }
}

void timer::cancel() noexcept {
  impl_->cancel();
}

clock_source& timer::time_source() const noexcept {
  return impl_->time_source();
}

}  // namespace ferry::engine
