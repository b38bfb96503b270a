// ferry::engine::connection_slots — a client's caps on connections in use, per origin and in all,
// and the line of exchanges waiting for one. No I/O: the client starts whoever is handed back.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ferry::engine {

/// An exchange holds a slot from its first connection (new or pooled) until it completes or
/// moves to another origin (a redirect); past a cap it waits in line, first come first served.
/// Thread-safe.
class connection_slots {
 public:
  /// Whoever holds or waits for a slot (the client's exchange).
  using holder = std::shared_ptr<void>;

  connection_slots(std::size_t per_origin, std::size_t total) noexcept
      : per_origin_(per_origin), total_(total) {}

  /// A slot at `origin` for `who`; false when `who` was put in line instead (release() hands
  /// it back when its turn comes).
  [[nodiscard]] bool take(const std::string& origin, const holder& who);
  /// Gives a slot at `origin` back. Returns who is next: the longest waiting at `origin`, else
  /// (a slot in all came free) the longest waiting at an origin under its cap; null if nobody.
  /// The one returned holds no slot yet: it takes one when it starts again.
  [[nodiscard]] holder release(const std::string& origin);
  /// Takes `who` out of every line; true when it was waiting.
  bool leave(const holder& who);

  [[nodiscard]] std::size_t held() const;
  [[nodiscard]] std::size_t waiting() const;

 private:
  struct origin {
    std::size_t held = 0;
    std::deque<holder> line;
  };

  std::size_t per_origin_;
  std::size_t total_;
  mutable std::mutex mutex_;
  std::map<std::string, origin> origins_;
  std::size_t held_ = 0;
};

}  // namespace ferry::engine
