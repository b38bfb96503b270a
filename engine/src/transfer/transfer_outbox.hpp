// transfer_outbox — how a transfer (download or upload) reaches its listener and its caller:
// state changes under the transfer's lock; then, with no lock held, the events they produced in
// order, and after them the operation's completion. Engine-internal.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

#include "composed_operation.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine {

class transfer_outbox {
 public:
  using listener = std::function<void(const transfer_event&)>;

  using milestone_hook = std::function<void(std::string_view)>;

  /// `mutex` is the transfer's lock; `on_event` and `on_milestone` may be empty.
  transfer_outbox(detail::loop_state& loop, std::recursive_mutex& mutex, listener on_event,
                  milestone_hook on_milestone = {})
      : loop_(loop),
        mutex_(mutex),
        listener_(std::move(on_event)),
        milestone_(std::move(on_milestone)) {}

  /// Every way into a transfer (a posted call, a sink call, an exchange's or a wait's end) is an
  /// entry: it holds the transfer's lock while the state changes; on leaving it releases the
  /// lock and delivers what the entry queued. An entry nested in another on the same thread
  /// leaves delivery to the outer one; one thread delivers at a time, and events queued
  /// meanwhile by another thread's entry are delivered by the thread already delivering.
  class entry {
   public:
    explicit entry(transfer_outbox& outbox) : outbox_(outbox), lock_(outbox.mutex_) {
      ++outbox_.depth_;
    }
    ~entry() {
      --outbox_.depth_;
      lock_.unlock();
      outbox_.deliver();
    }
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

   private:
    transfer_outbox& outbox_;
    std::unique_lock<std::recursive_mutex> lock_;
  };

  /// Under the lock: queued for the entry to deliver.
  void push(const transfer_event& e) {
    if (listener_) {
      queue_.push_back({e, {}});
    }
  }
  /// Under the lock: a named moment (a test hook), delivered in order with the events.
  void push_milestone(std::string_view name) {
    if (milestone_) {
      queue_.push_back({{}, std::string{name}});
    }
  }

  /// Under the lock: `op` ends with `ec` once the events queued before are delivered. Nothing
  /// when `op` is not pending.
  void complete(composed_operation& op, std::error_code ec) {
    if (op.pending()) {
      completion_ = op.take();
      completion_error_ = ec;
    }
  }

  /// Outside any entry and with no transfer lock held (an upload's progress, heard where the
  /// connection reads its body): to the listener at once.
  void deliver_now(const transfer_event& e) noexcept {
    if (!listener_) {
      return;
    }
    try {
      listener_(e);
    } catch (...) {
      loop_.report(std::current_exception());
    }
  }

 private:
  void deliver() noexcept {
    std::unique_lock lock{mutex_};
    if (delivering_ || depth_ > 0) {
      return;
    }
    delivering_ = true;
    while (!queue_.empty() || completion_.pending()) {
      if (queue_.empty()) {
        completion_.complete(completion_error_);
        continue;
      }
      const queued next = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      if (next.milestone.empty()) {
        deliver_now(next.event);
      } else {
        milestone_(next.milestone);  // a hook that may end the process (crash tests)
      }
      lock.lock();
    }
    delivering_ = false;
  }

  // An event, or a milestone when `milestone` is not empty.
  struct queued {
    transfer_event event;
    std::string milestone;
  };

  detail::loop_state& loop_;
  std::recursive_mutex& mutex_;
  listener listener_;
  milestone_hook milestone_;
  int depth_ = 0;                  // entries holding the lock (nested ones on one thread)
  bool delivering_ = false;        // a thread is in deliver()
  std::deque<queued> queue_;       // events and milestones not yet delivered
  composed_operation completion_;  // the operation, once it ended, until delivered
  std::error_code completion_error_;
};

}  // namespace ferry::engine
