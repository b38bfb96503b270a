#include "idle_waits.hpp"

#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "../transfer/composed_operation.hpp"
#include "ferry/engine/error.hpp"
#include "session_backend.hpp"

namespace ferry::engine::detail {

idle_waits::idle_waits() : loop_(std::make_unique<io_loop>()) {
}

idle_waits::~idle_waits() {
  close({});
  loop_->shutdown();
}

async_result idle_waits::begin(std::shared_ptr<session_backend> backend,
                               std::chrono::milliseconds limit, async_callback&& callback,
                               state_ref state) {
  std::lock_guard lock{mutex_};
  if (!started_) {
    loop_->start(1, 1);
    started_ = true;
  }
  reap();
  auto op = std::make_shared<composed_operation>();
  async_result handle = op->begin(*loop_->state(), this, std::move(callback), state);
  if (closed_) {
    op->complete(error::operation_aborted);
    return handle;
  }
  auto w = std::make_shared<waiter>();
  try {
    w->thread = std::thread{[this, w, op, backend = std::move(backend), limit] {
      std::error_code ec;
      backend->wait_idle(limit, ec);
      {
        std::lock_guard done{mutex_};
        if (closed_ && !ec) {
          ec = error::operation_aborted;  // it returned because the session closed
        }
        op->complete(ec);
      }
      w->done = true;
    }};
  } catch (const std::system_error& e) {
    op->complete(e.code());  // no thread to wait on
    return handle;
  }
  waiters_.push_back(std::move(w));
  return handle;
}

void idle_waits::end(const session_backend& backend, async_result& result, std::error_code& ec) {
  if (!result.is_completed() && backend.on_delegate_thread()) {
    // Idle waits for the delegate's calls to end, this one included.
    ec = error::would_deadlock;
    return;
  }
  (void)composed_operation::end(this, result, ec);
}

void idle_waits::close(const std::function<void()>& close_backend) {
  if (started_ && loop_->running_in_this_thread()) {
    // The wait's own thread would join itself: a misuse no error code can report.
    std::fputs("ferry: a session was closed from its begin_wait_idle callback\n", stderr);
    std::abort();
  }
  std::lock_guard closing{close_mutex_};  // a second close waits for the first
  std::list<std::shared_ptr<waiter>> joining;
  {
    std::lock_guard lock{mutex_};
    closed_ = true;  // first: a wait the backend's close releases is aborted, not idle
    joining = std::move(waiters_);
  }
  if (close_backend) {
    close_backend();
  }
  for (const auto& w : joining) {
    w->thread.join();
  }
  // The loop stays until the destructor: a wait begun after close completes on it, aborted.
}

void idle_waits::reap() {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ferry::engine::detail
