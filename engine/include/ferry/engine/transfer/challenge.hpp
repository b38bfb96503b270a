// ferry::engine::challenge_request — a server's 401 or a proxy's 407, the question put to whoever
// holds the credentials, and the hook that asks it (a client's, or one exchange's).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "ferry/http/auth.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine {

/// A server (401) or a forward proxy (407) wants credentials for `url`.
struct challenge_request {
  http::url url;
  unsigned status = 401;
  bool proxy = false;
  std::vector<http::challenge> challenges;  ///< from WWW-Authenticate or Proxy-Authenticate
};

/// How a challenge is answered: credentials, or nothing to give up. May be called later, from
/// any thread (a long-running transfer can fetch a fresh token without blocking the loop);
/// calls after the first are ignored.
using challenge_answer = std::function<void(std::optional<http::credentials>)>;

/// Asks for credentials, on a loop thread: it must not block, and answers through `answer`,
/// now or later. An exception thrown here counts as no answer.
using challenge_hook =
    std::function<void(const challenge_request& question, challenge_answer answer)>;

}  // namespace ferry::engine
