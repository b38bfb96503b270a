#include "temp_directory.hpp"

#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace ferry::test {

temp_directory::temp_directory(std::string_view purpose) {
  std::string name = (std::filesystem::temp_directory_path() / "ferry-").string();
  name.append(purpose).append("-XXXXXX");
  std::vector<char> writable{name.begin(), name.end()};
  writable.push_back('\0');
  if (::mkdtemp(writable.data()) == nullptr) {
    throw std::system_error{errno, std::generic_category(), "mkdtemp " + name};
  }
  path_ = writable.data();
}

temp_directory::~temp_directory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary | std::ios::ate};
  if (!in) {
    return {};
  }
  std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    throw std::runtime_error{"cannot write " + path.string()};
  }
}

}  // namespace ferry::test
