// ferry::engine::begin_file_work — blocking file work (syncs, digests, renames) off the loop.
#pragma once

#include <functional>
#include <system_error>

#include "ferry/engine/io/async_callback.hpp"
#include "ferry/engine/io/async_result.hpp"

namespace ferry::engine {

class io_loop;

/// Runs `work` on one of `loop`'s file-work threads (see `io_loop::start`), never on a loop
/// thread: for what blocks on a disk, an fdatasync, a digest over a whole file, a rename and
/// a directory sync, so that a loop thread running many transfers never waits on one of them.
/// `work` reports its failure through its argument; an exception it throws is reported to the
/// loop's exception handler and becomes `file_io_error`.
///
/// The callback runs once, on a loop thread, after `work` returned (never inside this call).
/// Work is not cancellable once it runs; at shutdown, work not yet started completes with
/// `operation_aborted` (and does not run), and running work is waited for. Whatever `work`
/// touches must outlive the operation.
async_result begin_file_work(io_loop& loop, std::function<void(std::error_code&)> work,
                             async_callback callback, state_ref state = {});
/// The work's error (or `operation_aborted`, `invalid_result`, `already_ended`, ...).
void end_file_work(async_result& result, std::error_code& ec);
void end_file_work(async_result& result);

}  // namespace ferry::engine
