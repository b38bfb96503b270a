// ferry::test::temp_directory — a fresh directory per test, removed with everything in it; and
// whole-file reads and writes for assertions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ferry::test {

/// A directory of its own under the system's temporary directory (mkdtemp: unique even across
/// parallel test processes), removed recursively on destruction.
class temp_directory {
 public:
  /// `purpose` becomes part of the name, to tell leftovers apart ("ferry-<purpose>-XXXXXX").
  explicit temp_directory(std::string_view purpose = "test");
  ~temp_directory();
  temp_directory(const temp_directory&) = delete;
  temp_directory& operator=(const temp_directory&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::filesystem::path& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

/// The whole file, or "" when it cannot be opened.
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

/// Creates or replaces the file with exactly `bytes`; throws on failure.
void write_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace ferry::test
