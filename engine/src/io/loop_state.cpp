#include "detail/loop_state.hpp"

#include <algorithm>
#include <cstdio>

#include "ferry/engine/error.hpp"

namespace ferry::engine::detail {

loop_state::loop_state() : pool_(std::make_shared<operation_pool>(*this)) {
}

loop_state::~loop_state() {
  pool_->close();  // the derived loop stopped the file work (it needs the derived post)
}

void loop_state::set_file_threads(unsigned count) noexcept {
  std::lock_guard lock{file_mutex_};
  file_thread_count_ = std::max(count, 1U);
}

void loop_state::queue_file_work(operation* op,
                                 std::function<void(std::error_code&)> work) noexcept {
  {
    std::unique_lock lock{file_mutex_};
    if (!file_work_stopped_ && !shutting_down()) {
      try {
        while (file_threads_.size() < file_thread_count_) {
          file_threads_.emplace_back([this] { run_file_work(); });
        }
        file_jobs_.push_back({op, std::move(work)});
        work_started();
        lock.unlock();
        file_wake_.notify_one();
        return;
      } catch (...) {
        // no thread could be started: the work cannot run
      }
    }
  }
  post(op, error::operation_aborted, 0);
}

void loop_state::run_file_work() noexcept {
  for (;;) {
    file_job job;
    {
      std::unique_lock lock{file_mutex_};
      file_wake_.wait(lock, [&] { return file_work_stopped_ || !file_jobs_.empty(); });
      if (file_jobs_.empty()) {
        return;
      }
      job = std::move(file_jobs_.front());
      file_jobs_.pop_front();
    }
    std::error_code ec;
    try {
      job.work(ec);
    } catch (...) {
      report(std::current_exception());
      ec = error::file_io_error;
    }
    job.work = nullptr;  // what it captured goes here, off the loop
    post(job.op, ec, 0);
    work_finished();
  }
}

void loop_state::stop_file_work() noexcept {
  std::deque<file_job> abandoned;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{file_mutex_};
    file_work_stopped_ = true;
    abandoned.swap(file_jobs_);
    threads.swap(file_threads_);
  }
  file_wake_.notify_all();
  for (file_job& job : abandoned) {
    post(job.op, error::operation_aborted, 0);
    work_finished();
  }
  for (std::thread& t : threads) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // the last reference went on a file-work thread: it ends by itself
    } else {
      t.join();
    }
  }
}

void loop_state::invoke(async_callback& callback, async_result& result) noexcept {
  if (!callback) {
    return;
  }
  try {
    callback(result);
  } catch (...) {
    report(std::current_exception());
  }
}

void loop_state::report(std::exception_ptr error) noexcept {
  exceptions_.fetch_add(1, std::memory_order_relaxed);
  std::function<void(std::exception_ptr)> handler;
  {
    std::lock_guard lock{mutex_};
    handler = exception_handler_;
  }
  try {
    if (handler) {
      handler(error);
      return;
    }
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry: a callback threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "ferry: a callback threw a non-standard exception\n");
  }
}

void loop_state::set_exception_handler(std::function<void(std::exception_ptr)> handler) {
  std::lock_guard lock{mutex_};
  exception_handler_ = std::move(handler);
}

abortable::~abortable() {
  if (registry_) {
    registry_->remove(this);
  }
}

void loop_state::add(const std::shared_ptr<loop_state>& loop,
                     const std::shared_ptr<abortable>& object) {
  std::lock_guard lock{loop->mutex_};
  object->registry_ = loop;
  loop->objects_.push_back({object.get(), object});
}

void loop_state::remove(const abortable* object) noexcept {
  std::lock_guard lock{mutex_};
  // From the back: the objects that die first are most often the newest.
  for (auto at = objects_.rbegin(); at != objects_.rend(); ++at) {
    if (at->raw == object) {
      *at = std::move(objects_.back());
      objects_.pop_back();
      return;
    }
  }
}

void loop_state::abort_all() noexcept {
  shutting_down_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<abortable>> alive;
  {
    std::lock_guard lock{mutex_};
    alive.reserve(objects_.size());
    for (const registered& r : objects_) {
      if (auto object = r.owner.lock()) {
        alive.push_back(std::move(object));
      }
    }
  }
  // Aborted outside the lock; an object released here leaves the registry on its own.
  for (auto& object : alive) {
    object->abort();
  }
}

}  // namespace ferry::engine::detail
