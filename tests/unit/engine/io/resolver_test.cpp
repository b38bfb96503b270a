#include "ferry/engine/io/resolver.hpp"

#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
#include "loop_fixture.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;

class ResolverTest : public test::loop_fixture {};

TEST_F(ResolverTest, ResolvesLocalhostToLoopbackAddresses) {
  resolver r{loop};
  async_result result = r.begin_resolve("localhost", 8080, {}, {}, 10s);
  const std::vector<endpoint> found = r.end_resolve(result);
  ASSERT_FALSE(found.empty());
  for (const endpoint& e : found) {
    EXPECT_EQ(e.port(), 8080);
    EXPECT_TRUE(e.address() == "127.0.0.1" || e.address() == "::1") << e.address();
  }
}

TEST_F(ResolverTest, NumericAddressesResolveToThemselves) {
  resolver r{loop};
  async_result v6 = r.begin_resolve("::1", 443, {});
  const auto found = r.end_resolve(v6);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found.front().to_string(), "[::1]:443");
}

TEST_F(ResolverTest, EndWithAnotherResolversResultIsReported) {
  resolver a{loop};
  resolver b{loop};
  async_result result = a.begin_resolve("127.0.0.1", 80, {});
  std::error_code ec;
  (void)b.end_resolve(result, ec);
  EXPECT_EQ(ec, error::wrong_operation);
  EXPECT_EQ(a.end_resolve(result).size(), 1U);
}

}  // namespace
}  // namespace ferry::engine
