#include "ferry/engine/transfer/body_source.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

// Reads `source` to its end in pieces of `piece` bytes.
std::string drain(body_source& source, std::size_t piece, std::error_code& ec) {
  std::string out;
  std::string chunk(piece, '\0');
  for (int i = 0; i < 100'000; ++i) {
    const std::size_t n = source.read(buffer(chunk), ec);
    if (ec || n == 0) {
      break;
    }
    out.append(chunk.data(), n);
  }
  return out;
}

TEST(MemorySource, GivesItsBodyInPiecesThenZero) {
  memory_source source{"a body in memory"};
  EXPECT_EQ(source.size(), 16U);
  std::error_code ec;
  EXPECT_EQ(drain(source, 5, ec), "a body in memory");
  EXPECT_FALSE(ec);
  std::string more(4, '\0');
  EXPECT_EQ(source.read(buffer(more), ec), 0U);  // and stays at its end
}

TEST(GeneratorSource, HasNoKnownSizeAndEndsWhenTheFunctionSaysZero) {
  int calls = 0;
  generator_source source{[&](mutable_buffer into, std::error_code& ec) -> std::size_t {
    ec = {};
    if (calls++ == 3) {
      return 0;
    }
    static_cast<char*>(into.data)[0] = 'x';
    return 1;
  }};
  EXPECT_FALSE(source.size());
  std::error_code ec;
  EXPECT_EQ(drain(source, 8, ec), "xxx");
}

class FileSourceTest : public ::testing::Test {
 protected:
  FileSourceTest() { test::write_file(path, "0123456789"); }
  test::temp_directory scratch{"file-source"};
  fs::path path = scratch / "source";
};

TEST_F(FileSourceTest, GivesExactlyItsRangeOfTheFile) {
  auto f = file_system::local().open(path, open_mode::read);
  file_source source{*f, 3, 5};
  EXPECT_EQ(source.size(), 5U);
  std::error_code ec;
  EXPECT_EQ(drain(source, 2, ec), "34567");
  EXPECT_FALSE(ec);
}

TEST_F(FileSourceTest, AFileShorterThanPromisedIsAnErrorNeverAShortBody) {
  auto f = file_system::local().open(path, open_mode::read);
  file_source source{*f, 6, 10};  // only 4 bytes are there
  std::error_code ec;
  const std::string got = drain(source, 3, ec);
  EXPECT_EQ(ec, error::file_io_error);
  EXPECT_EQ(got, "6789");
}

}  // namespace
}  // namespace ferry::engine
