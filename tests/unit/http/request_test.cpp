#include "ferry/http/request.hpp"

#include <gtest/gtest.h>

#include "ferry/http/error.hpp"

namespace ferry::http {
namespace {

request get(std::string_view u) {
  request r;
  r.url = url::parse(u);
  return r;
}

TEST(RequestWriter, WritesOriginFormWithHostAndFields) {
  request r = get("http://example.com:8080/a/b?q=1#frag");
  r.fields.push_back({"Accept-Encoding", "identity"});
  EXPECT_EQ(write_head(r),
            "GET /a/b?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nAccept-Encoding: identity\r\n\r\n");
}

TEST(RequestWriter, WritesAbsoluteFormForAProxyWithoutCredentials) {
  request r = get("http://user:pw@example.com/x");
  EXPECT_EQ(write_head(r, target_form::absolute),
            "GET http://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(RequestWriter, FramingFieldsComeFromTheBodyDescription) {
  request r = get("http://a/up");
  r.method = "PUT";
  r.framing = body_framing::content_length;
  r.content_length = 42;
  EXPECT_EQ(write_head(r), "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
  r.framing = body_framing::chunked;
  r.expect_continue = true;
  EXPECT_EQ(
      write_head(r),
      "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
}

TEST(RequestWriter, CallerMayReplaceHostButNotFraming) {
  request r = get("http://a/");
  r.set("Host", "b.example");
  EXPECT_EQ(write_head(r), "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n");
  for (const char* name : {"Content-Length", "transfer-encoding"}) {
    request bad = get("http://a/");
    bad.fields.push_back({name, "1"});
    std::error_code ec;
    (void)write_head(bad, target_form::origin, ec);
    EXPECT_EQ(ec, error::invalid_field) << name;
  }
}

TEST(RequestWriter, RejectsCrLfNulAndBadNames) {
  const std::pair<std::string, std::string> bad[] = {{"X-A", "v\r\nInjected: yes"},
                                                     {"X-A", "v\nx"},
                                                     {"X-A", std::string{"v\0x", 3}},
                                                     {"X-A", "v\rx"},
                                                     {"X A", "v"},
                                                     {"X-A:", "v"},
                                                     {"", "v"},
                                                     {"X\r\nB", "v"},
                                                     {"X-A", "\x7f"},
                                                     {"X-A", "\x01"}};
  for (const auto& [name, value] : bad) {
    request r = get("http://a/");
    r.fields.push_back({name, value});
    std::error_code ec;
    EXPECT_TRUE(write_head(r, target_form::origin, ec).empty());
    EXPECT_EQ(ec, error::invalid_field) << name << ": " << value;
    EXPECT_EQ(ec, condition::usage);
  }
  request tab = get("http://a/");
  tab.fields.push_back({"X-A", "a\tb"});  // HTAB is allowed in values
  EXPECT_NO_THROW((void)write_head(tab));
  request method = get("http://a/");
  method.method = "GET /evil HTTP/1.1\r\nX:";
  EXPECT_THROW((void)write_head(method), std::system_error);
}

TEST(RequestWriter, ConnectCarriesOnlyProxyFields) {
  std::error_code ec;
  const std::string head = write_connect(url::parse("https://secret.example/path"),
                                         {{"Proxy-Authorization", "Basic x"}}, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(head,
            "CONNECT secret.example:443 HTTP/1.1\r\nHost: secret.example:443\r\n"
            "Proxy-Authorization: Basic x\r\n\r\n");
  EXPECT_EQ(write_connect(url::parse("https://[::1]:8443/"), {}, ec),
            "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
  (void)write_connect(url::parse("https://a/"), {{"Proxy-Authorization", "x\r\ny"}}, ec);
  EXPECT_EQ(ec, error::invalid_field);
}

TEST(RequestWriter, AuthorityFormForConnect) {
  request r = connect_request(url::parse("https://user:pw@example.com/secret?q"),
                              {{"Proxy-Authorization", "Basic p"}});
  EXPECT_EQ(write_head(r, target_form::authority),
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
            "Proxy-Authorization: Basic p\r\n\r\n");
}

TEST(ChunkEncoder, FramesChunksInHex) {
  EXPECT_EQ(chunk_header(0x1f), "1f\r\n");
  EXPECT_EQ(chunk_header(65536), "10000\r\n");
  EXPECT_EQ(chunk_end(), "\r\n");
  EXPECT_EQ(last_chunk(), "0\r\n\r\n");
  EXPECT_EQ(chunk_end_and_last(), std::string{chunk_end()} + std::string{last_chunk()});
}

}  // namespace
}  // namespace ferry::http
