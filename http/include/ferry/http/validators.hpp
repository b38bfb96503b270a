// ferry::http::validators — what tells one version of a resource from another (RFC 9110 §8.8),
// and the rules a resuming download judges a response by.
#pragma once

#include <string>

#include "ferry/http/response_head.hpp"

namespace ferry::http {

/// A version's validators, as a response carried them.
struct validators {
  /// A strong entity tag, quotes included (`"abc"`); empty when the response had none, or only a
  /// weak one (`W/"abc"`), which cannot validate byte ranges (RFC 9110 §8.8.3.2).
  std::string etag;
  /// The Last-Modified date exactly as sent; empty when none.
  std::string last_modified;

  /// The validators of `head` (its ETag and Last-Modified fields).
  [[nodiscard]] static validators of(const response_head& head);

  /// Neither validator is known: nothing to ask a server about.
  [[nodiscard]] bool empty() const noexcept { return etag.empty() && last_modified.empty(); }
  /// What `If-Range` may carry (RFC 9110 §13.1.5): the strong ETag, else Last-Modified; empty
  /// when neither is known.
  [[nodiscard]] const std::string& if_range() const noexcept {
    return etag.empty() ? last_modified : etag;
  }

  friend bool operator==(const validators&, const validators&) = default;
};

/// Whether `head` names a version other than `known`: both have a strong ETag and they differ,
/// or else both have a Last-Modified and they differ. A response without validators names no
/// other version (nothing says it changed).
[[nodiscard]] bool names_another_version(const validators& known, const response_head& head);

/// Whether a 206 provably carries bytes of `known`'s version: it has `known`'s strong ETag (a 206
/// sends the ETag a 200 would, RFC 9110 §15.3.7), or `known`'s Last-Modified when no ETag is
/// known, or, for a resource that never had validators, none at all. Anything else could splice
/// two versions into one file.
[[nodiscard]] bool proves_same_version(const validators& known, const response_head& head);

}  // namespace ferry::http
