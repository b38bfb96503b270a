// ferry::engine::digest — SHA-256 / SHA-512 over a stream of bytes (OpenSSL EVP), and the
// expected digest a download is verified against.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::engine {

enum class digest_algorithm { sha256, sha512 };

/// A digest the finished file must have: "sha256:HEX" or "sha512:HEX" (curl-like spelling of
/// aria2's --checksum).
struct expected_digest {
  digest_algorithm algorithm = digest_algorithm::sha256;
  std::string hex;  ///< lowercase

  /// Parses "sha256:HEX" / "sha512:HEX" (HEX of the algorithm's length, either case). Empty on
  /// anything else.
  [[nodiscard]] static std::optional<expected_digest> parse(std::string_view text);
};

/// An incremental digest. Not thread-safe.
class digest {
 public:
  explicit digest(digest_algorithm algorithm);
  ~digest();
  digest(digest&&) noexcept;
  digest& operator=(digest&&) noexcept;

  void update(std::string_view bytes);
  /// The digest in lowercase hex; the object starts over afterwards.
  [[nodiscard]] std::string finish_hex();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  digest_algorithm algorithm_;
};

}  // namespace ferry::engine
