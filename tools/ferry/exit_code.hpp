// ferry CLI — the process's exit code for a transfer's outcome.
#pragma once

#include <system_error>

namespace ferry::cli {

/// The documented exit codes (README, "The command-line tool"), from the error's conditions:
///   0 complete and verified          5 HTTP error status
///   2 usage                          6 protocol error (or a resource that kept changing)
///   3 network failure after retries  7 verification (checksum or length)
///   4 TLS                            8 local I/O
///   9 output exists or is locked     130 / 143 interrupted by SIGINT / SIGTERM
[[nodiscard]] int exit_code_for(std::error_code ec);

}  // namespace ferry::cli
