#include "ferry/http/validators.hpp"

namespace ferry::http {

validators validators::of(const response_head& head) {
  validators v;
  if (const auto etag = head.find("etag"); etag && !etag->starts_with("W/")) {
    v.etag = std::string{*etag};
  }
  if (const auto lm = head.find("last-modified")) {
    v.last_modified = std::string{*lm};
  }
  return v;
}

bool names_another_version(const validators& known, const response_head& head) {
  const validators sent = validators::of(head);
  if (!known.etag.empty() && !sent.etag.empty()) {
    return known.etag != sent.etag;
  }
  return !known.last_modified.empty() && !sent.last_modified.empty() &&
         known.last_modified != sent.last_modified;
}

bool proves_same_version(const validators& known, const response_head& head) {
  const validators sent = validators::of(head);
  if (!known.etag.empty()) {
    return sent.etag == known.etag;
  }
  if (!known.last_modified.empty()) {
    return sent.last_modified == known.last_modified;
  }
  return sent.empty();
}

}  // namespace ferry::http
