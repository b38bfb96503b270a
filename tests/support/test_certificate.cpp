#include "test_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace ferry::test {
namespace {

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_deleter {
  void operator()(X509* p) const { X509_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

void check(int ok, const char* what) {
  if (ok != 1) {
    throw std::runtime_error{std::string{"test_pki: "} + what};
  }
}

pkey_ptr make_key() {
  pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  if (!key) {
    throw std::runtime_error{"test_pki: key generation"};
  }
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    throw std::runtime_error{"test_pki: extension"};
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Issues a certificate for `subject_key`, valid from `from_days` to `to_days` relative to now,
// signed by `issuer_key` (self-signed when `issuer` is null).
x509_ptr issue(const char* common_name, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key,
               bool is_ca, long from_days, long to_days, long serial) {
  x509_ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * 86400);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (is_ca) {
    add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), issuer_cert, NID_subject_alt_name,
                  "DNS:localhost,IP:127.0.0.1,IP:::1");
    add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "serverAuth");
  }
  add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0 ? 1 : 0, "sign");
  return cert;
}

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem{data, static_cast<std::size_t>(size)};
  BIO_free(bio);
  return pem;
}

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem{data, static_cast<std::size_t>(size)};
  BIO_free(bio);
  return pem;
}

}  // namespace

test_pki::test_pki() {
  const pkey_ptr ca_key = make_key();
  const x509_ptr ca_cert =
      issue("ferry test CA", ca_key.get(), nullptr, ca_key.get(), true, -1, 30, 1);
  ca = {to_pem(ca_cert.get()), to_pem(ca_key.get())};

  const pkey_ptr server_key = make_key();
  const x509_ptr server_cert =
      issue("localhost", server_key.get(), ca_cert.get(), ca_key.get(), false, -1, 30, 2);
  server = {to_pem(server_cert.get()), to_pem(server_key.get())};

  const x509_ptr expired_cert =
      issue("localhost", server_key.get(), ca_cert.get(), ca_key.get(), false, -30, -1, 3);
  expired_server = {to_pem(expired_cert.get()), server.key_pem};

  const pkey_ptr other_key = make_key();
  const x509_ptr other_cert =
      issue("someone else's CA", other_key.get(), nullptr, other_key.get(), true, -1, 30, 4);
  other_ca = {to_pem(other_cert.get()), to_pem(other_key.get())};
  const x509_ptr untrusted_cert =
      issue("localhost", server_key.get(), other_cert.get(), other_key.get(), false, -1, 30, 5);
  untrusted_server = {to_pem(untrusted_cert.get()), server.key_pem};
}

const test_pki& test_pki::get() {
  static const test_pki instance;
  return instance;
}

}  // namespace ferry::test
