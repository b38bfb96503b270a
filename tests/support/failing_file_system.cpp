#include "failing_file_system.hpp"

namespace ferry::test {

using namespace ferry::engine;

namespace {

class failing_file final : public file {
 public:
  failing_file(std::unique_ptr<file> inner, failing_file_system& owner)
      : inner_(std::move(inner)), owner_(&owner) {}

  using file::write_at;
  std::size_t write_at(std::uint64_t offset, const_buffer bytes, std::error_code& ec) override {
    if (owner_->fail_now(ec)) {
      return 0;
    }
    return inner_->write_at(offset, bytes, ec);
  }
  using file::read_at;
  std::size_t read_at(std::uint64_t offset, mutable_buffer into, std::error_code& ec) override {
    if (owner_->fail_now(ec)) {
      return 0;
    }
    return inner_->read_at(offset, into, ec);
  }
  using file::sync_data;
  void sync_data(std::error_code& ec) override {
    if (!owner_->fail_now(ec)) {
      inner_->sync_data(ec);
    }
  }
  using file::sync;
  void sync(std::error_code& ec) override {
    if (!owner_->fail_now(ec)) {
      inner_->sync(ec);
    }
  }
  using file::size;
  std::uint64_t size(std::error_code& ec) const override {
    if (owner_->fail_now(ec)) {
      return 0;
    }
    return inner_->size(ec);
  }
  using file::resize;
  void resize(std::uint64_t length, std::error_code& ec) override {
    if (!owner_->fail_now(ec)) {
      inner_->resize(length, ec);
    }
  }
  using file::allocate;
  void allocate(std::uint64_t offset, std::uint64_t length, std::error_code& ec) override {
    if (!owner_->fail_now(ec)) {
      inner_->allocate(offset, length, ec);
    }
  }
  using file::lock_exclusive;
  void lock_exclusive(std::error_code& ec) override {
    if (!owner_->fail_now(ec)) {
      inner_->lock_exclusive(ec);
    }
  }
  using file::unlock;
  void unlock(std::error_code& ec) override { inner_->unlock(ec); }

 private:
  std::unique_ptr<file> inner_;
  failing_file_system* owner_;
};

}  // namespace

bool failing_file_system::fail_now(std::error_code& ec) {
  if (count_++ != fail_at_) {
    return false;
  }
  ec = failure_;
  return true;
}

std::unique_ptr<file> failing_file_system::open(const std::filesystem::path& path, open_mode mode,
                                                std::error_code& ec) {
  if (fail_now(ec)) {
    return nullptr;
  }
  auto inner = file_system::local().open(path, mode, ec);
  if (ec) {
    return nullptr;
  }
  return std::make_unique<failing_file>(std::move(inner), *this);
}

void failing_file_system::atomic_replace(const std::filesystem::path& from,
                                         const std::filesystem::path& to, std::error_code& ec) {
  if (!fail_now(ec)) {
    file_system::local().atomic_replace(from, to, ec);
  }
}

void failing_file_system::sync_directory(const std::filesystem::path& directory,
                                         std::error_code& ec) {
  if (!fail_now(ec)) {
    file_system::local().sync_directory(directory, ec);
  }
}

void failing_file_system::remove(const std::filesystem::path& path, std::error_code& ec) {
  if (!fail_now(ec)) {
    file_system::local().remove(path, ec);
  }
}

engine::file_status failing_file_system::status(const std::filesystem::path& path,
                                                std::error_code& ec) {
  if (fail_now(ec)) {
    return {};
  }
  return file_system::local().status(path, ec);
}

}  // namespace ferry::test
