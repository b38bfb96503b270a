// ferry::test::loopback_server — a TCP (optionally TLS) server on a loopback port chosen at run
// time, with scripted behaviours, for engine tests. Runs on its own threads with its own Asio.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace ferry::test {

class test_certificate;

/// What the server does with each accepted connection.
enum class server_mode {
  echo,    ///< Sends back every byte it receives, until the client closes.
  silent,  ///< Accepts and never sends; holds the connection until stopped.
  reset,   ///< Accepts and resets at once (RST).
  close,   ///< Accepts and closes gracefully at once (FIN).
  sink,    ///< Reads until the client closes, checking bytes against pattern_byte().
};

class loopback_server {
 public:
  /// Starts listening on `address` ("127.0.0.1" or "::1"), port 0 (the system picks one).
  /// With `certificate`, connections are TLS (the server presents that certificate).
  explicit loopback_server(server_mode mode, std::string address = "127.0.0.1",
                           const test_certificate* certificate = nullptr);
  ~loopback_server();  // stops: closes the listener and every connection, joins its threads
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] std::size_t connections() const noexcept;
  /// For `sink`: bytes received, and whether every byte matched the pattern.
  [[nodiscard]] std::uint64_t bytes_received() const noexcept;
  [[nodiscard]] bool pattern_ok() const noexcept;
  /// Waits (bounded by `seconds`) until `count` connections have ended.
  bool wait_for_finished(std::size_t count, int seconds = 30) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ferry::test
