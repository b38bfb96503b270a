// ferry::engine::io_loop — the event loop that runs every operation and callback.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;  // Only named here; ferry's public headers do not include Asio.
}

namespace ferry::engine {

namespace detail {
class loop_state;
}

/// Owns (or borrows) an Asio `io_context` and the threads that run it.
///
/// All callbacks of operations on streams of this loop run on threads that are running it.
/// Destroying the loop shuts it down: every pending operation completes with
/// `error::operation_aborted`, its callback runs, and the worker threads are joined.
class io_loop {
 public:
  /// A loop with its own `io_context` and no threads yet: call `start` or `run`.
  io_loop();
  /// A loop on the caller's `io_context`, which the caller runs. The context must outlive
  /// every stream of this loop; `shutdown` aborts operations but runs nothing.
  explicit io_loop(boost::asio::io_context& context);
  ~io_loop();
  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;

  /// Starts `threads` worker threads that run the loop until `shutdown` (or destruction).
  /// Does nothing on a loop that already has threads, or that borrows a caller's context.
  /// `file_threads` is how many threads run blocking file work (`begin_file_work`: syncs,
  /// digests, renames) apart from the loop threads; they start at the first such work.
  void start(unsigned threads = 1, unsigned file_threads = 1);

  /// Runs the loop on the calling thread until it has no more work or `stop` is called.
  /// Returns the number of handlers run. May be called again after it returns.
  std::size_t run();
  /// Runs ready handlers on the calling thread without blocking. Returns how many ran.
  std::size_t poll();

  /// Makes `run` return as soon as possible; pending operations stay pending.
  void stop();

  /// Aborts every pending operation (their callbacks run with `operation_aborted`; file work
  /// that has not started is dropped, running file work is waited for), waits for the worker
  /// threads to finish, and makes every later `begin_X` complete with
  /// `operation_aborted`. Safe to call more than once; must not be called on a loop thread
  /// of a loop with worker threads.
  void shutdown();

  /// Runs `fn` on a loop thread later, never inline.
  void post(std::function<void()> fn);

  /// True when the calling thread is running this loop.
  [[nodiscard]] bool running_in_this_thread() const noexcept;

  /// Receives every exception thrown by a callback (after it was caught at the loop's edge).
  /// The default writes the exception's message to stderr.
  void set_exception_handler(std::function<void(std::exception_ptr)> handler);
  /// How many exceptions callbacks have thrown (and the loop caught) so far.
  [[nodiscard]] std::size_t exceptions_caught() const noexcept;

  /// The `io_context` underneath, for code that also uses Asio directly.
  [[nodiscard]] boost::asio::io_context& context() noexcept;

  /// For stream implementations.
  [[nodiscard]] const std::shared_ptr<detail::loop_state>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<detail::loop_state> state_;
};

}  // namespace ferry::engine
