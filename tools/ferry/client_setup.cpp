#include "client_setup.hpp"

#include <algorithm>
#include <cmath>

#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/throttled_stream.hpp"
#include "ferry/engine/transfer/cookie_file.hpp"
#include "ferry/http/auth.hpp"
#include "ferry/http/proxy.hpp"
#include "ferry/http/request.hpp"

namespace ferry::cli {

std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "k" || unit == "K") {
    scale = 1024;
  } else if (unit == "m" || unit == "M") {
    scale = 1024.0 * 1024;
  } else if (unit == "g" || unit == "G") {
    scale = 1024.0 * 1024 * 1024;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (value < 0 || !std::isfinite(value)) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(value * scale);
}

client_setup::client_setup(const common_options& o, const http::url& target, std::size_t parallel,
                           std::size_t send_chunk, std::error_code& ec, std::string& why)
    : options_(o) {
  ec = {};
  progress_ = o.progress.empty()     ? default_progress_mode(o.silent)
              : o.progress == "json" ? progress_mode::json
              : o.progress == "bar"  ? progress_mode::bar
                                     : progress_mode::none;
  for (const std::string& h : o.headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      ec = engine::error::invalid_argument;
      why = "a header must be \"Name: value\": " + h;
      return;
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (!http::is_valid_field(h.substr(0, colon), value)) {
      ec = engine::error::invalid_argument;
      why = "a header has a forbidden character: " + h;
      return;
    }
    fields_.push_back({h.substr(0, colon), value});
  }
  if (!o.user.empty()) {
    const auto colon = o.user.find(':');
    fields_.push_back(
        {"Authorization",
         http::basic_authorization(o.user.substr(0, colon),
                                   colon == std::string::npos ? "" : o.user.substr(colon + 1))});
  }
  engine::client_options co;
  co.connect = std::chrono::milliseconds{static_cast<long long>(o.connect_timeout * 1000)};
  co.max_connections_per_host = std::max<std::size_t>(parallel, 1);
  co.max_connections = std::max<std::size_t>(parallel * 2, 64);
  co.connection.low_speed_limit = o.speed_limit;
  co.connection.low_speed_time = std::chrono::seconds{o.speed_time};
  co.connection.send_chunk_size = std::max<std::size_t>(send_chunk, 64 * 1024);
  // Receive buffers: 1 MiB for one or a few connections (fewer, larger reads and writes: about
  // a fifth faster into tmpfs than 256 KiB), smaller as connections multiply, so that all of
  // them together stay within 4 MiB.
  co.connection.buffer_size = std::clamp<std::size_t>(
      (4U << 20U) / std::max<std::size_t>(parallel, 1), 64U << 10U, 1U << 20U);
  if (!o.proxy.empty()) {
    co.proxy.proxy = http::url::parse(o.proxy, ec);
    if (ec) {
      why = "not a proxy URL: " + o.proxy;
      return;
    }
  } else {
    co.proxy = http::proxy_settings::from_environment(target);
  }
  if (!o.cacert.empty()) {
    tls_.add_ca_file(o.cacert, ec);
    if (ec) {
      why = "cannot read --cacert " + o.cacert + ": " + ec.message();
      return;
    }
  }
  if (o.insecure) {
    tls_.disable_verification();
  }
  if (!o.cookie.empty()) {
    if (o.cookie.find('=') != std::string::npos) {
      fields_.push_back({"Cookie", o.cookie});
    } else {
      (void)engine::load_cookie_file(jar_, o.cookie, engine::file_system::local(), ec);
      if (ec) {
        why = "cannot read cookies from " + o.cookie + ": " + ec.message();
        return;
      }
    }
  }
  if (!o.cookie.empty() || !o.cookie_jar.empty()) {
    co.cookies = &jar_;
  }
  if (!o.limit_rate.empty()) {
    const auto rate = parse_size(o.limit_rate);
    if (!rate || *rate == 0) {
      ec = engine::error::invalid_argument;
      why = "not a rate: " + o.limit_rate;
      return;
    }
    rate_ = std::make_unique<engine::throttle>(*rate);
    co.wrap_stream = [this](std::unique_ptr<engine::stream> s) -> std::unique_ptr<engine::stream> {
      return std::make_unique<engine::throttled_stream>(loop_, std::move(s), *rate_);
    };
  }
  loop_.start(1);
  client_ = std::make_unique<engine::client>(loop_, tls_, co);
}

client_setup::~client_setup() {
  client_.reset();
  loop_.shutdown();
}

bool client_setup::save_cookies(std::string& why) {
  if (options_.cookie_jar.empty()) {
    return true;
  }
  std::error_code ec;
  engine::save_cookie_file(jar_, options_.cookie_jar, engine::file_system::local(), ec);
  if (ec) {
    why = "cannot write cookies to " + options_.cookie_jar + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace ferry::cli
