#include "ferry/engine/io/file_work.hpp"

#include "../or_throw.hpp"
#include "detail/loop_state.hpp"
#include "detail/operation.hpp"
#include "ferry/engine/io/io_loop.hpp"

namespace ferry::engine {
namespace {

// The owner every file-work operation names (there is one kind of it, not one per object).
constexpr char file_work_owner = 0;

}  // namespace

async_result begin_file_work(io_loop& loop, std::function<void(std::error_code&)> work,
                             async_callback callback, state_ref state) {
  auto& state_of_loop = *loop.state();
  async_result engine_ref = state_of_loop.pool().acquire(
      operation_kind::file_work, &file_work_owner, std::move(callback), state);
  async_result user_ref = engine_ref;
  state_of_loop.queue_file_work(engine_ref.release(), std::move(work));
  return user_ref;
}

void end_file_work(async_result& result, std::error_code& ec) {
  (void)detail::end_operation(operation_kind::file_work, &file_work_owner, result, ec);
}

void end_file_work(async_result& result) {
  detail::or_throw("end_file_work", [&](std::error_code& ec) { end_file_work(result, ec); });
}

}  // namespace ferry::engine
