#include "detail/loop_state.hpp"

#include <cstdio>

namespace ferry::engine::detail {

loop_state::loop_state() : pool_(std::make_shared<operation_pool>(*this)) {
}

loop_state::~loop_state() {
  pool_->close();
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
