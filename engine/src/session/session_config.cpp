#include "ferry/engine/session/session_config.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <array>
#include <cerrno>
#include <cstdlib>

#include "../io/file_errors.hpp"
#include "../or_throw.hpp"
#include "ferry/engine/error.hpp"

namespace ferry::engine {
namespace {

bool is_identifier_char(char c, bool first) noexcept {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || c == '_' || c == '-' || (!first && c == '.');
}

const char* lookup(const environment_lookup& env, const char* name) {
  return env ? env(name) : std::getenv(name);
}

// File systems whose locks, renames and syncs a journal cannot count on (statfs f_type).
constexpr std::array<long, 9> network_filesystems{
    0x6969,      // NFS
    0x517B,      // SMB
    0xFF534D42,  // CIFS
    0xFE534D42,  // SMB2
    0x5346414F,  // AFS (kAFS)
    0x6B414653,  // AFS (OpenAFS)
    0x00C36400,  // Ceph
    0x73757245,  // Coda
    0x564C,      // NCP
};

// Creates `dir` if missing (0700) and checks that it is a real directory.
void make_level(const std::filesystem::path& dir, std::error_code& ec) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    return;
  }
  if (errno != EEXIST) {
    ec = detail::file_error(errno);
    return;
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    ec = detail::file_error(errno);
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    ec = error::file_exists;  // a file, or a symbolic link, where the directory should be
  }
}

}  // namespace

bool is_valid_session_identifier(std::string_view identifier) noexcept {
  if (identifier.empty() || identifier.size() > 128) {
    return false;
  }
  for (std::size_t i = 0; i < identifier.size(); ++i) {
    if (!is_identifier_char(identifier[i], i == 0)) {
      return false;
    }
  }
  return true;
}

std::filesystem::path default_state_directory(std::string_view identifier, std::error_code& ec,
                                              const environment_lookup& env) {
  ec = {};
  if (!is_valid_session_identifier(identifier)) {
    ec = error::invalid_argument;
    return {};
  }
  std::filesystem::path base;
  const char* xdg = lookup(env, "XDG_STATE_HOME");
  if (xdg != nullptr && std::filesystem::path{xdg}.is_absolute()) {
    base = xdg;
  } else {
    const char* home = lookup(env, "HOME");
    if (home == nullptr || !std::filesystem::path{home}.is_absolute()) {
      ec = error::invalid_argument;  // nowhere to put it: the caller must name a directory
      return {};
    }
    base = std::filesystem::path{home} / ".local" / "state";
  }
  return base / "ferry" / "sessions" / std::string{identifier};
}

std::filesystem::path default_state_directory(std::string_view identifier,
                                              const environment_lookup& env) {
  return detail::or_throw("default_state_directory", [&](std::error_code& ec) {
    return default_state_directory(identifier, ec, env);
  });
}

std::filesystem::path prepare_state_directory(const session_config& config, std::error_code& ec,
                                              const environment_lookup& env) {
  ec = {};
  if (!is_valid_session_identifier(config.identifier)) {
    ec = error::invalid_argument;
    return {};
  }
  std::filesystem::path dir = config.state_directory.empty()
                                  ? default_state_directory(config.identifier, ec, env)
                                  : std::filesystem::absolute(config.state_directory, ec);
  if (ec) {
    return {};
  }
  dir = dir.lexically_normal();
  if (!dir.has_filename()) {
    dir = dir.parent_path();  // a trailing slash
  }
  // Each missing level from the root down, 0700; existing ones are left as they are.
  std::filesystem::path level;
  for (const auto& part : dir) {
    level /= part;
    if (level == dir.root_path()) {
      continue;
    }
    make_level(level, ec);
    if (ec) {
      return {};
    }
  }
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) {
    ec = detail::file_error(errno);
    return {};
  }
  for (const long magic : network_filesystems) {
    if (static_cast<long>(fs.f_type) == magic) {
      ec = error::unsupported_filesystem;
      return {};
    }
  }
  return dir;
}

std::filesystem::path prepare_state_directory(const session_config& config,
                                              const environment_lookup& env) {
  return detail::or_throw("prepare_state_directory", [&](std::error_code& ec) {
    return prepare_state_directory(config, ec, env);
  });
}

}  // namespace ferry::engine
