#include "ferry/engine/io/io_loop.hpp"

#include "detail/asio_loop.hpp"

namespace ferry::engine {

io_loop::io_loop() : state_(std::make_shared<detail::asio_loop>()) {
}

io_loop::io_loop(boost::asio::io_context& context)
    : state_(std::make_shared<detail::asio_loop>(context)) {
}

io_loop::~io_loop() {
  shutdown();
}

void io_loop::start(unsigned threads, unsigned file_threads) {
  auto& loop = detail::asio_of(*state_);
  loop.set_file_threads(file_threads);
  std::lock_guard lock{loop.lifecycle_};
  if (!loop.owns_context() || !loop.threads_.empty() || loop.shutting_down()) {
    return;
  }
  loop.work_.emplace(loop.context().get_executor());
  for (unsigned i = 0; i < std::max(threads, 1U); ++i) {
    loop.threads_.emplace_back([&context = loop.context()] { context.run(); });
  }
}

std::size_t io_loop::run() {
  auto& context = detail::asio_of(*state_).context();
  context.restart();
  return context.run();
}

std::size_t io_loop::poll() {
  auto& context = detail::asio_of(*state_).context();
  context.restart();
  return context.poll();
}

void io_loop::stop() {
  detail::asio_of(*state_).context().stop();
}

void io_loop::shutdown() {
  auto& loop = detail::asio_of(*state_);
  loop.abort_all();
  if (!loop.running_in_this_thread()) {
    loop.stop_file_work();  // queued file work is aborted, running work finishes first
  }
  if (!loop.owns_context() || loop.running_in_this_thread()) {
    return;
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard lock{loop.lifecycle_};
    loop.work_.reset();
    threads.swap(loop.threads_);
  }
  for (auto& thread : threads) {
    thread.join();
  }
  // Deliver what the workers did not (or what was pending without workers): the aborted
  // operations' callbacks run here, on this thread, which runs the loop meanwhile.
  loop.context().restart();
  loop.context().run();
}

void io_loop::post(std::function<void()> fn) {
  boost::asio::post(detail::asio_of(*state_).context(),
                    [state = state_, fn = std::move(fn)]() noexcept {
                      try {
                        fn();
                      } catch (...) {
                        state->report(std::current_exception());
                      }
                    });
}

bool io_loop::running_in_this_thread() const noexcept {
  return state_->running_in_this_thread();
}

void io_loop::set_exception_handler(std::function<void(std::exception_ptr)> handler) {
  state_->set_exception_handler(std::move(handler));
}

std::size_t io_loop::exceptions_caught() const noexcept {
  return state_->exceptions_caught();
}

boost::asio::io_context& io_loop::context() noexcept {
  return detail::asio_of(*state_).context();
}

}  // namespace ferry::engine
