#include "ferry/engine/transfer/resume_record.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ferry/engine/io/file.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

resume_record sample() {
  resume_record r;
  r.url = "http://127.0.0.1:8080/big.bin";
  r.etag = "\"5f3a-1234\"";
  r.last_modified = "Tue, 01 Dec 2026 10:00:00 GMT";
  r.length = 1'000'000;
  r.ranges.add(0, 65536);
  r.ranges.add(131072, 262144);
  return r;
}

TEST(ResumeRecord, RoundTrips) {
  const resume_record r = sample();
  const auto back = decode_resume_record(encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  resume_record unknown_length;
  unknown_length.url = "http://h/x";
  EXPECT_EQ(decode_resume_record(encode(unknown_length)), unknown_length);
}

TEST(ResumeRecord, EveryTruncationAndEverySingleByteChangeIsRefused) {
  const std::string good = encode(sample());
  for (std::size_t n = 0; n < good.size(); ++n) {
    ASSERT_FALSE(decode_resume_record(good.substr(0, n))) << "truncated at " << n;
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    ASSERT_FALSE(decode_resume_record(bad)) << "byte " << i;
  }
  EXPECT_FALSE(decode_resume_record(std::string(good.size(), '\0')));
}

TEST(ResumeRecord, ClaimsPastTheLengthOrOutOfOrderAreRefusedEvenWithAValidChecksum) {
  resume_record r = sample();
  r.length = 100'000;  // the ranges reach 262144
  EXPECT_FALSE(decode_resume_record(encode(r)));
}

TEST(ResumeRecord, SaveReplacesAtomicallyAndLoadReadsItBack) {
  const test::temp_directory scratch{"record"};
  const auto& dir = scratch.path();
  const auto path = dir / "x.part.ferry";
  std::error_code ec;
  EXPECT_FALSE(load_resume_record(file_system::local(), path, ec));  // none: no error
  EXPECT_FALSE(ec);
  save_resume_record(file_system::local(), path, sample(), true, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_FALSE(std::filesystem::exists(dir / "x.part.ferry.tmp"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);  // it names a URL: private
  const auto back = load_resume_record(file_system::local(), path, ec);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, sample());
}

}  // namespace
}  // namespace ferry::engine
