// ferry::test::tinyproxy_server — Debian's tinyproxy as a real forward proxy (absolute-form
// and CONNECT) on a loopback port chosen at run time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ferry::test {

/// Starts tinyproxy in the foreground with its own configuration, pid file and log in a fresh
/// directory, allowing 127.0.0.1 only; with `user` set, it demands Basic proxy authorization.
/// Throws when it cannot start (the test fails, never skips); stops it by its PID.
class tinyproxy_server {
 public:
  explicit tinyproxy_server(const std::string& user = "", const std::string& password = "");
  ~tinyproxy_server();
  tinyproxy_server(const tinyproxy_server&) = delete;
  tinyproxy_server& operator=(const tinyproxy_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "http://[user:password@]127.0.0.1:PORT".
  [[nodiscard]] std::string url(const std::string& user = "",
                                const std::string& password = "") const;
  /// What tinyproxy logged (requests it saw, CONNECTs it opened).
  [[nodiscard]] std::string log() const;

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace ferry::test
