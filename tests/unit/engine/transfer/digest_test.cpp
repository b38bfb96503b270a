#include "ferry/engine/transfer/digest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ferry::engine {
namespace {

// FIPS 180-2's test vector "abc", and the empty message.
constexpr const char* abc_sha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* abc_sha512 =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
constexpr const char* empty_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, KnownVectorsInOneOrManyPieces) {
  digest whole{digest_algorithm::sha256};
  whole.update("abc");
  EXPECT_EQ(whole.finish_hex(), abc_sha256);
  digest pieces{digest_algorithm::sha256};
  pieces.update("a");
  pieces.update("");
  pieces.update("bc");
  EXPECT_EQ(pieces.finish_hex(), abc_sha256);
  digest long_one{digest_algorithm::sha512};
  long_one.update("abc");
  EXPECT_EQ(long_one.finish_hex(), abc_sha512);
}

TEST(Digest, FinishingStartsOver) {
  digest d{digest_algorithm::sha256};
  d.update("abc");
  EXPECT_EQ(d.finish_hex(), abc_sha256);
  EXPECT_EQ(d.finish_hex(), empty_sha256);  // nothing since: the empty message
  d.update("abc");
  EXPECT_EQ(d.finish_hex(), abc_sha256);
}

TEST(ExpectedDigest, ParsesBothAlgorithmsInEitherCaseAndSpelling) {
  const auto upper = expected_digest::parse(std::string{"sha256:"} +
                                            "BA7816BF8F01CFEA414140DE5DAE2223"
                                            "B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->algorithm, digest_algorithm::sha256);
  EXPECT_EQ(upper->hex, abc_sha256);  // kept lowercase, as digest writes it
  const auto dashed = expected_digest::parse(std::string{"sha-512:"} + abc_sha512);
  ASSERT_TRUE(dashed);
  EXPECT_EQ(dashed->algorithm, digest_algorithm::sha512);
}

TEST(ExpectedDigest, RefusesWhatIsNotADigestOfItsAlgorithm) {
  const std::string hex64(64, 'a');
  for (const std::string& bad :
       {std::string{"md5:"} + std::string(32, 'a'), "sha256:" + hex64.substr(1),
        "sha256:" + hex64 + "a", "sha512:" + hex64, "sha256:" + std::string(63, 'a') + "g",
        std::string{"sha256"}, std::string{":"} + hex64, std::string{}}) {
    EXPECT_FALSE(expected_digest::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace ferry::engine
