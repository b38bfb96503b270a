#include "ferry/engine/transfer/connection_pool.hpp"

#include <algorithm>
#include <vector>

#include "ferry/engine/transfer/connection.hpp"

namespace ferry::engine {

connection_pool::connection_pool(connection_pool_options options)
    : options_(options),
      clock_(options.time_source != nullptr ? *options.time_source : clock_source::steady()) {
}

// Out of line: the idle entries own connections, complete only here.
connection_pool::~connection_pool() = default;

std::unique_ptr<connection> connection_pool::take(const std::string& key) {
  std::vector<std::unique_ptr<connection>> stale;  // closed outside the lock
  std::unique_ptr<connection> found;
  {
    std::lock_guard lock{mutex_};
    const auto now = clock_.now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      const bool expired = now - it->since > options_.idle_timeout || !it->conn->reusable();
      if (expired) {
        stale.push_back(std::move(it->conn));
        it = idle_.erase(it);
      } else if (!found && it->key == key) {
        found = std::move(it->conn);
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return found;
}

void connection_pool::put(const std::string& key, std::unique_ptr<connection> c) {
  if (!c || !c->reusable()) {
    return;  // destroyed: closed
  }
  std::unique_ptr<connection> evicted;
  std::lock_guard lock{mutex_};
  const auto same_key = static_cast<std::size_t>(
      std::count_if(idle_.begin(), idle_.end(), [&](const entry& e) { return e.key == key; }));
  if (same_key >= options_.max_idle_per_key || options_.max_idle == 0) {
    return;
  }
  if (idle_.size() >= options_.max_idle) {
    evicted = std::move(idle_.back().conn);  // the least recently used goes
    idle_.pop_back();
  }
  idle_.push_front({key, std::move(c), clock_.now()});
}

std::size_t connection_pool::idle() const {
  std::lock_guard lock{mutex_};
  return idle_.size();
}

}  // namespace ferry::engine
