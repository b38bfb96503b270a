// ferry::test::nginx_server — a real nginx on a loopback port chosen at run time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ferry::test {

class test_certificate;

/// Starts nginx in the foreground (daemon off, master_process off) with its own configuration,
/// pid file, logs and temp paths inside a fresh directory, serving `root()`. `locations` is
/// extra configuration placed inside the server block. With a certificate, the server speaks
/// TLS. The constructor throws when nginx cannot be started (so the test fails, never skips);
/// the destructor stops it by its PID and removes the directory.
class nginx_server {
 public:
  explicit nginx_server(const std::string& locations = "",
                        const test_certificate* certificate = nullptr);
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }
  /// "http://127.0.0.1:PORT" (or https).
  [[nodiscard]] std::string base_url() const;
  /// Writes `content` to root()/name.
  void put_file(const std::string& name, const std::string& content) const;

 private:
  bool start(const std::string& locations, bool tls);

  std::filesystem::path dir_;
  std::filesystem::path root_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool tls_ = false;
};

}  // namespace ferry::test
