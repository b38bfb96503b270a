// ferry::engine::connection_pool — idle keep-alive connections, by what makes them shareable.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "ferry/engine/io/clock.hpp"

namespace ferry::engine {

class connection;

struct connection_pool_options {
  std::size_t max_idle_per_key = 6;  ///< idle connections kept for one key
  std::size_t max_idle = 64;         ///< idle connections kept in all
  /// An idle connection older than this is closed instead of reused.
  std::chrono::seconds idle_timeout{60};
  /// The clock idle times are read on (tests pass a manual_clock); null: steady.
  clock_source* time_source = nullptr;
};

/// Keeps idle connections for reuse. The key is everything that must match for a connection
/// to be shared: origin, proxy, TLS settings and credentials (see `client`); connections are
/// never handed across keys. Only reusable connections are kept (`connection::reusable`), a
/// connection that saw an error is closed, and idle ones expire. Thread-safe.
class connection_pool {
 public:
  explicit connection_pool(connection_pool_options options = {});
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  /// An idle connection for `key`, or null. Expired and no longer reusable ones are closed.
  [[nodiscard]] std::unique_ptr<connection> take(const std::string& key);
  /// Offers a connection back after a request; kept only if reusable and within the caps.
  void put(const std::string& key, std::unique_ptr<connection> c);
  [[nodiscard]] std::size_t idle() const;

 private:
  struct entry {
    std::string key;
    std::unique_ptr<connection> conn;
    clock_source::time_point since;
  };
  connection_pool_options options_;
  clock_source& clock_;
  mutable std::mutex mutex_;
  std::list<entry> idle_;  // most recently used first
};

}  // namespace ferry::engine
