// detail::idle_waits — the Begin/End side of a session's wait for idleness (begin_wait_idle):
// each wait blocks a thread of its own in the backend's wait_idle (the runner's condition
// variable, or the controller's reads of the journal), and its completion is posted to a loop
// of the session's own, so a callback never runs in its caller's frame, on the journal thread
// or on the delegate thread. Engine-internal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/io_loop.hpp"

namespace ferry::engine::detail {

class session_backend;

class idle_waits {
 public:
  idle_waits();
  ~idle_waits();
  idle_waits(const idle_waits&) = delete;
  idle_waits& operator=(const idle_waits&) = delete;

  /// Waits for `backend` to be idle, or `limit` (timed_out), or close (operation_aborted).
  [[nodiscard]] async_result begin(std::shared_ptr<session_backend> backend,
                                   std::chrono::milliseconds limit, async_callback&& callback,
                                   state_ref state);
  /// would_deadlock on `backend`'s delegate thread while the wait is pending (idle waits for the
  /// delegate's calls, that one included); else end_X's checks and the wait's outcome.
  void end(const session_backend& backend, async_result& result, std::error_code& ec);
  /// Closes the backend with `close_backend` (its waits return then), ends every wait with
  /// operation_aborted and joins its thread; later waits complete at once with
  /// operation_aborted. A second close waits for the first. Not from a wait's callback (it
  /// aborts the process with a message).
  void close(const std::function<void()>& close_backend);

 private:
  struct waiter {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  // Joins the threads of waits that have ended. Under mutex_.
  void reap();

  std::mutex close_mutex_;
  std::mutex mutex_;
  std::unique_ptr<io_loop> loop_;  // completions run on it; started at the first wait, kept
                                   // until the destructor
  std::atomic<bool> started_{false};
  std::list<std::shared_ptr<waiter>> waiters_;
  bool closed_ = false;
};

}  // namespace ferry::engine::detail
