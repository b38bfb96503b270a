// The engine makes no heap allocation per operation in the steady state. This binary replaces
// the global operator new to count allocations on every thread, warms a connection up, then
// runs 10,000 round trips (20,000 operations) with deadlines armed, over TCP and over TLS.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>

#include "ferry/engine/io/blocking.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/tcp_socket.hpp"
#include "ferry/engine/io/timer.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/io/tls_socket.hpp"
#include "loopback_server.hpp"
#include "test_certificate.hpp"

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> releases{0};

void counted_free(void* p) noexcept {
  if (p != nullptr && counting.load(std::memory_order_relaxed)) {
    releases.fetch_add(1, std::memory_order_relaxed);
  }
  std::free(p);
}

void* counted_allocate(std::size_t size, std::size_t alignment = 0) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = alignment > alignof(std::max_align_t)
                ? std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)
                : std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) {
    throw std::bad_alloc{};
  }
  return p;
}

}  // namespace

void* operator new(std::size_t size) {
  return counted_allocate(size);
}
void* operator new[](std::size_t size) {
  return counted_allocate(size);
}
void* operator new(std::size_t size, std::align_val_t a) {
  return counted_allocate(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return counted_allocate(size, static_cast<std::size_t>(a));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  counted_free(p);
}

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
using test::loopback_server;
using test::server_mode;

// Round trips of 64 bytes, chained in callbacks, every operation with a deadline. The first
// operation is begun on the loop thread: begun from the test's thread, its handle would be held
// there for as long as that thread is descheduled, and the loop would need one operation more
// than in the warm-up (the pool grows to its high-water mark; it is the chain that must not).
class ping_pong {
 public:
  ping_pong(io_loop& loop, stream& s) : loop_(loop), stream_(s) {}

  // Runs `rounds` round trips, counting allocations from the first operation on when `count`;
  // returns false on an error or after 120 s.
  bool run(int rounds, bool count) {
    remaining_ = rounds;
    done_ = false;
    failed_ = false;
    loop_.post([this, count] {
      counting = count;
      send_one();
    });
    const auto give_up = std::chrono::steady_clock::now() + 120s;
    while (!done_.load() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
    counting = false;
    return done_.load() && !failed_.load();
  }

 private:
  void send_one() {
    stream_.begin_send(
        buffer(out_, sizeof out_), [this](async_result& r) { on_send(r); }, this, 5s);
  }
  void on_send(async_result& r) {
    std::error_code ec;
    (void)stream_.end_send(r, ec);
    if (ec) {
      return stop(true);
    }
    got_ = 0;
    receive_more();
  }
  void receive_more() {
    stream_.begin_receive(
        buffer(in_ + got_, sizeof in_ - got_), [this](async_result& r) { on_receive(r); }, this,
        5s);
  }
  void on_receive(async_result& r) {
    std::error_code ec;
    const std::size_t n = stream_.end_receive(r, ec);
    if (ec || n == 0) {
      return stop(true);
    }
    got_ += n;
    if (got_ < sizeof in_) {
      return receive_more();
    }
    if (--remaining_ == 0) {
      return stop(false);
    }
    send_one();
  }
  void stop(bool failed) {
    failed_ = failed;
    done_ = true;
  }

  io_loop& loop_;
  stream& stream_;
  char out_[64] = {};
  char in_[64] = {};
  std::size_t got_ = 0;
  int remaining_ = 0;
  std::atomic<bool> done_{false};
  std::atomic<bool> failed_{false};
};

std::size_t allocations_during(ping_pong& p, int rounds) {
  allocations = 0;
  EXPECT_TRUE(p.run(rounds, true));
  return allocations.load();
}

TEST(Allocation, NoHeapAllocationPerOperationOverTcp) {
  loopback_server server{server_mode::echo};
  io_loop loop;
  loop.start(1);
  tcp_socket s{loop};
  connect(s, "127.0.0.1", server.port());
  ping_pong p{loop, s};
  ASSERT_TRUE(p.run(1000, false));  // warm-up: pools and caches reach their size
  EXPECT_EQ(allocations_during(p, 10'000), 0U);
}

TEST(Allocation, NoHeapAllocationPerOperationOverTls) {
  const auto& pki = test::test_pki::get();
  loopback_server server{server_mode::echo, "127.0.0.1", &pki.server};
  io_loop loop;
  loop.start(1);
  tls_context context;
  context.add_ca_pem(pki.ca.certificate_pem);
  tls_socket s{loop, context};
  connect(s, "localhost", server.port(), 10s);
  ping_pong p{loop, s};
  ASSERT_TRUE(p.run(1000, false));
  EXPECT_EQ(allocations_during(p, 10'000), 0U);
}

// A stream's memory goes when the stream goes, not at some later registration: a process that
// opens many short-lived connections holds no dead ones (and the fuzzers see no false leaks).
TEST(Allocation, ADestroyedStreamLeavesNothingBehind) {
  io_loop loop;
  for (int i = 0; i < 3000; ++i) {  // warm-up: Asio's services and strand mutexes come once
    timer t{loop};
    tcp_socket s{loop};
  }
  loop.run();
  allocations = 0;
  releases = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) {
    timer t{loop};
    tcp_socket s{loop};
  }
  loop.run();  // a closed stream's last steps run on the loop
  counting = false;
  EXPECT_GT(allocations.load(), 0U);
  EXPECT_EQ(allocations.load(), releases.load());
}

// The counter itself works: a test that could not fail would prove nothing.
TEST(Allocation, TheCounterSeesAllocations) {
  allocations = 0;
  counting = true;
  auto* leak_free = new int{7};
  counting = false;
  releases = 0;
  counting = true;
  delete leak_free;
  counting = false;
  EXPECT_EQ(allocations.load(), 1U);
  EXPECT_EQ(releases.load(), 1U);
}

}  // namespace
}  // namespace ferry::engine
