#include "ferry/engine/transfer/client.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <future>
#include <thread>

#include "failing_stream.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/cookie_file.hpp"
#include "ferry/http/error.hpp"
#include "loop_fixture.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

using test::scripted_answer;
using test::scripted_server;

class ClientTest : public test::loop_fixture {
 protected:
  static http::request get(const std::string& u) {
    http::request r;
    r.url = http::url::parse(u);
    return r;
  }
  static std::string on(const scripted_server& s, const std::string& host = "127.0.0.1") {
    return "http://" + host + ":" + std::to_string(s.port());
  }
  tls_context tls;
};

TEST_F(ClientTest, CookiesGoBackThroughTheJar) {
  scripted_answer first = scripted_server::raw(
      "HTTP/1.1 200 OK\r\nSet-Cookie: session=abc; Path=/\r\nSet-Cookie: everyone=1; Domain=0.1\r\n"
      "Content-Length: 0\r\n\r\n");
  scripted_server server{{first, scripted_server::ok("again")}};
  http::cookie_jar jar;
  client_options options;
  options.cookies = &jar;
  client c{loop, tls, options};
  memory_sink sink;
  c.exchange(get(on(server) + "/login"), sink);
  EXPECT_EQ(jar.size(), 1U);  // the one for a domain the host is not in was refused
  c.exchange(get(on(server) + "/next"), sink);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].find("Cookie:"), std::string::npos);
  EXPECT_NE(requests[1].find("\r\nCookie: session=abc\r\n"), std::string::npos) << requests[1];
}

TEST_F(ClientTest, RedirectToAnotherHostKeepsCookiesApart) {
  scripted_server b{{scripted_server::ok("at b")}};
  scripted_server a{
      {scripted_server::raw("HTTP/1.1 302 Found\r\nSet-Cookie: from_a=1\r\nLocation: " +
                            on(b, "localhost") + "/there\r\nContent-Length: 0\r\n\r\n")}};
  http::cookie_jar jar;
  client_options options;
  options.cookies = &jar;
  client c{loop, tls, options};
  http::request r = get(on(a) + "/start");
  r.fields.push_back({"Cookie", "user_supplied=1"});
  memory_sink sink;
  const exchange_result result = c.exchange(r, sink);
  EXPECT_EQ(result.redirects, 1U);
  EXPECT_EQ(sink.data(), "at b");
  const std::string at_b = b.requests().at(0);
  EXPECT_EQ(at_b.find("user_supplied"), std::string::npos) << at_b;  // dropped across origins
  EXPECT_EQ(at_b.find("from_a"), std::string::npos) << at_b;         // another host's cookie
  EXPECT_EQ(jar.size(), 1U);  // but it was stored, for a's host
}

TEST_F(ClientTest, LocationWithSpacesAndRawUtf8IsFollowedPercentEncoded) {
  scripted_server server{
      {scripted_server::raw("HTTP/1.1 302 Found\r\nLocation: /new place/caf\xc3\xa9"
                            "?q=\xe2\x82\xac\r\nContent-Length: 0\r\n\r\n"),
       scripted_server::ok("moved")}};
  client c{loop, tls};
  memory_sink sink;
  std::error_code ec;
  const exchange_result r = c.exchange(get(on(server) + "/old"), sink, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.redirects, 1U);
  EXPECT_EQ(sink.data(), "moved");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_TRUE(requests[1].starts_with("GET /new%20place/caf%C3%A9?q=%E2%82%AC HTTP/1.1\r\n"))
      << requests[1];
}

TEST_F(ClientTest, StatusLineWithoutAReasonIsAccepted) {
  scripted_server server{{scripted_server::raw("HTTP/1.1 200\r\nContent-Length: 5\r\n\r\nhello"),
                          scripted_server::raw("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n")}};
  client c{loop, tls};
  memory_sink sink;
  std::error_code ec;
  const exchange_result r = c.exchange(get(on(server) + "/a"), sink, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(sink.data(), "hello");
  const exchange_result missing = c.exchange(get(on(server) + "/b"), sink, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(missing.head.status, 404U);
  EXPECT_EQ(server.connections(), 1U);  // kept alive across both
}

TEST_F(ClientTest, AStaleKeepAliveConnectionIsRetriedOnce) {
  scripted_answer then_close = scripted_server::ok("first");
  then_close.close_after = then_close.bytes.size();  // answers, then closes behind our back
  scripted_server server{{then_close, scripted_server::ok("second")}};
  client c{loop, tls};
  memory_sink one;
  c.exchange(get(on(server) + "/1"), one);
  EXPECT_EQ(c.pool().idle(), 1U);  // looks reusable: the close has not been read yet
  memory_sink two;
  std::error_code ec;
  const exchange_result r = c.exchange(get(on(server) + "/2"), two, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(two.data(), "second");
  EXPECT_EQ(server.connections(), 2U);
}

TEST_F(ClientTest, ConnectionRefusedIsAnError) {
  std::uint16_t closed = 0;
  {
    scripted_server gone{std::vector<scripted_answer>{}};
    closed = gone.port();
  }
  client c{loop, tls};
  memory_sink sink;
  std::error_code ec;
  (void)c.exchange(get("http://127.0.0.1:" + std::to_string(closed) + "/"), sink, ec);
  EXPECT_EQ(ec, error::connection_refused);
}

TEST_F(ClientTest, BlockingExchangeOnTheLoopIsRefused) {
  client c{loop, tls};
  std::promise<std::error_code> result;
  loop.post([&] {
    memory_sink sink;
    std::error_code ec;
    (void)c.exchange(get("http://127.0.0.1:1/"), sink, ec);
    result.set_value(ec);
  });
  auto f = result.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), error::would_deadlock);
}

scripted_answer unauthorized() {
  return scripted_server::raw(
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"files\", charset=UTF-8\r\n"
      "Content-Length: 12\r\n\r\nlogin please");
}

TEST_F(ClientTest, ChallengeIsAnsweredAsynchronouslyAndTheRequestRetried) {
  scripted_server server{{unauthorized(), scripted_server::ok("secret data")}};
  std::atomic<int> asked{0};
  std::string realm;
  std::thread answerer;
  client_options options;
  options.on_challenge = [&](const challenge_request& q, challenge_answer answer) {
    ++asked;
    realm = std::string{q.challenges.at(0).param("realm").value_or("")};
    EXPECT_EQ(q.status, 401U);
    EXPECT_FALSE(q.proxy);
    // Answer later, from another thread: as a token refresh would.
    answerer = std::thread{[answer] {
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
      answer(http::credentials::basic("alice", "s3cret"));
      answer(http::credentials::basic("ignored", "second answer"));
    }};
  };
  client c{loop, tls, options};
  memory_sink sink;
  const exchange_result r = c.exchange(get(on(server) + "/file"), sink);
  answerer.join();
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(sink.data(), "secret data");  // the 401's body never reached the sink
  EXPECT_EQ(asked.load(), 1);
  EXPECT_EQ(realm, "files");
  EXPECT_NE(server.requests().at(1).find("\r\nAuthorization: Basic YWxpY2U6czNjcmV0\r\n"),
            std::string::npos);
}

// A transfer's own question (a session asks about one task): an exchange's hook is asked instead
// of the client's, and the client's still answers the exchanges that bring none.
TEST_F(ClientTest, AnExchangesOwnChallengeHookIsAskedInsteadOfTheClients) {
  scripted_server server{
      [](std::string_view request, std::size_t index) -> std::optional<scripted_answer> {
        if (index >= 10) {
          return std::nullopt;
        }
        const bool authorized = request.find("\r\nAuthorization: ") != std::string_view::npos;
        return authorized ? scripted_server::ok("mine") : unauthorized();
      }};
  int client_asked = 0;
  int own_asked = 0;
  client_options options;
  options.on_challenge = [&](const challenge_request&, challenge_answer answer) {
    ++client_asked;
    answer(std::nullopt);
  };
  client c{loop, tls, options};
  memory_sink sink;
  exchange_options how;
  how.on_challenge = [&](const challenge_request& q, challenge_answer answer) {
    ++own_asked;
    EXPECT_EQ(q.status, 401U);
    answer(http::credentials::basic("alice", "s3cret"));
  };
  async_result r = c.begin_exchange(get(on(server) + "/file"), sink, {}, {}, nullptr, how);
  ASSERT_TRUE(r.wait_for(test::test_deadline));
  EXPECT_EQ(c.end_exchange(r).head.status, 200U);
  EXPECT_EQ(sink.data(), "mine");
  EXPECT_EQ(own_asked, 1);
  EXPECT_EQ(client_asked, 0);

  memory_sink other;
  EXPECT_EQ(c.exchange(get(on(server) + "/file"), other).head.status, 401U);
  EXPECT_EQ(client_asked, 1) << "an exchange without a hook of its own asks the client's";
  EXPECT_EQ(own_asked, 1);
}

TEST_F(ClientTest, RefusedOrFailedChallengeReturnsThe401) {
  for (int variant = 0; variant < 3; ++variant) {
    // 0: the caller refuses; 1: its callback throws; 2: wrong credentials (asked only once).
    scripted_server server{{unauthorized(), unauthorized()}};
    int asked = 0;
    client_options options;
    options.on_challenge = [&](const challenge_request&, challenge_answer answer) {
      ++asked;
      if (variant == 1) {
        throw std::runtime_error{"no credentials store"};
      }
      answer(variant == 0 ? std::nullopt
                          : std::optional{http::credentials::bearer("expired-token")});
    };
    client c{loop, tls, options};
    loop.set_exception_handler([](std::exception_ptr) {});
    memory_sink sink;
    std::error_code ec;
    const exchange_result r = c.exchange(get(on(server) + "/file"), sink, ec);
    EXPECT_FALSE(ec) << variant;
    EXPECT_EQ(r.head.status, 401U) << variant;
    EXPECT_EQ(asked, 1) << variant;
  }
}

// The failure-injection stream under a whole exchange (a redirect, then a chunked body): each
// operation fails in turn until none does. Every failure ends the exchange exactly once, with
// that error, or is recovered (a failure on a reused connection before any response byte is a
// stale connection: retried once) with the right body; nothing else ever reaches the sink.
TEST_F(ClientTest, EveryStreamFailureEndsOrIsRecoveredCleanly) {
  bool clean_run = false;
  std::size_t n = 0;
  int surfaced = 0;
  for (; n < 100 && !clean_run; ++n) {
    scripted_answer final_answer = scripted_server::raw(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    final_answer.trickle = 8;
    final_answer.trickle_delay = std::chrono::milliseconds{1};
    // Spare answers for retries on fresh connections.
    scripted_server server{
        {scripted_server::raw(
             "HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n"),
         final_answer, final_answer, final_answer}};
    // Counted, not asked afterwards: the client destroys a failed connection's stream.
    std::atomic<int> injections{0};
    client_options options;
    options.wrap_stream = [&](std::unique_ptr<stream> s) -> std::unique_ptr<stream> {
      return std::make_unique<test::failing_stream>(std::move(s), n, error::connection_reset,
                                                    &injections);
    };
    client c{loop, tls, options};
    memory_sink sink;
    std::atomic<int> calls{0};
    std::promise<std::error_code> done;
    c.begin_exchange(get(on(server) + "/start"), sink, [&](async_result& r) {
      std::error_code ec;
      (void)c.end_exchange(r, ec);
      if (++calls == 1) {
        done.set_value(ec);
      }
    });
    auto f = done.get_future();
    ASSERT_TRUE(test::await(f));
    const std::error_code ec = f.get();
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
    ASSERT_EQ(calls.load(), 1);
    const bool injected = injections.load() > 0;
    if (ec) {
      EXPECT_TRUE(injected) << "n = " << n << ": " << ec.message();
      EXPECT_EQ(ec, error::connection_reset) << "n = " << n;
      EXPECT_TRUE(sink.data().empty() || sink.data() == "hello") << "n = " << n;
      ++surfaced;
    } else {
      EXPECT_EQ(sink.data(), "hello") << "n = " << n;
      clean_run = !injected;
    }
  }
  EXPECT_TRUE(clean_run);
  // Failures on the first connection, on the reused one, and of the retry itself (its fresh
  // stream fails at the same N). Recovery by the retry is AStaleKeepAliveConnectionIsRetriedOnce.
  EXPECT_GE(surfaced, 3);
}

TEST_F(ClientTest, ExchangesBeyondThePerHostCapWaitAndReuse) {
  std::vector<scripted_answer> answers;
  for (int i = 0; i < 5; ++i) {
    scripted_answer a = scripted_server::ok("response");
    a.stall = std::chrono::milliseconds{50};
    answers.push_back(a);
  }
  scripted_server server{answers};
  client_options options;
  options.max_connections_per_host = 2;
  client c{loop, tls, options};
  std::vector<memory_sink> sinks(5);
  std::vector<async_result> pending;
  for (auto& sink : sinks) {
    pending.push_back(c.begin_exchange(get(on(server) + "/x"), sink, {}));
  }
  for (auto& r : pending) {
    ASSERT_TRUE(r.wait_for(test::test_deadline));
    EXPECT_EQ(c.end_exchange(r).head.status, 200U);
  }
  for (const auto& sink : sinks) {
    EXPECT_EQ(sink.data(), "response");
  }
  EXPECT_LE(server.connections(), 2U);
  EXPECT_EQ(server.requests().size(), 5U);
}

// A paced connection goes back to the pool for its own throttle only: one transfer's limit must
// never pace another's requests, nor an unpaced one. Once its throttle is gone, the pool drops it.
TEST_F(ClientTest, PacedConnectionsAreReusedOnlyWithTheirOwnThrottle) {
  scripted_server server{std::vector<scripted_answer>(6, scripted_server::ok("x"))};
  client c{loop, tls};
  const auto run = [&](std::shared_ptr<throttle> pace) {
    memory_sink sink;
    exchange_options how;
    how.pace = std::move(pace);
    async_result r = c.begin_exchange(get(on(server) + "/p"), sink, {}, {}, nullptr, how);
    EXPECT_TRUE(r.wait_for(test::test_deadline));
    EXPECT_EQ(c.end_exchange(r).head.status, 200U);
  };
  auto first = std::make_shared<throttle>(0);  // unlimited: pacing that never waits
  auto second = std::make_shared<throttle>(0);
  run(first);
  run(first);
  EXPECT_EQ(server.connections(), 1U);  // the same throttle: the pooled connection
  run(nullptr);
  EXPECT_EQ(server.connections(), 2U);  // unpaced: not the paced one
  run(second);
  EXPECT_EQ(server.connections(), 3U);  // another throttle: not the first's either
  run(second);
  EXPECT_EQ(server.connections(), 3U);
  EXPECT_EQ(c.pool().idle(), 3U);
  first.reset();  // its transfer is gone
  run(nullptr);   // takes the unpaced one, and the pool drops the first's on the way
  EXPECT_EQ(server.connections(), 3U);
  EXPECT_EQ(c.pool().idle(), 2U);
}

TEST(CookieFile, SavedAtomicallyOwnerOnlyAndLoadedBack) {
  namespace fs = std::filesystem;
  const test::temp_directory scratch{"cookies"};
  const fs::path& dir = scratch.path();
  http::cookie_jar jar;
  ASSERT_TRUE(jar.set("k=v; Max-Age=3600", http::url::parse("http://a.test/")));
  std::error_code ec;
  save_cookie_file(jar, dir / "cookies.txt", file_system::local(), ec);
  ASSERT_FALSE(ec) << ec.message();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "cookies.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(std::distance(fs::directory_iterator{dir}, fs::directory_iterator{}), 1);  // no temp
  http::cookie_jar loaded;
  EXPECT_EQ(load_cookie_file(loaded, dir / "cookies.txt", file_system::local(), ec), 1U);
  EXPECT_EQ(loaded.header_for(http::url::parse("http://a.test/")), "k=v");
  (void)load_cookie_file(loaded, dir / "missing.txt", file_system::local(), ec);
  EXPECT_EQ(ec, error::file_not_found);
}

TEST_F(ClientTest, AnExchangeWhoseBodyFailsStillReturnsItsHead) {
  // end_X returns what is known: the answer's head came, then its chunked body broke.
  auto broken = scripted_server::raw(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Id: 7\r\n\r\nzz\r\n");
  broken.keep_open = false;
  scripted_server server{{broken}};
  client c{loop, tls};
  memory_sink sink;
  std::error_code ec;
  const exchange_result r = c.exchange(get(on(server) + "/x"), sink, ec);
  EXPECT_EQ(ec, http::error::bad_chunk);
  EXPECT_EQ(r.head.status, 200U);
  EXPECT_EQ(r.head.find("x-id"), "7");
  EXPECT_EQ(r.url.text(), on(server) + "/x");
}

}  // namespace
}  // namespace ferry::engine
