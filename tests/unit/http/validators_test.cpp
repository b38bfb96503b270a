#include "ferry/http/validators.hpp"

#include <gtest/gtest.h>

namespace ferry::http {
namespace {

response_head with(std::vector<field> fields) {
  response_head h;
  h.status = 206;
  h.fields = std::move(fields);
  return h;
}

TEST(Validators, StrongETagAndLastModifiedAreTakenWeakETagsAreNot) {
  const validators v = validators::of(
      with({{"ETag", "\"abc\""}, {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  EXPECT_EQ(v.etag, "\"abc\"");
  EXPECT_EQ(v.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(v.if_range(), "\"abc\"");
  const validators weak = validators::of(with({{"etag", "W/\"abc\""}}));
  EXPECT_TRUE(weak.empty());
  EXPECT_EQ(weak.if_range(), "");
  const validators dated = validators::of(with({{"last-modified", "x"}}));
  EXPECT_EQ(dated.if_range(), "x");  // no strong ETag: If-Range carries the date
}

TEST(Validators, AnotherVersionIsNamedOnlyByAValidatorThatDiffers) {
  const validators known{"\"v1\"", "Mon, 01 Jan 2024 00:00:00 GMT"};
  EXPECT_FALSE(names_another_version(known, with({{"ETag", "\"v1\""}})));
  EXPECT_TRUE(names_another_version(known, with({{"ETag", "\"v2\""}})));
  // The ETag decides when both sides have one, whatever the dates say.
  EXPECT_FALSE(names_another_version(
      known, with({{"ETag", "\"v1\""}, {"Last-Modified", "Tue, 02 Jan 2024 00:00:00 GMT"}})));
  // Without a strong ETag on the response, the dates decide.
  EXPECT_TRUE(names_another_version(
      known, with({{"ETag", "W/\"v1\""}, {"Last-Modified", "Tue, 02 Jan 2024 00:00:00 GMT"}})));
  EXPECT_FALSE(names_another_version(known, with({})));  // nothing says it changed
  EXPECT_FALSE(names_another_version({}, with({{"ETag", "\"v9\""}})));
}

TEST(Validators, OnlyAMatchingValidatorProvesTheSameVersion) {
  const validators tagged{"\"v1\"", ""};
  EXPECT_TRUE(proves_same_version(tagged, with({{"ETag", "\"v1\""}})));
  EXPECT_FALSE(proves_same_version(tagged, with({})));  // a 206 without its ETag: unproven
  EXPECT_FALSE(proves_same_version(tagged, with({{"ETag", "W/\"v1\""}})));
  const validators dated{"", "d1"};
  EXPECT_TRUE(proves_same_version(dated, with({{"Last-Modified", "d1"}})));
  EXPECT_FALSE(proves_same_version(dated, with({{"Last-Modified", "d2"}})));
  // A resource that never had validators is matched only by a response without any.
  EXPECT_TRUE(proves_same_version({}, with({})));
  EXPECT_FALSE(proves_same_version({}, with({{"ETag", "\"new\""}})));
}

}  // namespace
}  // namespace ferry::http
