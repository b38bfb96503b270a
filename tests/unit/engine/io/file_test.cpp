#include "ferry/engine/io/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ferry/engine/error.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

class FileTest : public ::testing::Test {
 protected:
  test::temp_directory scratch{"file-test"};
  const fs::path& dir = scratch.path();
  file_system& files = file_system::local();
};

TEST_F(FileTest, WritesAndReadsAtOffsets) {
  auto f = files.open(dir / "data", open_mode::read | open_mode::write | open_mode::create);
  EXPECT_EQ(f->write_at(5, buffer("world")), 5U);
  EXPECT_EQ(f->write_at(0, buffer("hello")), 5U);
  EXPECT_EQ(f->size(), 10U);
  char back[10];
  EXPECT_EQ(f->read_at(0, buffer(back, sizeof back)), 10U);
  EXPECT_EQ(std::string(back, 10), "helloworld");
  EXPECT_EQ(f->read_at(8, buffer(back, sizeof back)), 2U);  // short at the end
  f->sync_data();
  f->sync();
}

TEST_F(FileTest, StatusSaysWhatIsAtAPath) {
  std::ofstream{dir / "data", std::ios::binary} << "twelve bytes";
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::error_code ec;
  const file_status regular = files.status(dir / "data", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(regular.kind, file_kind::regular);
  EXPECT_EQ(regular.size, 12U);
  EXPECT_EQ(files.status(dir, ec).kind, file_kind::directory);
  EXPECT_EQ(files.status("/dev/null", ec).kind, file_kind::stream);
  EXPECT_EQ(files.status(dir / "fifo", ec).kind, file_kind::stream);
  // Nothing there is no error, even below a file.
  EXPECT_EQ(files.status(dir / "missing", ec).kind, file_kind::none);
  EXPECT_FALSE(ec);
  EXPECT_EQ(files.status(dir / "data" / "below", ec).kind, file_kind::none);
  EXPECT_FALSE(ec);
}

TEST_F(FileTest, ResizeAndAllocate) {
  auto f = files.open(dir / "data", open_mode::write | open_mode::create);
  f->allocate(0, 1 << 20);
  EXPECT_EQ(f->size(), 1U << 20);
  f->resize(10);
  EXPECT_EQ(f->size(), 10U);
}

TEST_F(FileTest, MissingFileAndExclusiveCreateAreClearErrors) {
  std::error_code ec;
  EXPECT_EQ(files.open(dir / "missing", open_mode::read, ec), nullptr);
  EXPECT_EQ(ec, error::file_not_found);
  EXPECT_EQ(ec, condition::local_io);
  auto first =
      files.open(dir / "once", open_mode::write | open_mode::create | open_mode::exclusive);
  EXPECT_EQ(
      files.open(dir / "once", open_mode::write | open_mode::create | open_mode::exclusive, ec),
      nullptr);
  EXPECT_EQ(ec, error::file_exists);
  EXPECT_THROW((void)files.open(dir / "missing", open_mode::read), std::system_error);
}

TEST_F(FileTest, ExclusiveLockRefusesASecondHolder) {
  auto first = files.open(dir / "locked", open_mode::write | open_mode::create);
  auto second = files.open(dir / "locked", open_mode::write);
  first->lock_exclusive();
  std::error_code ec;
  second->lock_exclusive(ec);
  EXPECT_EQ(ec, error::file_locked);
  first->unlock();
  second->lock_exclusive(ec);
  EXPECT_FALSE(ec);
}

TEST_F(FileTest, LockIsReleasedWhenTheHolderCloses) {
  auto first = files.open(dir / "locked", open_mode::write | open_mode::create);
  first->lock_exclusive();
  first.reset();
  auto second = files.open(dir / "locked", open_mode::write);
  std::error_code ec;
  second->lock_exclusive(ec);
  EXPECT_FALSE(ec);
}

TEST_F(FileTest, AtomicReplaceSwapsContentsAndSyncsTheDirectory) {
  files.open(dir / "target", open_mode::write | open_mode::create)->write_at(0, buffer("old"));
  files.open(dir / "target.part", open_mode::write | open_mode::create)->write_at(0, buffer("new"));
  files.atomic_replace(dir / "target.part", dir / "target");
  files.sync_directory(dir);
  EXPECT_EQ(test::read_file(dir / "target"), "new");
  EXPECT_FALSE(fs::exists(dir / "target.part"));
  std::error_code ec;
  files.atomic_replace(dir / "gone", dir / "target", ec);
  EXPECT_EQ(ec, error::file_not_found);
  EXPECT_EQ(test::read_file(dir / "target"), "new");  // a failed replace changes nothing
}

TEST_F(FileTest, RemoveIgnoresMissingFiles) {
  (void)files.open(dir / "x", open_mode::write | open_mode::create);
  files.remove(dir / "x");
  EXPECT_FALSE(fs::exists(dir / "x"));
  files.remove(dir / "x");
}

TEST_F(FileTest, PrivateFilesAreCreatedOwnerOnly) {
  (void)files.open(dir / "secret", open_mode::write | open_mode::create | open_mode::private_);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(FileTest, FullDiskIsNoSpace) {
  std::error_code ec;
  auto full = files.open("/dev/full", open_mode::write, ec);
  ASSERT_TRUE(full) << "/dev/full is needed for this test: " << ec.message();
  EXPECT_EQ(full->write_at(0, buffer("data"), ec), 0U);
  EXPECT_EQ(ec, error::no_space);
  EXPECT_EQ(ec, condition::local_io);
}

}  // namespace
}  // namespace ferry::engine
