#include "ferry/engine/io/tls_context.hpp"

#include <gtest/gtest.h>

#include "ferry/engine/error.hpp"
#include "temp_directory.hpp"
#include "test_certificate.hpp"

namespace ferry::engine {
namespace {

TEST(TlsContext, VerifiesByDefaultAndOnlyStopsWhenAskedTo) {
  tls_context tls;
  EXPECT_TRUE(tls.verifies_peer());
  tls.disable_verification();
  EXPECT_FALSE(tls.verifies_peer());
}

TEST(TlsContext, CopiesAreHandlesToOneSetOfSettings) {
  tls_context original;
  const tls_context copy = original;  // NOLINT: the copy is the point
  EXPECT_EQ(copy.impl(), original.impl());
  original.disable_verification();
  EXPECT_FALSE(copy.verifies_peer());  // a change through one is seen by all
  tls_context other;
  EXPECT_NE(other.impl(), original.impl());
  EXPECT_TRUE(other.verifies_peer());
}

TEST(TlsContext, AddsCaCertificatesFromPemTextAndFiles) {
  tls_context tls;
  std::error_code ec;
  tls.add_ca_pem(test::test_pki::get().ca.certificate_pem, ec);
  EXPECT_FALSE(ec) << ec.message();
  const test::temp_directory scratch{"tls-context"};
  test::write_file(scratch / "ca.pem", test::test_pki::get().other_ca.certificate_pem);
  tls.add_ca_file((scratch / "ca.pem").string(), ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST(TlsContext, RefusesWhatIsNotACertificateWithATypedError) {
  tls_context tls;
  std::error_code ec;
  tls.add_ca_pem("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", ec);
  EXPECT_EQ(ec, error::invalid_argument);
  tls.add_ca_pem("", ec);
  EXPECT_EQ(ec, error::invalid_argument);
  const test::temp_directory scratch{"tls-context"};
  tls.add_ca_file((scratch / "absent.pem").string(), ec);
  EXPECT_EQ(ec, error::file_not_found);
  test::write_file(scratch / "garbage.pem", "garbage");
  tls.add_ca_file((scratch / "garbage.pem").string(), ec);
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_THROW(tls.add_ca_pem("garbage"), std::system_error);
  EXPECT_TRUE(tls.verifies_peer());  // a failed addition changes nothing else
}

}  // namespace
}  // namespace ferry::engine
