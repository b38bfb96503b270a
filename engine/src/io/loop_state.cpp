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

void loop_state::add(const std::shared_ptr<abortable>& object) {
  std::lock_guard lock{mutex_};
  std::erase_if(objects_, [](const std::weak_ptr<abortable>& o) { return o.expired(); });
  objects_.push_back(object);
}

void loop_state::abort_all() noexcept {
  shutting_down_.store(true, std::memory_order_release);
  std::vector<std::weak_ptr<abortable>> objects;
  {
    std::lock_guard lock{mutex_};
    objects.swap(objects_);
  }
  for (auto& weak : objects) {
    if (auto object = weak.lock()) {
      object->abort();
    }
  }
}

}  // namespace ferry::engine::detail
