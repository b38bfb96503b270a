// ferry::engine::stream — a reliable, ordered byte stream with Begin/End operations.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <system_error>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"
#include "ferry/engine/io/buffer.hpp"
#include "ferry/engine/io/endpoint.hpp"
#include "ferry/engine/io/timeout.hpp"

namespace ferry::engine {

class io_loop;

namespace detail {
class loop_state;
}

/// What a TCP socket, a TLS socket, a TLS session over another stream and a test double all
/// are. Everything above the socket layer (connections, transfers) speaks to a `stream`.
///
/// Every `begin_X` returns at once; the callback runs exactly once, later, on a loop thread,
/// with an `async_result` to pass to the matching `end_X`. At most one send and one receive may
/// be pending at a time; another `begin_send` while one is pending completes with
/// `error::operation_in_progress`. The callback may start new operations or close the stream.
class stream {
 public:
  virtual ~stream();
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  /// Sends every byte of `buffers` (a gather write of at most 16 buffers). The buffer
  /// descriptors are copied; the bytes they point to must stay valid until the callback runs.
  /// `end_send` returns the bytes sent: all of them, or fewer with an error.
  virtual async_result begin_send(std::span<const const_buffer> buffers, async_callback callback,
                                  state_ref state = {}, timeout limit = no_timeout) = 0;
  async_result begin_send(const_buffer buffer, async_callback callback, state_ref state = {},
                          timeout limit = no_timeout);
  std::size_t end_send(async_result& result, std::error_code& ec);
  std::size_t end_send(async_result& result);

  /// Receives some bytes (at least one) into `buffer`, which must stay valid until the callback
  /// runs. `end_receive` returns the count; 0 means the peer closed the stream cleanly.
  virtual async_result begin_receive(mutable_buffer buffer, async_callback callback,
                                     state_ref state = {}, timeout limit = no_timeout) = 0;
  std::size_t end_receive(async_result& result, std::error_code& ec);
  std::size_t end_receive(async_result& result);

  /// Ends the sending direction gracefully (TCP FIN; TLS close_notify).
  virtual async_result begin_shutdown(async_callback callback, state_ref state = {},
                                      timeout limit = no_timeout) = 0;
  void end_shutdown(async_result& result, std::error_code& ec);
  void end_shutdown(async_result& result);

  /// Cancels pending operations (they complete with `operation_aborted`); the stream stays open.
  virtual void cancel() noexcept = 0;
  /// Closes the stream; pending operations complete with `operation_aborted`.
  virtual void close() noexcept = 0;
  [[nodiscard]] virtual bool is_open() const noexcept = 0;

  [[nodiscard]] const std::shared_ptr<detail::loop_state>& loop_state() const noexcept {
    return loop_;
  }

 protected:
  explicit stream(io_loop& loop);
  explicit stream(std::shared_ptr<detail::loop_state> loop) noexcept;

  /// What `end_X` compares against the operation's owner; implementations whose operations
  /// are run by a separate object (a pimpl) return that object.
  [[nodiscard]] virtual const void* operation_owner() const noexcept { return this; }

  /// For implementations: a new operation of `kind` owned by `operation_owner()`, holding the
  /// callback and state. The returned handle is the implementation's reference; return a copy
  /// to the caller and finish the operation with `post_completion`.
  [[nodiscard]] async_result start_operation(operation_kind kind, async_callback&& callback,
                                             state_ref state);
  /// Completes an operation later on a loop thread (never inline), consuming the handle.
  void post_completion(async_result&& operation, std::error_code ec, std::size_t bytes) noexcept;

  /// Checks `result` for `end_X` of `kind`, waits for it if needed, and claims its outcome.
  std::size_t end_operation(operation_kind kind, async_result& result, std::error_code& ec);
  /// `end_operation` for a connect: the endpoint connected to.
  endpoint end_connect_operation(async_result& result, std::error_code& ec);

 private:
  std::shared_ptr<detail::loop_state> loop_;
};

}  // namespace ferry::engine
