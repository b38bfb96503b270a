// detail::file_error — the engine's code for a file system call's errno (ENOENT is
// file_not_found, ENOSPC no_space, ...; others stay system codes). Engine-internal.
#pragma once

#include <system_error>

namespace ferry::engine::detail {

[[nodiscard]] std::error_code file_error(int value) noexcept;

}  // namespace ferry::engine::detail
