// ferry CLI — the options `get` and `put` share (curl's spellings), and the client they build.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/throttle.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/http/cookie_jar.hpp"
#include "progress.hpp"

namespace ferry::cli {

struct common_options {
  std::vector<std::string> headers;  // -H "Name: value"
  std::string user;                  // -u user:password
  std::string proxy;                 // -x URL
  std::string cookie;                // -b "a=1; b=2" or FILE
  std::string cookie_jar;            // -c FILE
  std::string limit_rate;            // --limit-rate 10M
  int retry = -1;                    // --retry N (-1: the default policy)
  double connect_timeout = 30;       // --connect-timeout SECONDS
  std::uint64_t speed_limit = 0;     // -Y bytes/s
  int speed_time = 30;               // -y seconds
  std::string cacert;                // --cacert FILE
  bool insecure = false;             // -k
  bool location = false;             // -L (redirects are always followed)
  bool silent = false;               // -s
  std::string progress;              // --progress bar|json|none
};

/// "100", "10K", "1.5M", "2G" (powers of 1024, as curl) -> bytes; empty on nonsense.
[[nodiscard]] std::optional<std::uint64_t> parse_size(const std::string& text);

/// A loop, TLS settings, cookies, a rate limit and a client, built from the options.
class client_setup {
 public:
  /// Errors: usage (a bad header, rate or proxy), local I/O (a CA or cookie file).
  /// `target` (the first URL) picks the proxy from the environment when -x is not given.
  client_setup(const common_options& options, const http::url& target, std::size_t parallel,
               std::size_t send_chunk, std::error_code& ec, std::string& why);
  ~client_setup();

  [[nodiscard]] engine::client& client() { return *client_; }
  [[nodiscard]] engine::io_loop& loop() { return loop_; }
  /// The -H fields and -u's Authorization, for each request.
  [[nodiscard]] const std::vector<http::field>& fields() const { return fields_; }
  [[nodiscard]] progress_mode progress() const { return progress_; }
  /// Writes the cookie jar (-c), if asked; returns false with `why` on failure.
  bool save_cookies(std::string& why);

 private:
  const common_options& options_;
  engine::io_loop loop_;
  engine::tls_context tls_;
  http::cookie_jar jar_;
  std::unique_ptr<engine::throttle> rate_;
  std::vector<http::field> fields_;
  progress_mode progress_ = progress_mode::none;
  std::unique_ptr<engine::client> client_;
};

}  // namespace ferry::cli
