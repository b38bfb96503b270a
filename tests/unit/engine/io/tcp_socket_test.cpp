#include "ferry/engine/io/tcp_socket.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "loop_fixture.hpp"
#include "loopback_server.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::loopback_server;
using test::server_mode;

struct outcome {
  std::error_code ec;
  std::size_t bytes = 0;
  bool on_loop_thread = false;
};

class SocketTest : public test::loop_fixture {
 protected:
  // Begins a receive and returns a future of its outcome, ended inside the callback.
  std::future<outcome> receive_async(tcp_socket& s, mutable_buffer into,
                                     timeout limit = no_timeout) {
    auto done = std::make_shared<std::promise<outcome>>();
    auto future = done->get_future();
    s.begin_receive(
        into,
        [&s, this, done](async_result& r) {
          outcome o;
          o.bytes = s.end_receive(r, o.ec);
          o.on_loop_thread = loop.running_in_this_thread();
          done->set_value(o);
        },
        {}, limit);
    return future;
  }
};

TEST_F(SocketTest, EchoRoundTrip) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  const endpoint peer = connect(s, "127.0.0.1", server.port());
  EXPECT_EQ(peer.port(), server.port());
  EXPECT_TRUE(s.is_open());

  EXPECT_EQ(send(s, buffer("hello")), 5U);
  char reply[16] = {};
  std::size_t got = 0;
  while (got < 5) {
    const std::size_t n = receive(s, buffer(reply + got, sizeof reply - got), 10s);
    ASSERT_GT(n, 0U);
    got += n;
  }
  EXPECT_EQ(std::string(reply, got), "hello");
}

// Full duplex through begin_send/begin_receive: a chain of sends and a chain of receives run at
// once, and every echoed byte is checked against the pattern.
TEST_F(SocketTest, StreamsQuarterGigabyteThroughBeginSendAndBeginReceive) {
  const std::size_t total = test::scaled(256U << 20);
  constexpr std::size_t chunk = 256 * 1024;
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());

  std::vector<unsigned char> out(chunk);
  std::vector<unsigned char> in(chunk);
  struct progress {
    std::size_t sent = 0;
    std::size_t received = 0;
    bool content_ok = true;
    std::error_code ec;
  } p;
  std::promise<void> finished;
  std::atomic<int> chains_done{0};  // the send chain and the receive chain
  auto chain_done = [&] {
    if (++chains_done == 2) {
      finished.set_value();
    }
  };

  std::function<void()> send_next = [&] {
    const std::size_t n = std::min(chunk, total - p.sent);
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = test::pattern_byte(p.sent + i);
    }
    s.begin_send(
        buffer(out.data(), n),
        [&](async_result& r) {
          auto* state = r.state<progress>();
          state->sent += s.end_send(r, state->ec);
          if (!state->ec && state->sent < total) {
            send_next();
          } else {
            chain_done();
          }
        },
        &p);
  };
  std::function<void()> receive_next = [&] {
    s.begin_receive(
        buffer(in),
        [&](async_result& r) {
          auto* state = r.state<progress>();
          const std::size_t n = s.end_receive(r, state->ec);
          for (std::size_t i = 0; i < n; ++i) {
            if (in[i] != test::pattern_byte(state->received + i)) {
              state->content_ok = false;
            }
          }
          state->received += n;
          if (state->ec || n == 0 || state->received >= total) {
            chain_done();
            return;
          }
          receive_next();
        },
        &p);
  };
  loop.post([&] {
    send_next();
    receive_next();
  });
  auto done = finished.get_future();
  ASSERT_EQ(done.wait_for(300s), std::future_status::ready);
  EXPECT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.sent, total);
  EXPECT_EQ(p.received, total);
  EXPECT_TRUE(p.content_ok);
}

TEST_F(SocketTest, ConnectionRefusedIsReported) {
  std::uint16_t closed_port = 0;
  {
    loopback_server gone{server_mode::echo};
    closed_port = gone.port();
  }
  tcp_socket s{loop};
  std::error_code ec;
  (void)connect(s, "127.0.0.1", closed_port, 10s, ec);
  EXPECT_EQ(ec, error::connection_refused);
  EXPECT_EQ(ec, condition::retryable);
  EXPECT_FALSE(s.is_open());
}

TEST_F(SocketTest, ConnectsByHostNameTryingEveryAddress) {
  // "localhost" may resolve to ::1 first; the server listens on 127.0.0.1 only.
  loopback_server server{server_mode::echo, "127.0.0.1"};
  tcp_socket s{loop};
  const endpoint peer = connect(s, "localhost", server.port(), 10s);
  EXPECT_EQ(peer.address(), "127.0.0.1");
}

TEST_F(SocketTest, ConnectsOverIpv6Loopback) {
  loopback_server server{server_mode::echo, "::1"};
  tcp_socket s{loop};
  const endpoint peer = connect(s, "::1", server.port(), 10s);
  EXPECT_TRUE(peer.is_v6());
  EXPECT_EQ(send(s, buffer("six")), 3U);
  char reply[3];
  std::size_t got = 0;
  while (got < 3) {
    got += receive(s, buffer(reply + got, 3 - got), 10s);
  }
  EXPECT_EQ(std::string(reply, 3), "six");
}

TEST_F(SocketTest, ConnectsToEndpointsInOrder) {
  std::uint16_t closed_port = 0;
  {
    loopback_server gone{server_mode::echo};
    closed_port = gone.port();
  }
  loopback_server server{server_mode::echo};
  const std::vector<endpoint> candidates{endpoint::parse("127.0.0.1", closed_port),
                                         endpoint::parse("127.0.0.1", server.port())};
  tcp_socket s{loop};
  async_result r = s.begin_connect(candidates, {});
  EXPECT_EQ(s.end_connect(r).port(), server.port());
}

TEST_F(SocketTest, ReceiveTimesOutAgainstServerThatNeverSends) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  const auto start = std::chrono::steady_clock::now();
  auto f = receive_async(s, buffer(&byte, 1), 200ms);
  ASSERT_TRUE(test::await(f));
  const outcome o = f.get();
  EXPECT_EQ(o.ec, error::timed_out);
  EXPECT_EQ(o.ec, condition::retryable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  // The socket is still usable: a later operation gets its own deadline.
  auto again = receive_async(s, buffer(&byte, 1), 50ms);
  ASSERT_TRUE(test::await(again));
  EXPECT_EQ(again.get().ec, error::timed_out);
}

TEST_F(SocketTest, DeadlinesThatDoNotExpireNeverFire) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char reply[8];
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(send(s, buffer("ping"), 5s), 4U);
    std::size_t got = 0;
    while (got < 4) {
      std::error_code ec;
      got += receive(s, buffer(reply + got, 4 - got), 5s, ec);
      ASSERT_FALSE(ec) << ec.message() << " at round trip " << i;
    }
  }
  // A short deadline after many long ones still fires on time (the lazy timer re-arms).
  loopback_server silent{server_mode::silent};
  tcp_socket quiet{loop};
  connect(quiet, "127.0.0.1", silent.port());
  auto f = receive_async(quiet, buffer(reply, 1), 100ms);
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get().ec, error::timed_out);
}

TEST_F(SocketTest, CancelInTheMiddleOfReceiveAbortsIt) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  auto f = receive_async(s, buffer(&byte, 1));
  std::this_thread::sleep_for(20ms);
  s.cancel();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get().ec, error::operation_aborted);
  EXPECT_TRUE(s.is_open());
}

TEST_F(SocketTest, CloseCompletesPendingOperationsWithAborted) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  auto f = receive_async(s, buffer(&byte, 1));
  std::this_thread::sleep_for(20ms);
  s.close();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get().ec, error::operation_aborted);
  EXPECT_FALSE(s.is_open());
  // Operations on a closed socket fail cleanly.
  std::error_code ec;
  (void)send(s, buffer("x"), 1s, ec);
  EXPECT_EQ(ec, error::not_connected);
}

TEST_F(SocketTest, DestroyingSocketWithPendingOperationsIsSafe) {
  loopback_server server{server_mode::silent};
  auto s = std::make_unique<tcp_socket>(loop);
  connect(*s, "127.0.0.1", server.port());
  static char byte = 0;
  std::promise<std::error_code> done;
  s->begin_receive(buffer(&byte, 1), [&done](async_result& r) { done.set_value(r.error()); });
  s.reset();
  auto f = done.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), error::operation_aborted);
}

TEST_F(SocketTest, PeerResetIsReported) {
  loopback_server server{server_mode::reset};
  tcp_socket s{loop};
  // The reset may reach the connect itself (before it is confirmed) or the first receive;
  // either way it must be reported as connection_reset.
  std::error_code ec;
  (void)connect(s, "127.0.0.1", server.port(), 10s, ec);
  if (!ec) {
    ASSERT_TRUE(server.wait_for_finished(1));
    char byte = 0;
    auto f = receive_async(s, buffer(&byte, 1), 10s);
    ASSERT_TRUE(test::await(f));
    ec = f.get().ec;
  }
  EXPECT_EQ(ec, error::connection_reset) << ec.message();
  EXPECT_EQ(ec, condition::retryable);
}

TEST_F(SocketTest, PeerCloseIsZeroBytesWithoutError) {
  loopback_server server{server_mode::close};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  auto f = receive_async(s, buffer(&byte, 1), 10s);
  ASSERT_TRUE(test::await(f));
  const outcome o = f.get();
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.bytes, 0U);
}

TEST_F(SocketTest, ShutdownSendsEndOfStreamAndKeepsReceiving) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  send(s, buffer("bye"));
  async_result r = s.begin_shutdown({});
  s.end_shutdown(r);
  std::string got;
  char chunk[16];
  for (int i = 0; i < 100; ++i) {
    const std::size_t n = receive(s, buffer(chunk, sizeof chunk), 10s);
    if (n == 0) {
      break;
    }
    got.append(chunk, n);
  }
  EXPECT_EQ(got, "bye");
}

TEST_F(SocketTest, GatherWriteSendsEveryBufferInOrder) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  const std::array<const_buffer, 3> parts{buffer("GET "), buffer("/ "), buffer("HTTP/1.1")};
  async_result r = s.begin_send(parts, {});
  EXPECT_EQ(s.end_send(r), 14U);
  std::string got;
  char chunk[32];
  while (got.size() < 14) {
    got.append(chunk, receive(s, buffer(chunk, sizeof chunk), 10s));
  }
  EXPECT_EQ(got, "GET / HTTP/1.1");
}

TEST_F(SocketTest, TooManyBuffersIsRefused) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  const std::vector<const_buffer> parts(17, buffer("x"));
  async_result r = s.begin_send(parts, {});
  std::error_code ec;
  EXPECT_EQ(s.end_send(r, ec), 0U);
  EXPECT_EQ(ec, error::too_many_buffers);
}

TEST_F(SocketTest, SecondReceiveWhileOnePendsIsOperationInProgress) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char a = 0;
  char b = 0;
  auto first = receive_async(s, buffer(&a, 1));
  auto second = receive_async(s, buffer(&b, 1));
  ASSERT_TRUE(test::await(second));
  EXPECT_EQ(second.get().ec, error::operation_in_progress);
  s.close();
  ASSERT_TRUE(test::await(first));
  EXPECT_EQ(first.get().ec, error::operation_aborted);
}

TEST_F(SocketTest, SecondSendWhileOnePendsIsOperationInProgress) {
  loopback_server server{server_mode::silent};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  // More than the kernel buffers hold, to a peer that never reads: the send stays pending.
  std::vector<char> big(64U << 20, 'x');
  async_result first = s.begin_send(buffer(big), {});
  async_result second = s.begin_send(buffer("y"), {});
  std::error_code ec;
  (void)s.end_send(second, ec);
  EXPECT_EQ(ec, error::operation_in_progress);
  EXPECT_FALSE(first.is_completed());
  s.close();
  (void)s.end_send(first, ec);
  EXPECT_EQ(ec, error::operation_aborted);
}

TEST_F(SocketTest, CallbackRunsOnceOnLoopThreadNeverInsideBegin) {
  tcp_socket s{loop};  // never connected: every operation fails before any I/O
  std::atomic<int> calls{0};
  std::atomic<bool> inside_begin{false};
  std::atomic<bool> ran_inside_begin{false};
  std::atomic<bool> ran_off_loop{false};
  std::promise<void> done;
  char byte = 0;
  loop.post([&] {
    // On the loop thread, where an inline completion would be possible.
    inside_begin = true;
    s.begin_receive(buffer(&byte, 1), [&](async_result& r) {
      ran_inside_begin = ran_inside_begin || inside_begin.load();
      ran_off_loop = !loop.running_in_this_thread();
      std::error_code ec;
      (void)s.end_receive(r, ec);
      EXPECT_EQ(ec, error::not_connected);
      if (++calls == 1) {
        done.set_value();
      }
    });
    inside_begin = false;
  });
  auto f = done.get_future();
  ASSERT_TRUE(test::await(f));
  std::this_thread::sleep_for(50ms);  // a second invocation would show up here
  EXPECT_EQ(calls.load(), 1);
  EXPECT_FALSE(ran_inside_begin.load());
  EXPECT_FALSE(ran_off_loop.load());
}

TEST_F(SocketTest, CallbackMayStartOperationsAndCloseTheSocket) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char reply[4];
  std::promise<std::error_code> aborted;
  s.begin_send(buffer("abcd"), [&](async_result& sent) {
    s.end_send(sent);
    // From inside a callback: start a receive, then another receive's failure closes.
    s.begin_receive(buffer(reply, sizeof reply), [&](async_result& got) {
      EXPECT_GT(s.end_receive(got), 0U);
      s.begin_receive(buffer(reply, sizeof reply),
                      [&](async_result& last) { aborted.set_value(last.error()); });
      s.close();
    });
  });
  auto f = aborted.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), error::operation_aborted);
}

TEST_F(SocketTest, ExceptionFromCallbackIsCaughtAndReported) {
  loopback_server server{server_mode::echo};
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  std::promise<std::string> reported;
  loop.set_exception_handler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reported.set_value(ex.what());
    }
  });
  s.begin_send(buffer("x"), [](async_result&) { throw std::runtime_error{"from a callback"}; });
  auto f = reported.get_future();
  ASSERT_TRUE(test::await(f));
  EXPECT_EQ(f.get(), "from a callback");
  EXPECT_EQ(loop.exceptions_caught(), 1U);
  // The loop goes on.
  char byte = 0;
  EXPECT_EQ(receive(s, buffer(&byte, 1), 10s), 1U);
}

TEST_F(SocketTest, OperationsOnOneSocketAreSerializedAcrossLoopThreads) {
  // Declared before the loop, so that they outlive every callback.
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> rounds{0};
  std::promise<void> done;
  char out[64] = {};
  char in[64];
  io_loop busy;
  busy.start(2);
  loopback_server server{server_mode::echo};
  tcp_socket s{busy};
  connect(s, "127.0.0.1", server.port());
  constexpr int total_rounds = 2000;
  auto enter = [&] {
    if (inside.fetch_add(1) != 0) {
      overlapped = true;
    }
    std::this_thread::yield();
  };
  auto leave = [&] { inside.fetch_sub(1); };
  // A round ends when both its callbacks have run: the echo can come back (and its callback
  // run) before the send's own callback, and a send begun then would find the first pending.
  std::atomic<int> pending{0};
  std::atomic<bool> closed{false};
  std::once_flag finished;
  std::function<void()> round;
  auto one_done = [&] {
    if (pending.fetch_sub(1) != 1) {
      return;
    }
    if (closed.load() || ++rounds == total_rounds) {
      std::call_once(finished, [&] { done.set_value(); });
      return;
    }
    round();
  };
  round = [&] {
    pending.store(2);
    s.begin_send(buffer(out, sizeof out), [&](async_result& r) {
      enter();
      s.end_send(r);
      leave();
      one_done();
    });
    s.begin_receive(buffer(in, sizeof in), [&](async_result& r) {
      enter();
      if (s.end_receive(r) == 0) {
        closed = true;
      }
      leave();
      one_done();
    });
  };
  busy.post(round);
  auto f = done.get_future();
  ASSERT_TRUE(test::await(f));
  s.close();
  busy.shutdown();  // every callback has run
  EXPECT_FALSE(overlapped.load());
}

TEST(SocketShutdown, LoopShutdownAbortsPendingOperationsAndRunsTheirCallbacks) {
  loopback_server server{server_mode::silent};
  io_loop loop;
  loop.start(1);
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  char byte = 0;
  std::atomic<int> calls{0};
  std::error_code seen;
  bool on_loop = false;
  s.begin_receive(buffer(&byte, 1), [&](async_result& r) {
    ++calls;
    seen = r.error();
    on_loop = loop.running_in_this_thread();
  });
  loop.shutdown();  // returns after the callback ran
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(seen, error::operation_aborted);
  EXPECT_TRUE(on_loop);

  // After shutdown, new operations complete with operation_aborted when the loop runs.
  async_result late = s.begin_send(buffer("x"), {});
  loop.run();
  std::error_code ec;
  (void)s.end_send(late, ec);
  EXPECT_EQ(ec, error::operation_aborted);
}

TEST(SocketShutdown, DestroyingTheLoopDeliversPendingCallbacks) {
  loopback_server server{server_mode::silent};
  std::atomic<int> calls{0};
  {
    io_loop loop;
    loop.start(1);
    tcp_socket s{loop};
    connect(s, "127.0.0.1", server.port());
    static char byte = 0;
    s.begin_receive(buffer(&byte, 1), [&](async_result& r) {
      EXPECT_EQ(r.error(), error::operation_aborted);
      ++calls;
    });
    // `s` is destroyed first, then the loop: either way the callback runs exactly once.
  }
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace ferry::engine
