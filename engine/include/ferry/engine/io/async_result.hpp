// ferry::engine::async_result — the handle to one Begin/End operation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <type_traits>
#include <typeinfo>

namespace ferry::engine {

namespace detail {
class operation;
}

/// What a Begin/End operation does; `end_X` checks that it is given an `X` result.
enum class operation_kind : std::uint8_t {
  none,
  resolve,
  connect,
  handshake,
  send,
  receive,
  shutdown,
  wait,
  file_work,  ///< blocking file work on the loop's file-work threads
  /// An operation made of others by a layer above io: an HTTP exchange, a whole download or
  /// upload through its retries.
  composed,
  request [[deprecated("composed: io does not name the layers above it")]] = composed,
  transfer [[deprecated("composed: io does not name the layers above it")]] = composed,
};

/// The caller's state object for one operation: a typed pointer that travels from `begin_X`
/// to the callback and to `end_X`. Non-owning: the object must outlive the operation.
class state_ref {
 public:
  state_ref() noexcept = default;
  template <class T>
  state_ref(T* object) noexcept  // NOLINT: implicit, so that `&state` can be passed directly
      : object_(const_cast<std::remove_const_t<T>*>(object)),
        type_(&typeid(T)),
        is_const_(std::is_const_v<T>) {}

  /// The object as a `T*`, or null when it is not a `T` (or is const and `T` is not).
  template <class T>
  [[nodiscard]] T* get() const noexcept {
    if (type_ == nullptr || *type_ != typeid(T) || (is_const_ && !std::is_const_v<T>)) {
      return nullptr;
    }
    return static_cast<T*>(object_);
  }

 private:
  void* object_ = nullptr;
  const std::type_info* type_ = nullptr;
  bool is_const_ = false;
};

/// The handle to one operation started by a `begin_X` call.
///
/// It is passed to the operation's callback and to the matching `end_X`; it can also be kept
/// and waited on from a thread outside the loop. Handles are cheap to copy (a reference count);
/// the operation's slot is recycled when `end_X` and every handle are done with it.
///
/// Thread safety: distinct handles may be used from different threads concurrently.
class async_result {
 public:
  async_result() noexcept = default;
  async_result(const async_result& other) noexcept;
  async_result(async_result&& other) noexcept;
  async_result& operator=(const async_result& other) noexcept;
  async_result& operator=(async_result&& other) noexcept;
  ~async_result();

  /// False for a default-constructed or moved-from handle.
  [[nodiscard]] bool valid() const noexcept { return op_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }

  /// True once the operation has finished (its outcome is known). True before the callback
  /// runs, so a thread waiting on the result may call `end_X` concurrently with the callback;
  /// exactly one of them gets the outcome, the other `error::already_ended`.
  [[nodiscard]] bool is_completed() const noexcept;

  /// Blocks until the operation completes. Errors: `would_deadlock` when called on a thread
  /// that is running the operation's loop (the completion could never be delivered);
  /// `invalid_result` for an empty handle. The operation's own outcome is not reported here.
  void wait(std::error_code& ec) const;
  void wait() const;

  /// Blocks until the operation completes or `timeout` passes. Returns whether it completed.
  /// Errors as for `wait`.
  [[nodiscard]] bool wait_for(std::chrono::nanoseconds timeout, std::error_code& ec) const;
  [[nodiscard]] bool wait_for(std::chrono::nanoseconds timeout) const;

  /// The operation's outcome; meaningful once `is_completed()`. `end_X` returns the same.
  [[nodiscard]] std::error_code error() const noexcept;
  /// Bytes sent or received; meaningful once `is_completed()`.
  [[nodiscard]] std::size_t bytes_transferred() const noexcept;
  [[nodiscard]] operation_kind kind() const noexcept;

  /// The caller's state object as a `T*`; null when absent or of another type.
  template <class T>
  [[nodiscard]] T* state() const noexcept {
    return state_object().template get<T>();
  }

  /// For stream implementations: the operation behind this handle.
  [[nodiscard]] detail::operation* operation() const noexcept { return op_; }
  /// Adopts an operation reference that the caller already holds (no increment).
  [[nodiscard]] static async_result adopt(detail::operation* op) noexcept;
  /// Gives up this handle's reference without dropping it; the inverse of `adopt`.
  [[nodiscard]] detail::operation* release() noexcept {
    detail::operation* op = op_;
    op_ = nullptr;
    return op;
  }

 private:
  [[nodiscard]] state_ref state_object() const noexcept;

  detail::operation* op_ = nullptr;
};

}  // namespace ferry::engine
