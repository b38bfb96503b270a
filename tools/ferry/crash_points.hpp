// ferry CLI — test-only crash points. The `ferry` binary has none; the test build's
// `ferry_crashable` kills itself (SIGKILL) where FERRY_CRASH_AT says:
//   FERRY_CRASH_AT=checkpoint:N     at the Nth checkpoint of the run (from 1)
//   FERRY_CRASH_AT=before_rename    after verification, before the final rename
//   FERRY_CRASH_AT=after_rename     after the rename, before the record is removed
#pragma once

#include <functional>
#include <string_view>

namespace ferry::cli {

/// The hook for download_options::on_milestone; empty in the shipped binary.
[[nodiscard]] std::function<void(std::string_view)> crash_hook();

}  // namespace ferry::cli
