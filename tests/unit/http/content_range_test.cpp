#include "ferry/http/content_range.hpp"

#include <gtest/gtest.h>

namespace ferry::http {
namespace {

TEST(ContentRange, ParsesTheThreeForms) {
  EXPECT_EQ(parse_content_range("bytes 0-499/1234"), (content_range{0, 499, 1234}));
  EXPECT_EQ(parse_content_range("bytes 500-999/*"), (content_range{500, 999, std::nullopt}));
  EXPECT_EQ(parse_content_range("bytes */1234"), (content_range{std::nullopt, std::nullopt, 1234}));
  EXPECT_EQ(parse_content_range("Bytes 1-1/2"), (content_range{1, 1, 2}));
}

TEST(ContentRange, RefusesEverythingElse) {
  for (const char* bad : {"",
                          "bytes",
                          "bytes ",
                          "items 0-1/2",
                          "bytes 0-1",
                          "bytes -1-2/3",
                          "bytes 0--1/3",
                          "bytes +0-1/3",
                          "bytes 0-1/+3",
                          "bytes 5-4/10",
                          "bytes 0-10/10",
                          "bytes 0-9/x",
                          "bytes */*",
                          "bytes 0x1-2/3",
                          "bytes 0-18446744073709551616/1",
                          "bytes  0-1/2",
                          "bytes 0 -1/2",
                          "bytes 0-1 /2",
                          "bytes 0-1/2 ",
                          "bytes 99999999999999999999-1/2"}) {
    EXPECT_FALSE(parse_content_range(bad)) << '"' << bad << '"';
  }
}

TEST(ContentRange, FormatsAndRoundTrips) {
  for (const content_range& r : {content_range{0, 9, 10}, content_range{3, 4, std::nullopt},
                                 content_range{std::nullopt, std::nullopt, 77}}) {
    EXPECT_EQ(parse_content_range(to_string(r)), r);
  }
  EXPECT_EQ(byte_range(1000), "bytes=1000-");
  EXPECT_EQ(byte_range(0, 99), "bytes=0-99");
}

TEST(ContentRange, AnAnswerMustMatchTheRequestExactly) {
  const auto got = *parse_content_range("bytes 100-999/1000");
  EXPECT_TRUE(answers(got, 100, std::nullopt, 1000));
  EXPECT_TRUE(answers(got, 100, std::nullopt, std::nullopt));
  EXPECT_TRUE(answers(got, 100, 999, 1000));
  EXPECT_FALSE(answers(got, 0, std::nullopt, 1000));    // not where we asked to resume
  EXPECT_FALSE(answers(got, 100, std::nullopt, 2000));  // the length changed
  EXPECT_FALSE(answers(got, 100, 500, 1000));           // not the segment we asked for
  EXPECT_FALSE(answers(*parse_content_range("bytes 100-500/1000"), 100, std::nullopt, 1000));
  EXPECT_FALSE(answers(*parse_content_range("bytes 100-999/*"), 100, std::nullopt, std::nullopt));
  EXPECT_FALSE(answers(*parse_content_range("bytes */1000"), 100, std::nullopt, 1000));
}

}  // namespace
}  // namespace ferry::http
