// ferry::test::test_pki — CA and server certificates generated at test time (OpenSSL).
#pragma once

#include <memory>
#include <string>

namespace ferry::test {

/// A key and certificate in PEM.
class test_certificate {
 public:
  std::string certificate_pem;
  std::string key_pem;
};

/// A throwaway PKI: a CA, a server certificate it signed for localhost / 127.0.0.1 / ::1, an
/// expired one, and a second CA that nobody trusts, with a server certificate of its own.
class test_pki {
 public:
  test_pki();
  test_certificate ca;
  test_certificate server;          ///< valid now, names localhost, 127.0.0.1 and ::1
  test_certificate expired_server;  ///< signed by `ca`, expired yesterday
  test_certificate other_ca;
  test_certificate untrusted_server;  ///< signed by `other_ca`

  /// The shared instance (key generation costs a few milliseconds; do it once per binary).
  static const test_pki& get();
};

}  // namespace ferry::test
