// ferry::engine::async_callback — the move-only callable that an operation invokes once.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace ferry::engine {

class async_result;

/// The callback of a Begin/End operation: `void(async_result& result)`. It is invoked exactly
/// once, on a loop thread, never inside the `begin_X` that started the operation.
///
/// Callables of up to `inline_size` bytes (a lambda capturing up to six pointers) are stored
/// inside the operation without touching the heap; larger ones are heap-allocated once.
class async_callback {
 public:
  static constexpr std::size_t inline_size = 48;

  async_callback() noexcept = default;

  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, async_callback> &&
           std::is_invocable_v<std::decay_t<F>&, async_result&>)
      async_callback(F&& f) {  // NOLINT: implicit, so that a lambda can be passed directly
    using stored = std::decay_t<F>;
    if constexpr (sizeof(stored) <= inline_size && alignof(stored) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<stored>) {
      ::new (static_cast<void*>(storage_)) stored(std::forward<F>(f));
      ops_ = &inline_ops<stored>;
    } else {
      *reinterpret_cast<stored**>(storage_) = new stored(std::forward<F>(f));
      ops_ = &heap_ops<stored>;
    }
  }

  async_callback(async_callback&& other) noexcept { take(other); }
  async_callback& operator=(async_callback&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  async_callback(const async_callback&) = delete;
  async_callback& operator=(const async_callback&) = delete;
  ~async_callback() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Invokes the callable. Precondition: not empty.
  void operator()(async_result& result) { ops_->invoke(storage_, result); }

  /// Destroys the callable (and whatever it captured).
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct operations {
    void (*invoke)(void* storage, async_result& result);
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void* storage) noexcept;
  };

  template <class T>
  static constexpr operations inline_ops{[](void* s, async_result& r) { (*static_cast<T*>(s))(r); },
                                         [](void* from, void* to) noexcept {
                                           ::new (to) T(std::move(*static_cast<T*>(from)));
                                           static_cast<T*>(from)->~T();
                                         },
                                         [](void* s) noexcept { static_cast<T*>(s)->~T(); }};

  template <class T>
  static constexpr operations heap_ops{
      [](void* s, async_result& r) { (**static_cast<T**>(s))(r); },
      [](void* from, void* to) noexcept { *static_cast<T**>(to) = *static_cast<T**>(from); },
      [](void* s) noexcept { delete *static_cast<T**>(s); }};

  void take(async_callback& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->move(other.storage_, storage_);
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

  alignas(std::max_align_t) std::byte storage_[inline_size];
  const operations* ops_ = nullptr;
};

}  // namespace ferry::engine
