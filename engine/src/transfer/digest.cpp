#include "ferry/engine/transfer/digest.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <stdexcept>

namespace ferry::engine {
namespace {

const EVP_MD* md_of(digest_algorithm a) {
  return a == digest_algorithm::sha256 ? EVP_sha256() : EVP_sha512();
}

}  // namespace

std::optional<expected_digest> expected_digest::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view name = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  expected_digest d;
  std::size_t length = 0;
  if (name == "sha256" || name == "sha-256") {
    d.algorithm = digest_algorithm::sha256;
    length = 64;
  } else if (name == "sha512" || name == "sha-512") {
    d.algorithm = digest_algorithm::sha512;
    length = 128;
  } else {
    return std::nullopt;
  }
  if (hex.size() != length) {
    return std::nullopt;
  }
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return std::nullopt;
    }
    d.hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return d;
}

struct digest::impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~impl() { EVP_MD_CTX_free(ctx); }
};

digest::digest(digest_algorithm algorithm)
    : impl_(std::make_unique<impl>()), algorithm_(algorithm) {
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, md_of(algorithm), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
}

digest::~digest() = default;
digest::digest(digest&&) noexcept = default;
digest& digest::operator=(digest&&) noexcept = default;

void digest::update(std::string_view bytes) {
  (void)EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size());
}

std::string digest::finish_hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  (void)EVP_DigestFinal_ex(impl_->ctx, out, &length);
  (void)EVP_DigestInit_ex(impl_->ctx, md_of(algorithm_), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(digits[out[i] >> 4U]);
    hex.push_back(digits[out[i] & 15U]);
  }
  return hex;
}

}  // namespace ferry::engine
