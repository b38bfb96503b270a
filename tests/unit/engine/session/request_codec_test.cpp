// The journal's JSON for a transfer_request: the members it writes, every member back again,
// credentials withheld unless kept, and every kind of damage refused as journal_corrupt without
// a throw.
#include "session/request_codec.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/engine/transfer/transfer.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine::detail {
namespace {

using namespace std::chrono_literals;

const std::string sha512_hex(128, 'a');

transfer_request download() {
  transfer_request r;
  r.kind = transfer_kind::download;
  r.url = http::url::parse("https://example.com:8443/files/big.iso?part=1");
  r.method = "GET";
  r.fields = {{"Accept", "*/*"}, {"X-Trace", "a"}, {"X-Trace", "b"}};
  r.output = "/var/tmp/big.iso";
  r.overwrite = true;
  r.chunk_size = 32768;
  r.segments = 4;
  r.rate_limit = 250'000;
  r.checksum = expected_digest{digest_algorithm::sha512, sha512_hex};
  r.durable = durability::process;
  r.retry.attempts = 3;
  r.retry.initial_delay = 750ms;
  r.retry.max_delay = 20s;
  r.retry.max_retry_after = 60s;
  r.retry.max_restarts = 2;
  r.retry.malformed_attempts = 1;
  r.retry.malformed_delay = 100ms;
  return r;
}

transfer_request upload() {
  transfer_request r;
  r.kind = transfer_kind::upload;
  r.url = http::url::parse("http://10.0.0.1:8080/in/report.csv");
  r.method = "POST";
  r.fields = {{"Content-Type", "text/csv"}, {"Expect", "100-continue"}};
  r.body = "/home/me/report.csv";
  r.chunked = true;
  r.chunk_size = 1024 * 1024;
  r.rate_limit = 1;
  r.durable = durability::power;
  r.retry.attempts = 0;
  r.retry.initial_delay = 1ms;
  r.retry.max_delay = 2ms;
  r.retry.max_retry_after = 3s;
  r.retry.max_restarts = 4;
  r.retry.malformed_attempts = 5;
  r.retry.malformed_delay = 6ms;
  return r;
}

// A JSON object as (name, value's JSON text) pairs, so that a test can drop or replace one.
struct member {
  std::string name;
  std::string json;
};
using members = std::vector<member>;

std::string render(const members& object) {
  std::string text = "{";
  for (const member& m : object) {
    if (text.size() > 1) {
      text += ',';
    }
    text += '"' + m.name + "\":" + m.json;
  }
  return text + "}";
}

members replaced(members object, std::string_view name, std::string json) {
  for (member& m : object) {
    if (m.name == name) {
      m.json = std::move(json);
    }
  }
  return object;
}

members retry_members() {
  return {
      {"attempts", "3"},
      {"initial_delay_ms", "750"},
      {"max_delay_ms", "20000"},
      {"max_retry_after_s", "60"},
      {"max_restarts", "2"},
      {"malformed_attempts", "1"},
      {"malformed_delay_ms", "100"},
  };
}

members checksum_members() {
  return {{"algorithm", "\"sha512\""}, {"hex", '"' + sha512_hex + '"'}};
}

// download()'s document, member by member.
members download_members() {
  return {
      {"v", "1"},
      {"kind", "\"download\""},
      {"url", "\"https://example.com:8443/files/big.iso?part=1\""},
      {"method", "\"GET\""},
      {"fields", R"([["Accept","*/*"],["X-Trace","a"],["X-Trace","b"]])"},
      {"output", "\"/var/tmp/big.iso\""},
      {"overwrite", "true"},
      {"body", "\"\""},
      {"chunked", "false"},
      {"chunk_size", "32768"},
      {"segments", "4"},
      {"rate_limit", "250000"},
      {"checksum", render(checksum_members())},
      {"durable", "\"process\""},
      {"retry", render(retry_members())},
  };
}

// One of the objects in download()'s document: "" (the document itself), "retry" or "checksum".
struct object_in_document {
  std::string name;
  members content;
};

std::vector<object_in_document> every_object() {
  return {{"", download_members()}, {"retry", retry_members()}, {"checksum", checksum_members()}};
}

// download()'s document with `content` as the object named `name`.
std::string document_with(std::string_view name, const members& content) {
  if (name.empty()) {
    return render(content);
  }
  return render(replaced(download_members(), name, render(content)));
}

std::string document_with_member(std::string_view object, std::string_view name, std::string json) {
  for (const object_in_document& o : every_object()) {
    if (o.name == object) {
      return document_with(object, replaced(o.content, name, std::move(json)));
    }
  }
  ADD_FAILURE() << "no object " << object;
  return {};
}

std::vector<std::pair<std::string, std::string>> pairs_of(const std::vector<http::field>& fields) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const http::field& f : fields) {
    pairs.emplace_back(f.name, f.value);
  }
  return pairs;
}

void expect_same(const transfer_request& actual, const transfer_request& expected) {
  EXPECT_EQ(actual.kind, expected.kind);
  EXPECT_EQ(actual.url.text(), expected.url.text());
  EXPECT_EQ(actual.method, expected.method);
  EXPECT_EQ(pairs_of(actual.fields), pairs_of(expected.fields));
  EXPECT_EQ(actual.output.native(), expected.output.native());
  EXPECT_EQ(actual.overwrite, expected.overwrite);
  EXPECT_EQ(actual.body.native(), expected.body.native());
  EXPECT_EQ(actual.chunked, expected.chunked);
  EXPECT_EQ(actual.chunk_size, expected.chunk_size);
  EXPECT_EQ(actual.segments, expected.segments);
  EXPECT_EQ(actual.rate_limit, expected.rate_limit);
  ASSERT_EQ(actual.checksum.has_value(), expected.checksum.has_value());
  if (expected.checksum) {
    EXPECT_EQ(actual.checksum->algorithm, expected.checksum->algorithm);
    EXPECT_EQ(actual.checksum->hex, expected.checksum->hex);
  }
  EXPECT_EQ(actual.durable, expected.durable);
  EXPECT_EQ(actual.retry.attempts, expected.retry.attempts);
  EXPECT_EQ(actual.retry.initial_delay.count(), expected.retry.initial_delay.count());
  EXPECT_EQ(actual.retry.max_delay.count(), expected.retry.max_delay.count());
  EXPECT_EQ(actual.retry.max_retry_after.count(), expected.retry.max_retry_after.count());
  EXPECT_EQ(actual.retry.max_restarts, expected.retry.max_restarts);
  EXPECT_EQ(actual.retry.malformed_attempts, expected.retry.malformed_attempts);
  EXPECT_EQ(actual.retry.malformed_delay.count(), expected.retry.malformed_delay.count());
}

transfer_request round_trip(const transfer_request& request) {
  std::error_code ec;
  transfer_request back = decode_request(encode_request(request, true).json, ec);
  EXPECT_FALSE(ec) << ec.message();
  return back;
}

// Decoding `json` throws nothing, fails with journal_corrupt and gives a default request (whose
// encoding, which covers every member, is a default request's).
::testing::AssertionResult is_corrupt(std::string_view json) {
  std::error_code ec;
  transfer_request r;
  try {
    r = decode_request(json, ec);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw " << e.what() << " for " << json;
  }
  if (ec != error::journal_corrupt) {
    return ::testing::AssertionFailure() << "got '" << ec.message() << "' for " << json;
  }
  if (encode_request(r, true).json != encode_request(transfer_request{}, true).json) {
    return ::testing::AssertionFailure() << "a request that is not empty for " << json;
  }
  return ::testing::AssertionSuccess();
}

TEST(RequestCodec, WritesEveryMemberUnderItsDocumentedName) {
  EXPECT_EQ(encode_request(download(), true).json, render(download_members()));
}

TEST(RequestCodec, WritesEnumsAsStableNamesAndNoChecksumAsNull) {
  const std::string json = encode_request(upload(), true).json;
  EXPECT_NE(json.find(R"("kind":"upload")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("durable":"power")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("checksum":null)"), std::string::npos) << json;
  transfer_request sha256 = download();
  sha256.checksum = expected_digest{digest_algorithm::sha256, std::string(64, '0')};
  EXPECT_NE(encode_request(sha256, true).json.find(R"("algorithm":"sha256")"), std::string::npos);
}

TEST(RequestCodec, DownloadRoundTripsEveryMember) {
  expect_same(round_trip(download()), download());
}

TEST(RequestCodec, UploadRoundTripsEveryMember) {
  expect_same(round_trip(upload()), upload());
}

TEST(RequestCodec, DefaultsAndBothDigestAlgorithmsRoundTrip) {
  transfer_request plain;
  plain.url = http::url::parse("http://h/");
  expect_same(round_trip(plain), plain);
  transfer_request sha256 = download();
  sha256.checksum = expected_digest{digest_algorithm::sha256, std::string(64, 'f')};
  expect_same(round_trip(sha256), sha256);
}

TEST(RequestCodec, UploadWithoutABodyPathIsEncodedAsIs) {
  transfer_request from_descriptor = upload();
  from_descriptor.body.clear();
  expect_same(round_trip(from_descriptor), from_descriptor);
}

TEST(RequestCodec, BytesThatAreNotUtf8AndCharactersJsonEscapesRoundTrip) {
  transfer_request r = download();
  r.output = "/tmp/caf\xe9\xff.bin";
  r.body = std::string{"/tmp/nul\0byte", 13};
  r.method = "M\"\\";
  r.fields = {{"X-Latin1", "\xe9t\xe9"}, {"X-Escapes", "\"quote\" \\ \t\x01\x7f \xe2\x82\xac"}};
  expect_same(round_trip(r), r);
}

TEST(RequestCodec, DecodeClearsAnEarlierError) {
  std::error_code ec = error::timed_out;
  const transfer_request back = decode_request(render(download_members()), ec);
  EXPECT_FALSE(ec) << ec.message();
  expect_same(back, download());
}

TEST(RequestCodec, WithholdsSecretFieldsOfAnyCaseAndKeepsTheRestInOrder) {
  transfer_request r = download();
  r.fields = {
      {"authorization", "Basic YWxpY2U6czNjcmV0"},
      {"Accept", "*/*"},
      {"COOKIE", "session=abc"},
      {"X-Dup", "1"},
      {"Proxy-Authorization", "Bearer proxy-token"},
      {"X-Dup", "2"},
      {"Cookie", "other=def"},
      {"pRoXy-AuThOrIzAtIoN", "Basic cHJveHk="},
      {"X-Authorization", "not a secret"},
  };
  const encoded_request encoded = encode_request(r, false);
  EXPECT_TRUE(encoded.secrets_withheld);
  for (const char* secret : {"YWxpY2U6czNjcmV0", "session=abc", "proxy-token", "other=def",
                             "cHJveHk=", "uthorization\",\"B"}) {
    EXPECT_EQ(encoded.json.find(secret), std::string::npos) << secret << " in " << encoded.json;
  }
  std::error_code ec;
  const transfer_request back = decode_request(encoded.json, ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::vector<std::pair<std::string, std::string>> kept{
      {"Accept", "*/*"}, {"X-Dup", "1"}, {"X-Dup", "2"}, {"X-Authorization", "not a secret"}};
  EXPECT_EQ(pairs_of(back.fields), kept);
  transfer_request expected = r;
  expected.fields = back.fields;
  expect_same(back, expected);  // nothing else changed
}

TEST(RequestCodec, WithholdsUrlUserinfoWithOrWithoutAPassword) {
  for (const char* text :
       {"https://alice:s3cret@example.com:8443/x?y=1", "https://alice@example.com:8443/x?y=1",
        "https://@example.com:8443/x?y=1"}) {
    SCOPED_TRACE(text);
    transfer_request r = download();
    r.url = http::url::parse(text);
    r.fields.clear();
    const encoded_request encoded = encode_request(r, false);
    EXPECT_TRUE(encoded.secrets_withheld);
    EXPECT_EQ(encoded.json.find('@'), std::string::npos) << encoded.json;
    std::error_code ec;
    const transfer_request back = decode_request(encoded.json, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(back.url.text(), "https://example.com:8443/x?y=1");
    EXPECT_FALSE(back.url.has_credentials());
  }
}

TEST(RequestCodec, WithholdsNothingFromARequestWithoutSecrets) {
  const encoded_request encoded = encode_request(download(), false);
  EXPECT_FALSE(encoded.secrets_withheld);
  EXPECT_EQ(encoded.json, encode_request(download(), true).json);
}

TEST(RequestCodec, KeepSecretsKeepsSecretFieldsAndUserinfo) {
  transfer_request r = download();
  r.url = http::url::parse("https://alice:s3cret@example.com/x");
  r.fields = {{"Authorization", "Basic x"},
              {"Accept", "*/*"},
              {"cookie", "a=b"},
              {"Proxy-Authorization", "p"}};
  const encoded_request encoded = encode_request(r, true);
  EXPECT_FALSE(encoded.secrets_withheld);
  std::error_code ec;
  const transfer_request back = decode_request(encoded.json, ec);
  ASSERT_FALSE(ec) << ec.message();
  expect_same(back, r);
  EXPECT_EQ(back.url.user(), "alice");
  EXPECT_EQ(back.url.password(), "s3cret");
}

TEST(RequestCodec, IgnoresMembersItDoesNotKnow) {
  members more = download_members();
  more.insert(more.begin(), {"from_the_future", R"({"x":[1,2.5,null]})"});
  more.push_back({"also_new", "\"y\""});
  std::error_code ec;
  const transfer_request back = decode_request(render(more), ec);
  ASSERT_FALSE(ec) << ec.message();
  expect_same(back, download());
  members retry = retry_members();
  retry.push_back({"jitter", "0.5"});
  expect_same(decode_request(document_with("retry", retry), ec), download());
  EXPECT_FALSE(ec) << ec.message();
}

TEST(RequestCodec, RefusesTextThatIsNotJson) {
  const std::string good = render(download_members());
  for (const std::string& text :
       {std::string{}, std::string{"   "}, std::string{"{"}, std::string{"nul"},
        std::string{R"({"v":1,})"}, std::string{"{'v':1}"}, good + "x", good + "{}",
        std::string{"\xff\xfe"},
        std::string{good.data(), good.size() - 1} + std::string{"\0}", 2}}) {
    EXPECT_TRUE(is_corrupt(text));
  }
}

TEST(RequestCodec, RefusesJsonThatIsNotAnObject) {
  const std::string good = render(download_members());
  for (const std::string& text : {std::string{"null"}, std::string{"1"}, std::string{"true"},
                                  std::string{"\"text\""}, std::string{"[]"}, "[" + good + "]"}) {
    EXPECT_TRUE(is_corrupt(text));
  }
}

TEST(RequestCodec, RefusesADocumentMissingAnyMember) {
  for (const object_in_document& o : every_object()) {
    for (std::size_t i = 0; i < o.content.size(); ++i) {
      if (o.name.empty() && o.content[i].name == "rate_limit") {
        continue;  // optional: records written before it (RateLimitIsOptionalButStrictWhenThere)
      }
      members fewer = o.content;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
      EXPECT_TRUE(is_corrupt(document_with(o.name, fewer))) << "without " << o.content[i].name;
    }
  }
}

// The JSON type of a value's text, by its first character.
char type_of(std::string_view json) {
  switch (json.front()) {
    case 'n':
      return 'n';
    case 't':
    case 'f':
      return 'b';
    case '"':
      return 's';
    case '[':
      return 'a';
    case '{':
      return 'o';
    default:
      return json.find_first_of(".eE") == std::string_view::npos ? 'i' : 'd';
  }
}

TEST(RequestCodec, RefusesAnyMemberOfAnotherJsonType) {
  const std::vector<std::string> candidates{"null", "true", "7", "\"7\"", "[]", "{}", "7.0"};
  for (const object_in_document& o : every_object()) {
    for (const member& m : o.content) {
      for (const std::string& wrong : candidates) {
        const bool checksum_null = o.name.empty() && m.name == "checksum" && wrong == "null";
        if (type_of(wrong) == type_of(m.json) || checksum_null) {
          continue;
        }
        EXPECT_TRUE(is_corrupt(document_with_member(o.name, m.name, wrong)))
            << m.name << " = " << wrong;
      }
    }
  }
}

// "rate_limit" came after the first records: one without it is a request without a limit, and
// every other member stays required. When it is there, it must be a non-negative integer.
TEST(RequestCodec, RateLimitIsOptionalButStrictWhenThere) {
  members before_rate_limit;
  for (const member& m : download_members()) {
    if (m.name != "rate_limit") {
      before_rate_limit.push_back(m);
    }
  }
  ASSERT_EQ(before_rate_limit.size() + 1, download_members().size());
  std::error_code ec = error::timed_out;
  const transfer_request old = decode_request(render(before_rate_limit), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(old.rate_limit, 0U);
  transfer_request expected = download();
  expected.rate_limit = 0;
  expect_same(old, expected);

  members unlimited = replaced(download_members(), "rate_limit", "0");
  EXPECT_EQ(decode_request(render(unlimited), ec).rate_limit, 0U);
  EXPECT_FALSE(ec) << ec.message();

  for (const char* json :
       {"-1", "-250000", "1.5", "250000.0", "2.5e5", "\"250000\"", "null", "true", "[]", "{}"}) {
    EXPECT_TRUE(is_corrupt(document_with_member("", "rate_limit", json))) << json;
  }
}

TEST(RequestCodec, RateLimitRoundTripsFromZeroToItsLargest) {
  for (const std::uint64_t rate : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{65'536},
                                   std::uint64_t{18446744073709551615U}}) {
    transfer_request r = download();
    r.rate_limit = rate;
    EXPECT_EQ(round_trip(r).rate_limit, rate);
  }
}

TEST(RequestCodec, RefusesFieldsThatAreNotPairsOfStrings) {
  for (const char* fields :
       {R"([["a"]])", R"([["a","b","c"]])", R"([["a",1]])", R"([[1,"b"]])", R"([["a",null]])",
        R"(["a"])", R"([{"a":"b"}])", R"([["a","b"],7])", R"([[]])"}) {
    EXPECT_TRUE(is_corrupt(document_with_member("", "fields", fields))) << fields;
  }
}

TEST(RequestCodec, RefusesUnknownEnumNames) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"kind", "\"Download\""}, {"kind", "\"sideways\""}, {"kind", "\"\""},
      {"durable", "\"Power\""}, {"durable", "\"fsync\""},
  };
  for (const auto& [name, json] : bad) {
    EXPECT_TRUE(is_corrupt(document_with_member("", name, json))) << name << " = " << json;
  }
  for (const char* algorithm : {"\"SHA512\"", "\"md5\"", "\"\""}) {
    EXPECT_TRUE(is_corrupt(document_with_member("checksum", "algorithm", algorithm))) << algorithm;
  }
}

TEST(RequestCodec, RefusesAChecksumWhoseHexIsNotItsAlgorithms) {
  const std::string upper(128, 'A');
  const std::string short_hex(127, 'a');
  const std::string not_hex = std::string(127, 'a') + "g";
  for (const std::string& hex : {upper, short_hex, not_hex, std::string{}}) {
    EXPECT_TRUE(is_corrupt(document_with_member("checksum", "hex", '"' + hex + '"'))) << hex;
  }
  EXPECT_TRUE(is_corrupt(document_with_member("checksum", "algorithm", "\"sha256\"")));
}

TEST(RequestCodec, RefusesAUrlThatDoesNotParse) {
  for (const char* url : {"\"\"", "\"ftp://example.com/x\"", "\"not a url\"", "\"https://\"",
                          "\"http://exa mple.com/\"", "\"http://h:0/\"", "\"/relative\""}) {
    EXPECT_TRUE(is_corrupt(document_with_member("", "url", url))) << url;
  }
}

TEST(RequestCodec, RefusesAVersionItDoesNotKnow) {
  for (const char* v : {"0", "2", "-1", "1.0", "1e0", "\"1\"", "18446744073709551615"}) {
    EXPECT_TRUE(is_corrupt(document_with_member("", "v", v))) << v;
  }
}

TEST(RequestCodec, RefusesNumbersThatAreNegativeOrDoNotFit) {
  const std::vector<std::pair<std::string, std::string>> top{
      {"segments", "0"},
      {"segments", "-1"},
      {"segments", "4294967296"},
      {"chunk_size", "0"},
      {"chunk_size", "-1"},
      {"chunk_size", "18446744073709551616"},  // past uint64: parsed as a double
      {"chunk_size", "65536.5"},
      {"rate_limit", "-1"},
      {"rate_limit", "-9223372036854775808"},
      {"rate_limit", "18446744073709551616"},
  };
  for (const auto& [name, json] : top) {
    EXPECT_TRUE(is_corrupt(document_with_member("", name, json))) << name << " = " << json;
  }
  for (const member& m : retry_members()) {
    for (const char* json : {"-1", "-9223372036854775808", "9223372036854775808", "1.5"}) {
      EXPECT_TRUE(is_corrupt(document_with_member("retry", m.name, json)))
          << m.name << " = " << json;
    }
  }
  for (const char* name : {"attempts", "max_restarts", "malformed_attempts"}) {
    EXPECT_TRUE(is_corrupt(document_with_member("retry", name, "4294967296"))) << name;
  }
}

TEST(RequestCodec, AcceptsNumbersUpToTheLimitsOfTheirTypes) {
  members largest = replaced(download_members(), "segments", "4294967295");
  largest = replaced(largest, "chunk_size", "18446744073709551615");
  largest = replaced(largest, "rate_limit", "18446744073709551615");
  members retry = replaced(retry_members(), "attempts", "4294967295");
  retry = replaced(retry, "initial_delay_ms", "9223372036854775807");
  retry = replaced(retry, "max_retry_after_s", "0");
  largest = replaced(largest, "retry", render(retry));
  std::error_code ec;
  const transfer_request r = decode_request(render(largest), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.segments, 4294967295U);
  EXPECT_EQ(r.chunk_size, 18446744073709551615U);
  EXPECT_EQ(r.rate_limit, 18446744073709551615U);
  EXPECT_EQ(r.retry.attempts, 4294967295U);
  EXPECT_EQ(r.retry.initial_delay.count(), 9223372036854775807);
  EXPECT_EQ(r.retry.max_retry_after.count(), 0);
}

TEST(RequestCodec, RefusesEveryTruncationOfAValidEncoding) {
  for (const transfer_request& r : {download(), upload()}) {
    const std::string good = encode_request(r, true).json;
    for (std::size_t n = 0; n < good.size(); ++n) {
      ASSERT_TRUE(is_corrupt(std::string_view{good}.substr(0, n))) << "truncated at " << n;
    }
  }
}

}  // namespace
}  // namespace ferry::engine::detail
