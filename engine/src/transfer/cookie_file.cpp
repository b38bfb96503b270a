#include "ferry/engine/transfer/cookie_file.hpp"

#include <unistd.h>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"

namespace ferry::engine {

std::size_t load_cookie_file(http::cookie_jar& jar, const std::filesystem::path& path,
                             file_system& files, std::error_code& ec) {
  auto f = files.open(path, open_mode::read, ec);
  if (ec) {
    return 0;
  }
  const std::uint64_t size = f->size(ec);
  if (ec) {
    return 0;
  }
  if (size > (64U << 20)) {
    ec = error::file_io_error;  // no cookie file is that large
    return 0;
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  text.resize(f->read_at(0, buffer(text), ec));
  return ec ? 0 : jar.load_netscape(text);
}

void save_cookie_file(const http::cookie_jar& jar, const std::filesystem::path& path,
                      file_system& files, std::error_code& ec) {
  const std::string text = jar.to_netscape();
  std::filesystem::path temporary = path;
  temporary += ".ferry-tmp-" + std::to_string(::getpid());
  {
    auto f = files.open(
        temporary, open_mode::write | open_mode::create | open_mode::truncate | open_mode::private_,
        ec);
    if (ec) {
      return;
    }
    (void)f->write_at(0, buffer(text), ec);
    if (!ec) {
      f->sync_data(ec);
    }
  }
  if (!ec) {
    files.atomic_replace(temporary, path, ec);
  }
  if (ec) {
    std::error_code ignored;
    files.remove(temporary, ignored);
    return;
  }
  const auto directory = path.parent_path();
  files.sync_directory(directory.empty() ? "." : directory, ec);
}

}  // namespace ferry::engine
