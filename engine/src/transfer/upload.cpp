#include "ferry/engine/transfer/upload.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

#include "../io/detail/loop_state.hpp"
#include "../io/detail/operation.hpp"
#include "../io/detail/or_throw.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/timer.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/body_source.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/http/error.hpp"
#include "ferry/http/status.hpp"

namespace ferry::engine {
namespace {

// A file_source that owns its file.
class owned_file_source final : public body_source {
 public:
  owned_file_source(std::unique_ptr<file> f, std::uint64_t length)
      : file_(std::move(f)), inner_(*file_, 0, length) {}
  std::size_t read(mutable_buffer into, std::error_code& ec) override {
    return inner_.read(into, ec);
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return inner_.size(); }

 private:
  std::unique_ptr<file> file_;
  file_source inner_;
};

bool is_transient(std::error_code ec) {
  return ec == condition::retryable;
}

}  // namespace

body_opener file_body(std::filesystem::path path) {
  return [path = std::move(path)](std::error_code& ec) -> std::unique_ptr<body_source> {
    auto f = file_system::local().open(path, open_mode::read, ec);
    if (ec) {
      return nullptr;
    }
    const std::uint64_t length = f->size(ec);
    if (ec) {
      return nullptr;
    }
    return std::make_unique<owned_file_source>(std::move(f), length);
  };
}

body_opener descriptor_body(int fd) {
  auto used = std::make_shared<std::atomic<bool>>(false);
  return [fd, used](std::error_code& open_error) -> std::unique_ptr<body_source> {
    open_error = {};
    if (used->exchange(true)) {
      return nullptr;  // a stream is read once
    }
    return std::make_unique<generator_source>([fd](mutable_buffer into, std::error_code& ec) {
      for (;;) {
        const ssize_t n = ::read(fd, into.data, into.size);
        if (n >= 0) {
          return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
          ec = std::error_code{errno, std::system_category()};
          return std::size_t{0};
        }
      }
    });
  };
}

class upload::impl : public std::enable_shared_from_this<upload::impl> {
 public:
  impl(client& via, http::url url, body_opener body, upload_options options)
      : client_(via),
        loop_(via.loop()),
        url_(std::move(url)),
        opener_(std::move(body)),
        options_(std::move(options)),
        clock_(options_.time_source != nullptr ? *options_.time_source : clock::steady()),
        backoff_(loop_, clock_),
        sink_([this](std::string_view bytes, std::error_code&) {
          const std::size_t room =
              options_.keep_response - std::min(options_.keep_response, result_.response.size());
          result_.response.append(bytes.substr(0, std::min(room, bytes.size())));
        }) {}

  async_result begin(async_callback&& callback, state_ref state) {
    async_result engine_ref =
        loop_.state()->pool().acquire(operation_kind::transfer, this, std::move(callback), state);
    async_result user_ref = engine_ref;
    entry in{*this};
    if (started_) {
      loop_.state()->post(engine_ref.release(), error::operation_in_progress, 0);
      return user_ref;
    }
    started_ = true;
    op_ = engine_ref.release();
    op_->keep_alive = shared_from_this();
    attempt();
    return user_ref;
  }

  upload_result end(async_result& result, std::error_code& ec) {
    (void)detail::end_operation(operation_kind::transfer, this, result, ec);
    std::lock_guard lock{mutex_};
    return result_;
  }

  void cancel() {
    loop_.post([self = shared_from_this()] {
      std::lock_guard lock{self->mutex_};
      self->cancelled_ = true;
      self->backoff_.cancel();
      self->client_.cancel(self->exchange_);
    });
  }

  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(); }
  [[nodiscard]] bool loop_running_here() const noexcept { return loop_.running_in_this_thread(); }

 private:
  // Counts what the connection takes from the source, and caps each piece at the chunk size.
  class metered_source final : public body_source {
   public:
    metered_source(impl& owner, std::unique_ptr<body_source> inner)
        : owner_(&owner), inner_(std::move(inner)) {}
    std::size_t read(mutable_buffer into, std::error_code& ec) override {
      into.size = std::min(into.size, owner_->options_.chunk_size);
      const std::size_t n = inner_->read(into, ec);
      owner_->on_sent(n);
      return n;
    }
    [[nodiscard]] std::optional<std::uint64_t> size() const override { return inner_->size(); }

   private:
    impl* owner_;
    std::unique_ptr<body_source> inner_;
  };

  void attempt() {
    std::error_code ec;
    std::unique_ptr<body_source> body = opener_(ec);
    if (ec || !body) {
      return complete(ec ? ec : last_error_);  // cannot be read (again): the last failure stands
    }
    source_ = std::make_unique<metered_source>(*this, std::move(body));
    sent_ = 0;
    result_.response.clear();
    http::request request;
    request.method = options_.method;
    request.url = url_;
    request.fields = options_.fields;
    const auto size = source_->size();
    if (size && !options_.chunked) {
      request.framing = http::body_framing::content_length;
      request.content_length = *size;
    } else {
      request.framing = http::body_framing::chunked;
    }
    request.expect_continue = !size || *size >= options_.expect_continue_from;
    exchange_ = client_.begin_exchange(
        request, sink_, [self = shared_from_this()](async_result& r) { self->on_done(r); }, {},
        source_.get(), {.fresh_connection = malformed_run_ > 0});
  }

  void on_sent(std::size_t n) {
    sent_ += n;
    const auto now = clock_.now();
    if (n == 0 || now - last_progress_ < options_.progress_interval) {
      return;
    }
    last_progress_ = now;
    upload_event e;
    e.what = upload_event::kind::progress;
    e.sent = sent_;
    e.total = source_->size();
    // The first piece may be read inside begin_exchange, in an entry of this thread: held then.
    if (entry_thread_.load() == std::this_thread::get_id()) {
      deliver(e);
    } else if (options_.on_event) {
      deliver_now(e);
    }
  }

  void on_done(async_result& r) {
    entry in{*this};
    std::error_code ec;
    const exchange_result x = client_.end_exchange(r, ec);
    result_.sent = sent_;
    if (cancelled_) {
      return complete(error::operation_aborted);
    }
    // A malformed answer after body bytes went out fails at once: sending a large body twice
    // more to a broken server is worse than failing. Before the body (an answer to Expect),
    // it gets `malformed_attempts` more tries on new connections, as a download's does.
    if (ec == condition::malformed) {
      ++malformed_run_;
      if (sent_ > 0 || malformed_run_ > std::min(options_.malformed_attempts, options_.retries)) {
        return finish(ec, x);
      }
      return retry(ec, x.head.status,
                   options_.malformed_delay * (1U << std::min(malformed_run_ - 1, 16U)));
    }
    malformed_run_ = 0;  // any other outcome ends a run of malformed answers
    const bool again =
        (ec && is_transient(ec)) || (!ec && http::is_retryable_status(x.head.status));
    if (again && transient_retries_ < options_.retries) {
      ++transient_retries_;
      return retry(ec ? ec : std::error_code{error::http_error_status}, x.head.status,
                   options_.retry_delay * (1U << std::min(transient_retries_ - 1, 10U)));
    }
    finish(ec, x);
  }

  // The outcome: the final response (a 413 is a result), or the failure.
  void finish(std::error_code ec, const exchange_result& x) {
    result_.head = x.head;
    upload_event e;
    e.what = ec ? upload_event::kind::failed : upload_event::kind::completed;
    e.sent = sent_;
    e.total = source_->size();
    e.reason = ec;
    e.status = x.head.status;
    deliver(e);
    complete(ec);
  }

  // Reports the retry, waits `delay`, then sends the request again from the body's start.
  void retry(std::error_code reason, unsigned status, clock::duration delay) {
    last_error_ = reason;
    ++result_.retries;
    upload_event e;
    e.what = upload_event::kind::retry;
    e.reason = reason;
    e.status = status;
    deliver(e);
    backoff_.begin_wait(delay, [self = shared_from_this()](async_result& w) {
      entry in{*self};
      std::error_code wait_error;
      self->backoff_.end_wait(w, wait_error);
      if (wait_error || self->cancelled_) {
        return self->complete(error::operation_aborted);
      }
      self->attempt();
    });
  }

  // Under an entry's lock: held, for the entry to deliver once the lock is released.
  void deliver(const upload_event& e) {
    if (options_.on_event) {
      held_.push_back(e);
    }
  }

  // Progress, from the connection's reads of the body (no upload lock is held there).
  void deliver_now(const upload_event& e) {
    try {
      options_.on_event(e);
    } catch (...) {
      loop_.state()->report(std::current_exception());
    }
  }

  // The operation ends after the event that reports it (see entry).
  void complete(std::error_code ec) {
    detail::operation* done = std::exchange(op_, nullptr);
    if (done != nullptr) {
      completion_ = done;
      completion_error_ = ec;
    }
  }

  // An entry into the upload (its start, an exchange's or the backoff's end): the state
  // changes under the lock; then, with no lock held, the events it produced and after them the
  // operation's completion. Entries do not nest and do not overlap: each follows the last.
  class entry {
   public:
    explicit entry(impl& owner) : owner_(owner), lock_(owner.mutex_) {
      owner_.entry_thread_ = std::this_thread::get_id();
    }
    ~entry() {
      owner_.entry_thread_ = std::thread::id{};
      std::vector<upload_event> events = std::move(owner_.held_);
      owner_.held_.clear();
      detail::operation* done = std::exchange(owner_.completion_, nullptr);
      const std::error_code ec = owner_.completion_error_;
      lock_.unlock();
      for (const upload_event& e : events) {
        owner_.deliver_now(e);
      }
      if (done != nullptr) {
        owner_.loop_.state()->post(done, ec, 0);
      }
    }
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

   private:
    impl& owner_;
    std::unique_lock<std::recursive_mutex> lock_;
  };

  std::recursive_mutex mutex_;
  client client_;  // a handle: the client lives as long as this transfer
  io_loop& loop_;
  http::url url_;
  body_opener opener_;
  upload_options options_;
  clock& clock_;
  timer backoff_;
  callback_sink sink_;
  std::unique_ptr<body_source> source_;
  async_result exchange_;
  upload_result result_;
  std::error_code last_error_;
  detail::operation* op_ = nullptr;
  std::atomic<std::uint64_t> sent_{0};
  clock::time_point last_progress_{};
  unsigned transient_retries_ = 0;  // retries after transient failures (`options_.retries`)
  unsigned malformed_run_ = 0;      // malformed answers in a row before any body byte
  std::vector<upload_event> held_;  // events of the current entry, not yet delivered
  std::atomic<std::thread::id> entry_thread_{};  // the thread inside an entry, if any
  detail::operation* completion_ = nullptr;      // the operation, once it ended, until delivered
  std::error_code completion_error_;
  bool started_ = false;
  bool cancelled_ = false;
};

upload::upload(client& via, http::url url, body_opener body, upload_options options)
    : impl_(std::make_shared<impl>(via, std::move(url), std::move(body), std::move(options))) {
}

upload::~upload() {
  impl_->cancel();
}

async_result upload::begin_upload(async_callback callback, state_ref state) {
  return impl_->begin(std::move(callback), state);
}

upload_result upload::end_upload(async_result& result, std::error_code& ec) {
  return impl_->end(result, ec);
}

upload_result upload::end_upload(async_result& result) {
  return detail::or_throw("end_upload",
                          [&](std::error_code& ec) { return end_upload(result, ec); });
}

upload_result upload::run(std::error_code& ec) {
  if (impl_->loop_running_here()) {
    ec = error::would_deadlock;
    return {};
  }
  async_result r = begin_upload({});
  return end_upload(r, ec);
}

upload_result upload::run() {
  return detail::or_throw("upload", [&](std::error_code& ec) { return run(ec); });
}

void upload::cancel() {
  impl_->cancel();
}

std::uint64_t upload::sent() const noexcept {
  return impl_->sent();
}

}  // namespace ferry::engine
