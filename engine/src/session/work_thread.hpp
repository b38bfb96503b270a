// detail::work_thread — one thread that runs posted jobs in order: a session's journal thread
// and its delegate thread. A job runs with no lock of the queue held. Engine-internal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ferry::engine::detail {

class work_thread {
 public:
  /// `on_idle()` runs whenever the queue is empty, on the thread; it returns how long the
  /// thread may sleep before it runs again (a scheduler's wake-up). `after_job(more)` runs after
  /// each job, `more` saying whether others wait (a group commit ends its group when none do).
  explicit work_thread(std::function<std::chrono::milliseconds()> on_idle = {},
                       std::function<void(bool more)> after_job = {})
      : on_idle_(std::move(on_idle)),
        after_job_(std::move(after_job)),
        thread_([this] { run(); }) {}
  ~work_thread() { stop(); }
  work_thread(const work_thread&) = delete;
  work_thread& operator=(const work_thread&) = delete;

  /// Queues `job`; false (and `job` dropped) once the thread is stopping.
  bool post(std::function<void()> job) {
    {
      std::lock_guard lock{mutex_};
      if (stopping_) {
        return false;
      }
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
  }

  /// Runs what is queued, then ends the thread. Idempotent; not from the thread itself.
  void stop() {
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  [[nodiscard]] bool running_here() const noexcept {
    return std::this_thread::get_id() == thread_.get_id();
  }

 private:
  void run() {
    std::unique_lock lock{mutex_};
    for (;;) {
      if (!jobs_.empty()) {
        std::function<void()> job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        try {
          job();
        } catch (...) {
          // A job's failure is its own to report (call() hands it to its caller); it must not
          // end the thread that every other job needs.
        }
        if (after_job_) {
          lock.lock();
          const bool more = !jobs_.empty();
          lock.unlock();
          try {
            after_job_(more);
          } catch (...) {
            // As for a job.
          }
        }
        lock.lock();
        continue;
      }
      if (stopping_) {
        return;
      }
      std::chrono::milliseconds sleep{200};
      if (on_idle_) {
        lock.unlock();
        sleep = on_idle_();
        lock.lock();
        if (!jobs_.empty() || stopping_) {
          continue;
        }
      }
      wake_.wait_for(lock, sleep);
    }
  }

  std::function<std::chrono::milliseconds()> on_idle_;
  std::function<void(bool more)> after_job_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace ferry::engine::detail
