#include "ferry/engine/transfer/body_sink.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "failing_file_system.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

TEST(MemorySink, KeepsTheBodyUpToItsCapThenSaysNoSpace) {
  memory_sink sink{8};
  std::error_code ec;
  sink.write("hello", ec);
  EXPECT_FALSE(ec);
  sink.write("!!!", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(sink.data(), "hello!!!");
  sink.write("x", ec);  // one past the cap
  EXPECT_EQ(ec, error::no_space);
  EXPECT_EQ(sink.data(), "hello!!!");  // nothing of the refused piece was kept
  sink.clear();
  sink.write("again", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(sink.data(), "again");
}

TEST(MemorySink, AcceptsAnyHeadByDefault) {
  memory_sink sink;
  std::error_code ec = error::file_io_error;
  http::response_head head;
  head.status = 404;
  sink.on_head(head, ec);
  EXPECT_FALSE(ec);
}

class FileSinkTest : public ::testing::Test {
 protected:
  test::temp_directory scratch{"file-sink"};
  fs::path path = scratch / "sink";
};

TEST_F(FileSinkTest, WritesFromItsOffsetOnwardInOrder) {
  auto f = file_system::local().open(path, open_mode::read | open_mode::write | open_mode::create);
  f->write_at(0, buffer("0123456789"));
  file_sink sink{*f, 4};
  std::error_code ec;
  sink.write("ab", ec);
  sink.write("cd", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(sink.offset(), 8U);
  f.reset();
  EXPECT_EQ(test::read_file(path), "0123abcd89");
}

TEST_F(FileSinkTest, AFailedWriteIsTheSinksErrorAndAdvancesOnlyByWhatWasStored) {
  test::failing_file_system disk{1, error::no_space};  // the open passes, the first write fails
  std::error_code open_error;
  auto f = disk.open(path, open_mode::write | open_mode::create, open_error);
  ASSERT_NE(f, nullptr) << open_error.message();
  file_sink sink{*f, 0};
  std::error_code ec;
  sink.write("lost", ec);
  EXPECT_EQ(ec, error::no_space);
  EXPECT_EQ(sink.offset(), 0U);
}

}  // namespace
}  // namespace ferry::engine
