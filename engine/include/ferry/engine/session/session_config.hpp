// ferry::engine::session_config — what a background session is before it opens: its
// identifier, where its journal lives, its caps and limits, and the defaults its tasks inherit.
// And the state directory's rules: the identifier's syntax, the XDG default, each level created
// 0700, network file systems refused.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine {

/// Who runs a session's tasks: this process (`embedded`), ferryd (`daemon`), or ferryd when it
/// runs and else this process (`automatic`). Only `embedded` exists so far.
enum class session_runner { embedded, daemon, automatic };

/// How this process opens a session: as its one `runner` (it runs the tasks), or as a
/// `control`ler that queues commands for the runner and reads the journal.
enum class session_role { runner, control };

struct session_config {
  /// `[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}`: a file name, never `.`, `..` or hidden.
  std::string identifier;
  /// Empty: default_state_directory(identifier).
  std::filesystem::path state_directory;
  /// Tasks running at once.
  std::size_t max_running = 4;
  /// Connections per host (a task's segments count against it): the client's cap.
  std::size_t per_host = 6;
  /// The whole session's bandwidth, bytes per second; 0: unlimited. Tasks' own limits are
  /// children of it.
  std::uint64_t rate_limit = 0;
  /// What tasks inherit unless they say otherwise: a task whose request keeps the default
  /// retry policy gets this one, and one whose request keeps the default durability (power)
  /// gets this one (so a `process` session cannot hold a `power` task; the journal's own sync
  /// follows this too: with power a call returns once its commit is synced, groups of commits
  /// sharing one sync; with process once it is committed, unsynced).
  retry_policy retry;
  durability durable = durability::power;
  /// How often the delegate hears a running task's progress (never more often).
  std::chrono::milliseconds progress_interval{500};
  session_runner runner = session_runner::embedded;
  /// How this process opens it (not stored: each opener says).
  session_role role = session_role::runner;
};

/// True when `identifier` may name a session.
[[nodiscard]] bool is_valid_session_identifier(std::string_view identifier) noexcept;

/// How the environment is read (`std::getenv` by default; tests pass their own).
using environment_lookup = std::function<const char*(const char* name)>;

/// `$XDG_STATE_HOME/ferry/sessions/<identifier>` when XDG_STATE_HOME is set and absolute, else
/// `$HOME/.local/state/ferry/sessions/<identifier>`. Errors: `invalid_argument` (a bad
/// identifier, or neither variable usable: HOME unset or relative).
[[nodiscard]] std::filesystem::path default_state_directory(std::string_view identifier,
                                                            std::error_code& ec,
                                                            const environment_lookup& env = {});
[[nodiscard]] std::filesystem::path default_state_directory(std::string_view identifier,
                                                            const environment_lookup& env = {});

/// The session's state directory, created with each missing level 0700 (existing levels keep
/// their modes), and checked: a directory (not a symbolic link to one) on a local file system.
/// Errors: `invalid_argument` (a bad identifier), `unsupported_filesystem` (NFS, SMB/CIFS, AFS,
/// Ceph, ...), `file_exists` (a non-directory is in the way), and the operating system's.
[[nodiscard]] std::filesystem::path prepare_state_directory(const session_config& config,
                                                            std::error_code& ec,
                                                            const environment_lookup& env = {});
[[nodiscard]] std::filesystem::path prepare_state_directory(const session_config& config,
                                                            const environment_lookup& env = {});

}  // namespace ferry::engine
