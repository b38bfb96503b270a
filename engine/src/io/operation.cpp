#include "detail/operation.hpp"

#include "detail/loop_state.hpp"
#include "ferry/engine/error.hpp"

namespace ferry::engine::detail {

void operation::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // recycle() may delete this operation (a closed pool), and with it the last reference to
    // the pool: it touches neither after that.
    pool_->recycle(this);
  }
}

void operation::mark_completed() noexcept {
  // Dekker's handshake with wait_until(): both sides write their flag, then read the other's,
  // all sequentially consistent. Either the waiter sees `completed_`, or we see the waiter and
  // notify under the mutex; so the common case (nobody waiting) takes no lock.
  completed_.store(true, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) != 0) {
    { std::lock_guard lock{mutex_}; }
    done_.notify_all();
  }
}

bool operation::wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
  if (is_completed()) {
    return true;
  }
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  bool completed = false;
  {
    std::unique_lock lock{mutex_};
    completed = done_.wait_until(lock, deadline, [this] { return is_completed(); });
  }
  waiters_.fetch_sub(1, std::memory_order_seq_cst);
  return completed;
}

void operation::reset_for_reuse() noexcept {
  kind = operation_kind::none;
  owner = nullptr;
  state = {};
  callback.reset();
  error = {};
  bytes = 0;
  buffer_count = 0;
  endpoints.clear();
  keep_alive.reset();
  completed_.store(false, std::memory_order_relaxed);
  ended_.store(false, std::memory_order_relaxed);
}

operation_pool::~operation_pool() {
  close();
}

async_result operation_pool::acquire(operation_kind kind, const void* owner,
                                     async_callback&& callback, state_ref state) {
  operation* op = nullptr;
  {
    std::lock_guard lock{lock_};
    if (!free_.empty()) {
      op = free_.back();
      free_.pop_back();
    }
  }
  if (op == nullptr) {
    op = new operation;
    op->loop_ = loop_;
    op->pool_ = shared_from_this();  // for life: ops are recycled, never re-homed
    std::lock_guard lock{lock_};
    ++created_;
    // So that recycle() never reallocates: room for every operation ever created.
    free_.reserve(created_);
  }
  op->kind = kind;
  op->owner = owner;
  op->state = state;
  op->callback = std::move(callback);
  op->refs_.store(1, std::memory_order_relaxed);
  return async_result::adopt(op);
}

void operation_pool::recycle(operation* op) noexcept {
  op->reset_for_reuse();
  std::unique_lock lock{lock_};
  if (closed_) {
    lock.unlock();
    delete op;
    return;
  }
  free_.push_back(op);
}

void operation_pool::close() noexcept {
  std::vector<operation*> idle;
  {
    std::lock_guard lock{lock_};
    closed_ = true;
    idle.swap(free_);
  }
  for (operation* op : idle) {
    delete op;
  }
}

std::size_t operation_pool::created() const noexcept {
  std::lock_guard lock{lock_};
  return created_;
}

std::size_t end_operation(operation_kind kind, const void* owner, async_result& result,
                          std::error_code& ec) {
  ec = {};
  operation* op = result.operation();
  if (op == nullptr) {
    ec = error::invalid_result;
    return 0;
  }
  if (op->kind != kind || op->owner != owner) {
    ec = error::wrong_operation;
    return 0;
  }
  if (!op->is_completed()) {
    result.wait(ec);
    if (ec) {
      return 0;
    }
  }
  if (!op->claim_end()) {
    ec = error::already_ended;
    return 0;
  }
  ec = op->error;
  return op->bytes;
}

void deliver(operation* op, std::error_code ec, std::size_t bytes) noexcept {
  op->error = ec;
  op->bytes = bytes;
  op->mark_completed();
  async_result result = async_result::adopt(op);
  op->loop().invoke(op->callback, result);
  op->callback.reset();
}

}  // namespace ferry::engine::detail
