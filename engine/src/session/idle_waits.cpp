#include "idle_waits.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "../transfer/composed_operation.hpp"
#include "ferry/engine/error.hpp"
#include "session_backend.hpp"

namespace ferry::engine::detail {

idle_waits::~idle_waits() {
  close({});
}

async_result idle_waits::begin(std::shared_ptr<session_backend> backend,
                               std::chrono::milliseconds limit, async_callback&& callback,
                               state_ref state) {
  std::lock_guard lock{mutex_};
  if (!loop_) {
    loop_ = std::make_unique<io_loop>();
    loop_->start(1, 1);
  }
  reap();
  auto op = std::make_shared<composed_operation>();
  async_result handle = op->begin(*loop_->state(), this, std::move(callback), state);
  if (closed_) {
    op->complete(error::operation_aborted);
    return handle;
  }
  auto w = std::make_shared<waiter>();
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
  waiters_.push_back(std::move(w));
  return handle;
}

void idle_waits::end(async_result& result, std::error_code& ec) {
  (void)composed_operation::end(this, result, ec);
}

void idle_waits::close(const std::function<void()>& close_backend) {
  if (loop_running_here()) {
    // The wait's own thread would join itself: a misuse no error code can report.
    std::fputs("ferry: a session was closed from its begin_wait_idle callback\n", stderr);
    std::abort();
  }
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
    if (w->thread.joinable()) {
      w->thread.join();
    }
  }
  std::unique_ptr<io_loop> loop;
  {
    std::lock_guard lock{mutex_};
    loop = std::move(loop_);
  }
  if (loop) {
    loop->shutdown();  // after the completions above ran (shutdown runs what is posted)
  }
}

bool idle_waits::loop_running_here() {
  std::lock_guard lock{mutex_};
  return loop_ && loop_->running_in_this_thread();
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
