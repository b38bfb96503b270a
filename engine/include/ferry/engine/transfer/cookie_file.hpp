// ferry::engine cookie files — a cookie_jar loaded from, and saved to, a Netscape cookies.txt.
#pragma once

#include <cstddef>
#include <filesystem>
#include <system_error>

#include "ferry/http/cookie_jar.hpp"

namespace ferry::engine {

class file_system;

/// Adds the cookies of a Netscape cookies.txt to `jar` (curl's -b FILE). Errors:
/// file_not_found, permission_denied, file_io_error. Returns the count added.
std::size_t load_cookie_file(http::cookie_jar& jar, const std::filesystem::path& path,
                             file_system& files, std::error_code& ec);

/// Writes `jar` to `path` atomically (a private temporary file, synced, renamed over the old
/// one, the directory synced) with mode 0600: cookies are credentials. Errors as the file
/// layer's.
void save_cookie_file(const http::cookie_jar& jar, const std::filesystem::path& path,
                      file_system& files, std::error_code& ec);

}  // namespace ferry::engine
