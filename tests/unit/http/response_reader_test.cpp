#include "ferry/http/response_reader.hpp"

#include <gtest/gtest.h>

#include <string>

#include "ferry/http/error.hpp"

namespace ferry::http {
namespace {

// Records every event; body views are checked to point into the bytes given to put().
class recorder final : public response_handler {
 public:
  void on_informational(const response_head& h) override { informational.push_back(h.status); }
  void on_head(const response_head& h) override {
    head = h;
    ++heads;
  }
  void on_body(std::string_view bytes) override {
    body.append(bytes);
    if (input_begin != nullptr &&
        (bytes.data() < input_begin || bytes.data() + bytes.size() > input_end)) {
      copied = true;
    }
  }
  void on_trailers(const std::vector<field>& t) override { trailers = t; }
  void on_end() override { ++ends; }

  std::vector<unsigned> informational;
  response_head head;
  int heads = 0;
  std::string body;
  std::vector<field> trailers;
  int ends = 0;
  const char* input_begin = nullptr;
  const char* input_end = nullptr;
  bool copied = false;
};

struct outcome {
  std::error_code ec;
  std::size_t leftover = 0;
};

// Feeds `text` in pieces of `piece` bytes the way a connection does: unconsumed bytes are kept
// and presented again with the next piece. Then, if `eof`, the end of the stream.
outcome feed(response_reader& reader, recorder& r, std::string_view text,
             std::size_t piece = SIZE_MAX, bool eof = false) {
  std::string pending;
  std::error_code ec;
  std::size_t offset = 0;
  while (offset < text.size()) {
    const std::size_t n = std::min(piece, text.size() - offset);
    pending.append(text.substr(offset, n));
    offset += n;
    r.input_begin = pending.data();
    r.input_end = pending.data() + pending.size();
    const std::size_t used = reader.put(pending, ec);
    pending.erase(0, used);
    if (ec && ec != error::need_more) {
      return {ec, pending.size() + (text.size() - offset)};
    }
    if (reader.done()) {
      return {ec, pending.size() + (text.size() - offset)};
    }
  }
  if (eof) {
    reader.put_eof(ec);
  }
  return {ec, pending.size()};
}

outcome parse(std::string_view text, recorder& r, response_reader_options options = {},
              bool eof = false) {
  response_reader reader{r, options};
  outcome o = feed(reader, r, text, SIZE_MAX, eof);
  return o;
}

std::error_code error_of(std::string_view text, response_reader_options options = {}) {
  recorder r;
  return parse(text, r, options, true).ec;
}

TEST(ResponseReader, ContentLengthBodyAndKeepAlive) {
  recorder r;
  response_reader reader{r};
  const outcome o = feed(reader, r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello");
  EXPECT_FALSE(o.ec);
  EXPECT_TRUE(reader.done());
  EXPECT_TRUE(reader.keep_alive());
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(r.head.reason, "OK");
  EXPECT_EQ(r.head.content_length, 5U);
  EXPECT_EQ(r.head.find("x-a"), "b");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.ends, 1);
  EXPECT_FALSE(r.copied);
}

TEST(ResponseReader, BodyBytesAreViewsIntoTheInputNeverCopies) {
  recorder r;
  response_reader reader{r};
  std::string big(1 << 20, 'x');
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + big;
  EXPECT_FALSE(feed(reader, r, text, 64 * 1024).ec);
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_FALSE(r.copied);
}

TEST(ResponseReader, ChunkedWithExtensionsAndTrailers) {
  recorder r;
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n";
  for (std::size_t piece : {SIZE_MAX, std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
    recorder each;
    response_reader reader{each};
    const outcome o = feed(reader, each, text, piece);
    EXPECT_FALSE(o.ec) << o.ec.message() << " piece " << piece;
    EXPECT_EQ(each.body, "hello world") << "piece " << piece;
    ASSERT_EQ(each.trailers.size(), 1U);
    EXPECT_EQ(each.trailers[0].name, "X-Checksum");
    EXPECT_EQ(each.trailers[0].value, "abc");
    EXPECT_TRUE(each.head.chunked);
    EXPECT_TRUE(reader.keep_alive());
  }
}

TEST(ResponseReader, InformationalResponsesAreReportedThenSkipped) {
  recorder r;
  response_reader reader{r};
  const outcome o = feed(reader, r,
                         "HTTP/1.1 100 Continue\r\n\r\n"
                         "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                         5);
  EXPECT_FALSE(o.ec);
  EXPECT_EQ(r.informational, (std::vector<unsigned>{100, 103}));
  EXPECT_EQ(r.heads, 1);
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(r.body, "ok");
}

TEST(ResponseReader, TooManyInformationalResponsesIsAnError) {
  std::string text;
  for (int i = 0; i < 17; ++i) {
    text += "HTTP/1.1 100 Continue\r\n\r\n";
  }
  text += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(error_of(text), error::too_many_informational);
}

TEST(ResponseReader, MalformedChunkSizesAreRejected) {
  for (const char* size : {"zz", "-5", "FFFFFFFFFFFFFFFFFF", "0x5", " 5", ""}) {
    const std::string text = std::string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"} +
                             size + "\r\nhello\r\n0\r\n\r\n";
    EXPECT_EQ(error_of(text), error::bad_chunk) << '"' << size << '"';
  }
}

TEST(ResponseReader, MalformedContentLengthsAreRejected) {
  for (const char* length : {"-1", "abc", "36893488147419103232", "5, 6", "1 2", "+5"}) {
    const std::string text =
        std::string{"HTTP/1.1 200 OK\r\nContent-Length: "} + length + "\r\n\r\nhello";
    EXPECT_EQ(error_of(text), error::bad_content_length) << length;
  }
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
            error::bad_content_length);
}

TEST(ResponseReader, ContentLengthWithTransferEncodingIsAnError) {
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n0\r\n\r\n"),
            error::conflicting_framing);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                     "5\r\nhello\r\n0\r\n\r\n"),
            error::conflicting_framing);
}

TEST(ResponseReader, OnlyASingleChunkedCodingIsAccepted) {
  for (const char* te :
       {"gzip, chunked", "chunked, chunked", "identity", "gzip", "chunked, gzip", "x-custom"}) {
    const std::string text = std::string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: "} + te +
                             "\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    recorder r;
    EXPECT_EQ(parse(text, r, {}, true).ec, error::bad_transfer_encoding) << te;
    EXPECT_TRUE(r.body.empty()) << "transfer-coded bytes reached the body for " << te;
  }
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
                     "\r\n5\r\nhello\r\n0\r\n\r\n"),
            error::bad_transfer_encoding);
  recorder r;
  EXPECT_FALSE(
      parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", r).ec);
  EXPECT_EQ(r.body, "ok");
}

TEST(ResponseReader, ObsFoldIsUnfoldedIntoSpaces) {
  recorder r;
  const outcome o = parse("HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\nContent-Length: 0\r\n\r\n", r);
  EXPECT_FALSE(o.ec) << o.ec.message();
  ASSERT_TRUE(r.head.find("x-long"));
  EXPECT_EQ(r.head.find("x-long")->find('\n'), std::string_view::npos);
  EXPECT_NE(r.head.find("x-long")->find("one"), std::string_view::npos);
  EXPECT_NE(r.head.find("x-long")->find("two"), std::string_view::npos);
}

TEST(ResponseReader, BareLineFeedsAreRejected) {
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\nContent-Length: 0\n\n"), error::bad_status_line);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n"), error::bad_header);
}

TEST(ResponseReader, NulInAHeaderIsRejected) {
  EXPECT_EQ(error_of(std::string{"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n", 47}),
            error::bad_header);
}

TEST(ResponseReader, HeaderBombsStopAtTheLimit) {
  const std::string huge = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n";
  EXPECT_EQ(error_of(huge), error::header_too_large);
  std::string cookies = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 10'000; ++i) {
    cookies += "Set-Cookie: c" + std::to_string(i) + "=v\r\n";
  }
  cookies += "\r\n";
  recorder r;
  EXPECT_EQ(parse(cookies, r, {}, true).ec, error::header_too_large);
  EXPECT_EQ(r.heads, 0);
}

TEST(ResponseReader, GarbageInsteadOfAStatusLine) {
  for (const char* bad : {"garbage\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/x.1 200 OK\r\n\r\n",
                          "\x16\x03\x01\x02\x05\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
                          "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.10 200 OK\r\n\r\n"}) {
    EXPECT_EQ(error_of(bad), error::bad_status_line) << bad;
  }
}

TEST(ResponseReader, GarbageIsRefusedBeforeAWholeHeadArrives) {
  // An SSH or SMTP banner never ends a head: it is refused at its first bytes, not at EOF.
  for (const char* banner : {"SSH-2.0-OpenSSH_9.2\r\n", "220 mail ESMTP\r\n", "HX"}) {
    recorder r;
    response_reader reader{r};
    std::error_code ec;
    (void)reader.put(std::string_view{banner}, ec);
    EXPECT_EQ(ec, error::bad_status_line) << banner;
  }
}

TEST(ResponseReader, VersionsOtherThanOneZeroAndOneOneAreUnsupported) {
  for (const char* line :
       {"HTTP/9.9 200 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "HTTP/2 200\r\n\r\n",
        "HTTP/1.2 200 OK\r\n\r\n", "HTTP/0.9 200 OK\r\n\r\n"}) {
    EXPECT_EQ(error_of(line), error::unsupported_version) << line;
  }
}

TEST(ResponseReader, StatusLineWithoutAReasonIsAccepted) {
  const std::string text = "HTTP/1.1 200\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  for (std::size_t piece : {SIZE_MAX, std::size_t{1}, std::size_t{5}, std::size_t{13}}) {
    recorder r;
    response_reader reader{r};
    const outcome o = feed(reader, r, text, piece);
    EXPECT_FALSE(o.ec) << piece << ": " << o.ec.message();
    EXPECT_TRUE(reader.done()) << piece;
    EXPECT_TRUE(reader.keep_alive()) << piece;
    EXPECT_EQ(o.leftover, 0U) << piece;
    EXPECT_EQ(r.head.status, 200U);
    EXPECT_EQ(r.head.reason, "");
    EXPECT_EQ(r.head.find("x-a"), "b");
    EXPECT_EQ(r.body, "hello") << piece;
  }
  // Interim responses without a reason, and bytes after the message still counted as stray.
  recorder r;
  response_reader reader{r};
  const outcome o = feed(reader, r, "HTTP/1.1 100\r\n\r\nHTTP/1.0 204\r\n\r\nEXTRA");
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(r.informational, (std::vector<unsigned>{100}));
  EXPECT_EQ(r.head.status, 204U);
  EXPECT_EQ(o.leftover, 5U);
  EXPECT_FALSE(reader.keep_alive());
}

TEST(ResponseReader, ReasonlessHeadWithABareLineFeedIsRefused) {
  EXPECT_EQ(error_of("HTTP/1.1 200\r\nContent-Length: 0\n\n"), error::bad_header);
  EXPECT_EQ(error_of("HTTP/1.1 200\r\nContent-Length: 0\r\n\n"), error::bad_header);
  EXPECT_EQ(error_of("HTTP/1.1 200\nContent-Length: 0\r\n\r\n"), error::bad_status_line);
}

TEST(ResponseReader, ReasonlessHeadStillObeysTheHeaderLimit) {
  response_reader_options options;
  options.header_limit = 1024;
  const std::string huge = "HTTP/1.1 200\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n";
  EXPECT_EQ(error_of(huge, options), error::header_too_large);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK" + std::string(4096, 'a'), options), error::header_too_large);
}

TEST(ResponseReader, BodyLimitIsEnforced) {
  response_reader_options options;
  options.body_limit = 4;
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", options),
            error::body_too_large);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                     options),
            error::body_too_large);
}

TEST(ResponseReader, CloseDelimitedBodyEndsAtEofAndIsNotReused) {
  recorder r;
  response_reader reader{r};
  const outcome o = feed(reader, r, "HTTP/1.1 200 OK\r\n\r\nuntil the end", SIZE_MAX, true);
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_TRUE(reader.done());
  EXPECT_FALSE(reader.keep_alive());
  EXPECT_EQ(r.body, "until the end");
}

TEST(ResponseReader, EarlyEofIsAPartialMessage) {
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), error::partial_message);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
            error::partial_message);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-"), error::partial_message);
  EXPECT_EQ(error_of("HTTP/1.1 2"), error::partial_message);
}

TEST(ResponseReader, NothingAtAllIsAnEmptyReply) {
  EXPECT_EQ(error_of(""), error::empty_reply);
}

TEST(ResponseReader, InterimResponsesAndThenNothingIsNoFinalResponse) {
  EXPECT_EQ(error_of("HTTP/1.1 100 Continue\r\n\r\n"), error::no_final_response);
  EXPECT_EQ(error_of("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"),
            error::no_final_response);
  // After a 1xx, a final response that starts and is cut is a partial message.
  EXPECT_EQ(error_of("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), error::partial_message);
}

TEST(ResponseReader, ConnectionCloseAndHttp10AreNotReused) {
  for (const char* text : {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                           "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"}) {
    recorder r;
    response_reader reader{r};
    EXPECT_FALSE(feed(reader, r, text).ec);
    EXPECT_TRUE(reader.done());
    EXPECT_FALSE(reader.keep_alive()) << text;
  }
}

TEST(ResponseReader, BytesAfterTheMessageMeanTheConnectionIsNotReused) {
  for (const char* text :
       {"HTTP/1.1 204 No Content\r\n\r\nBODY", "HTTP/1.1 304 Not Modified\r\n\r\nBODY",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"}) {
    recorder r;
    response_reader reader{r};
    const outcome o = feed(reader, r, text);
    EXPECT_FALSE(o.ec) << text;
    EXPECT_TRUE(reader.done());
    EXPECT_GT(o.leftover, 0U);
    EXPECT_FALSE(reader.keep_alive()) << text;
  }
}

TEST(ResponseReader, HeadResponsesHaveNoBody) {
  recorder r;
  response_reader_options options;
  options.head_request = true;
  response_reader reader{r, options};
  const outcome o = feed(reader, r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  EXPECT_FALSE(o.ec);
  EXPECT_TRUE(reader.done());
  EXPECT_TRUE(reader.keep_alive());
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.head.content_length, 5U);
}

TEST(ResponseHead, FindIsCaseInsensitiveAndFindAllKeepsOrder) {
  response_head h;
  h.fields = {{"Set-Cookie", "a=1"}, {"X", "y"}, {"set-cookie", "b=2"}};
  EXPECT_EQ(h.find("SET-COOKIE"), "a=1");
  EXPECT_EQ(h.find_all("Set-Cookie"), (std::vector<std::string_view>{"a=1", "b=2"}));
  EXPECT_FALSE(h.find("missing"));
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("[", "{"));
}

}  // namespace
}  // namespace ferry::http
