#include "ferry/engine/transfer/upload.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

#include "../or_throw.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/timer.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/body_source.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/retry_schedule.hpp"
#include "ferry/http/error.hpp"
#include "ferry/http/status.hpp"
#include "progress_meter.hpp"
#include "transfer_checks.hpp"
#include "transfer_outbox.hpp"
#include "transfer_throttle.hpp"

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
        clock_(options_.time_source != nullptr ? *options_.time_source : clock_source::steady()),
        pace_(detail::own_throttle(options_.rate_limit, options_.rate_parent, clock_)),
        backoff_(loop_, clock_),
        retries_(options_.retry, options_.seed),
        outbox_(*loop_.state(), mutex_, options_.on_event),
        meter_(options_.progress_interval),
        sink_([this](std::string_view bytes, std::error_code&) {
          const std::size_t room =
              options_.keep_response - std::min(options_.keep_response, result_.response.size());
          result_.response.append(bytes.substr(0, std::min(room, bytes.size())));
        }) {}

  // ---- the public calls -------------------------------------------------------------------

  async_result begin(async_callback&& callback, state_ref state) {
    entry in{*this};
    if (state_ != transfer_state::idle || refusal_) {
      return composed_operation::refuse(
          *loop_.state(), this, std::move(callback), state,
          refusal_ ? refusal_ : make_error_code(error::operation_in_progress));
    }
    async_result user_ref = op_.begin(*loop_.state(), this, std::move(callback), state);
    op_.keep_alive(shared_from_this());
    state_ = transfer_state::running;
    attempt();
    return user_ref;
  }

  upload_result end(async_result& result, std::error_code& ec) {
    (void)composed_operation::end(this, result, ec);
    std::lock_guard lock{mutex_};
    return result_;
  }

  void pause() {
    loop_.post([self = shared_from_this()] {
      entry in{*self};
      self->on_pause();
    });
  }
  void resume() {
    loop_.post([self = shared_from_this()] {
      entry in{*self};
      self->on_resume();
    });
  }
  void cancel() {
    loop_.post([self = shared_from_this()] {
      entry in{*self};
      self->on_cancel();
    });
  }

  // A request that cannot run: begin completes with `why`.
  void refuse(std::error_code why) {
    std::lock_guard lock{mutex_};
    refusal_ = why;
  }

  [[nodiscard]] transfer_state state() const {
    std::lock_guard lock{mutex_};
    return state_;
  }
  [[nodiscard]] transfer_progress progress() const {
    std::lock_guard lock{mutex_};
    return snapshot();
  }
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(); }
  [[nodiscard]] bool loop_running_here() const noexcept { return loop_.running_in_this_thread(); }

 private:
  // Every way into the state machine (a begin, a posted call, an exchange's or the backoff's
  // end) is an entry (see transfer_outbox). It marks its thread as inside, for on_sent.
  class entry : public transfer_outbox::entry {
   public:
    explicit entry(impl& owner)
        : transfer_outbox::entry(owner.outbox_),
          owner_(owner),
          outer_(owner.inside_entry_.exchange(std::this_thread::get_id())) {}
    ~entry() { owner_.inside_entry_ = outer_; }
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

   private:
    impl& owner_;
    std::thread::id outer_;
  };

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

  // The phases of one upload, in `state_` (transfer_state):
  //   running      an attempt's exchange is in flight (`in_flight_`); its end -> completed,
  //                failed, or backing_off (a retry)
  //   backing_off  the backoff wait is in flight; its end -> running (a new attempt, body from
  //                byte 0)
  //   paused       pause() stopped the exchange or the wait; once it ended, a `paused` event.
  //                resume() -> running (a new attempt once nothing is in flight)
  //   completed    the final response came (whatever its status); the operation ended
  //   failed       the transport or the source failed past the policy; the operation ended
  //   cancelled    cancel(); the operation ended with operation_aborted
  // A stop (pause, cancel) bumps `generation_`: the end of what was in flight then is stale,
  // and only settles the stop.

  // Opens the body and sends the request: a new attempt, from byte 0.
  void attempt() {
    std::error_code ec;
    std::unique_ptr<body_source> body = opener_(ec);
    if (ec || !body) {
      // Cannot be read (again): the last failure stands; after a pause, the stream is gone.
      return fail(ec            ? ec
                  : last_error_ ? last_error_
                                : make_error_code(error::body_not_replayable));
    }
    source_ = std::make_unique<metered_source>(*this, std::move(body));
    total_ = source_->size();
    sent_ = 0;
    result_.sent = 0;
    result_.response.clear();
    if (!started_reported_) {
      started_reported_ = true;
      emit(transfer_event_kind::started);
    }
    http::request request;
    request.method = options_.method;
    request.url = url_;
    request.fields = options_.fields;
    if (total_ && !options_.chunked) {
      request.framing = http::body_framing::content_length;
      request.content_length = *total_;
    } else {
      request.framing = http::body_framing::chunked;
    }
    request.expect_continue = !total_ || *total_ >= options_.expect_continue_from;
    in_flight_ = true;
    exchange_ = client_.begin_exchange(request, sink_,
                                       [self = shared_from_this(), generation = generation_](
                                           async_result& r) { self->on_done(r, generation); },
                                       {}, source_.get(),
                                       {.fresh_connection = malformed_run_ > 0,
                                        .pace = pace_,
                                        .on_challenge = options_.on_challenge});
  }

  // From the connection's reads of the body: on the loop thread that sends it, inside this
  // upload's entry (the first piece, read within begin_exchange) or with no upload lock held.
  void on_sent(std::size_t n) {
    sent_ += n;
    transferred_ += n;
    if (n == 0) {
      return;
    }
    transfer_event e;
    {
      std::lock_guard lock{meter_mutex_};
      if (!meter_.due(clock_.now(), transferred_.load())) {
        return;
      }
      e.kind = transfer_event_kind::progress;
      e.progress = meter_.snapshot(transferred_.load(), sent_.load(), total_);
      meter_.reported(transferred_.load());
    }
    if (inside_entry_.load() == std::this_thread::get_id()) {
      outbox_.push(e);
    } else {
      outbox_.deliver_now(e);
    }
  }

  void on_done(async_result& r, std::uint64_t generation) {
    entry in{*this};
    std::error_code ec;
    const exchange_result x = client_.end_exchange(r, ec);
    in_flight_ = false;
    result_.sent = sent_;
    furthest_ = std::max(furthest_, sent_.load());
    if (generation != generation_) {
      return settle_stop();
    }
    // A malformed answer after body bytes went out fails at once: sending a large body twice
    // more to a broken server is worse than failing. Before the body (an answer to Expect),
    // it gets `malformed_attempts` more tries on new connections, as a download's does.
    if (ec == condition::malformed) {
      ++malformed_run_;
      const auto delay = sent_ > 0 ? std::nullopt : retries_.on_malformed(malformed_run_);
      if (!delay) {
        return finish(ec, x);
      }
      return retry(ec, x.head.status, *delay);
    }
    malformed_run_ = 0;  // any other outcome ends a run of malformed answers
    const bool transient = ec == condition::retryable;
    const bool retryable_status = !ec && http::is_retryable_status(x.head.status);
    if (transient || retryable_status) {
      const auto delay =
          retries_.on_failure(furthest_, retryable_status ? retry_after_of(x.head) : std::nullopt);
      if (delay) {
        return retry(ec ? ec : make_error_code(error::http_error_status), x.head.status, *delay);
      }
    }
    finish(ec, x);
  }

  // The outcome: the final response (a 413 is a result), or the failure.
  void finish(std::error_code ec, const exchange_result& x) {
    result_.head = x.head;
    if (ec) {
      return fail(ec);
    }
    state_ = transfer_state::completed;
    emit(transfer_event_kind::completed);
    outbox_.complete(op_, {});
  }

  void fail(std::error_code ec) {
    state_ = transfer_state::failed;
    emit(transfer_event_kind::failed, ec);
    outbox_.complete(op_, ec);
  }

  // Reports the retry, waits `delay`, then sends the request again from the body's start.
  void retry(std::error_code reason, unsigned status, clock_source::duration delay) {
    last_error_ = reason;
    ++result_.retries;
    state_ = transfer_state::backing_off;
    transfer_event e = event(transfer_event_kind::retry, reason);
    e.status = status;
    e.delay = delay;
    outbox_.push(e);
    in_flight_ = true;
    backoff_.begin_wait(delay,
                        [self = shared_from_this(), generation = generation_](async_result& w) {
                          entry in{*self};
                          std::error_code wait_error;
                          self->backoff_.end_wait(w, wait_error);
                          self->in_flight_ = false;
                          if (generation != self->generation_) {
                            return self->settle_stop();
                          }
                          if (wait_error) {
                            return self->fail(wait_error);
                          }
                          self->state_ = transfer_state::running;
                          self->attempt();
                        });
  }

  // ---- pause, resume, cancel ----------------------------------------------------------------

  // Stops what is in flight; its end (stale from now on) settles the stop.
  void stop_in_flight() {
    ++generation_;
    backoff_.cancel();
    client_.cancel(exchange_);
    if (!in_flight_) {
      settle_stop();
    }
  }

  void on_pause() {
    if (state_ != transfer_state::running && state_ != transfer_state::backing_off) {
      return;
    }
    state_ = transfer_state::paused;
    paused_reported_ = false;
    stop_in_flight();
  }

  void on_resume() {
    if (state_ != transfer_state::paused) {
      return;
    }
    state_ = transfer_state::running;
    retries_.reset();  // the caller asked again: every count starts over
    malformed_run_ = 0;
    last_error_ = {};  // a stream body that cannot be re-opened is body_not_replayable now
    if (!in_flight_) {
      attempt();
    }  // else the stopped exchange's end starts the attempt (settle_stop)
  }

  void on_cancel() {
    if (state_ == transfer_state::idle || state_ == transfer_state::completed ||
        state_ == transfer_state::failed || state_ == transfer_state::cancelled) {
      return;
    }
    state_ = transfer_state::cancelled;
    stop_in_flight();
  }

  // What was in flight at a stop has ended: settle the state the stop left.
  void settle_stop() {
    if (in_flight_) {
      return;  // the wait and the exchange are never both in flight; the other end comes
    }
    switch (state_) {
      case transfer_state::paused:
        if (!paused_reported_) {
          paused_reported_ = true;
          emit(transfer_event_kind::paused);
        }
        return;
      case transfer_state::running:
        return attempt();  // resumed before the stop settled
      case transfer_state::cancelled:
        return outbox_.complete(op_, error::operation_aborted);
      case transfer_state::idle:
      case transfer_state::backing_off:
      case transfer_state::completed:
      case transfer_state::failed:
        return;
    }
  }

  // ---- events -------------------------------------------------------------------------------

  [[nodiscard]] transfer_progress snapshot() const {
    std::lock_guard lock{meter_mutex_};
    return meter_.snapshot(transferred_.load(), sent_.load(), total_);
  }

  [[nodiscard]] transfer_event event(transfer_event_kind kind, std::error_code reason = {}) const {
    transfer_event e;
    e.kind = kind;
    e.progress = snapshot();
    e.reason = reason;
    e.status = result_.head.status;
    return e;
  }

  void emit(transfer_event_kind kind, std::error_code reason = {}) {
    outbox_.push(event(kind, reason));
    std::lock_guard lock{meter_mutex_};
    meter_.reported(transferred_.load());
  }

  mutable std::recursive_mutex mutex_;
  client client_;  // a handle: the client lives as long as this transfer
  io_loop& loop_;
  http::url url_;
  body_opener opener_;
  upload_options options_;
  clock_source& clock_;
  std::shared_ptr<throttle> pace_;  // the upload's own limit, if any
  timer backoff_;
  retry_schedule retries_;
  transfer_outbox outbox_;          // events and the completion, delivered with no lock held
  mutable std::mutex meter_mutex_;  // a leaf: on_sent takes it without the upload's lock
  progress_meter meter_;
  callback_sink sink_;

  transfer_state state_ = transfer_state::idle;
  composed_operation op_;
  std::error_code refusal_;  // the request cannot run (refuse): every begin completes with it
  std::unique_ptr<body_source> source_;
  std::optional<std::uint64_t> total_;  // the body's length, when known
  async_result exchange_;
  upload_result result_;
  std::error_code last_error_;
  std::atomic<std::uint64_t> sent_{0};         // body bytes taken in this attempt
  std::atomic<std::uint64_t> transferred_{0};  // body bytes taken in all attempts
  std::uint64_t furthest_ = 0;                 // the most any attempt sent (progress)
  std::uint64_t generation_ = 0;               // bumped by every stop (see settle_stop)
  unsigned malformed_run_ = 0;                 // malformed answers in a row before any body byte
  bool in_flight_ = false;                     // an exchange or the backoff wait
  bool started_reported_ = false;
  bool paused_reported_ = false;
  std::atomic<std::thread::id> inside_entry_{};  // the thread inside an entry, if any
};

upload::upload(client& via, http::url url, body_opener body, upload_options options)
    : impl_(std::make_shared<impl>(via, std::move(url), std::move(body), std::move(options))) {
}

namespace {

// The request's values and the environment's objects, over the tuning the caller chose.
upload_options options_for(const transfer_request& request, const transfer_environment& environment,
                           upload_options o) {
  o.method = request.method.empty() ? "PUT" : request.method;
  o.fields = request.fields;
  o.chunked = request.chunked;
  o.chunk_size = request.chunk_size;
  o.rate_limit = request.rate_limit;
  o.rate_parent = environment.rate_parent;
  o.on_challenge = environment.on_challenge;
  o.retry = request.retry;
  o.on_event = environment.on_event;
  o.time_source = environment.time_source;
  o.seed = environment.seed;
  return o;
}

body_opener body_of(const transfer_request& request, const transfer_environment& environment) {
  return request.body.empty() ? environment.body : file_body(request.body);
}

}  // namespace

upload::upload(const transfer_request& request, const transfer_environment& environment,
               upload_options tuning)
    : impl_(std::make_shared<impl>(detail::required_client(environment, "upload: no client"),
                                   request.url, body_of(request, environment),
                                   options_for(request, environment, std::move(tuning)))) {
  const std::error_code why = detail::refusal_for(request, environment, transfer_kind::upload);
  if (why) {
    impl_->refuse(why);
  }
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

void upload::pause() {
  impl_->pause();
}
void upload::resume() {
  impl_->resume();
}
void upload::cancel() {
  impl_->cancel();
}
transfer_state upload::state() const noexcept {
  return impl_->state();
}
transfer_progress upload::progress() const {
  return impl_->progress();
}
std::uint64_t upload::sent() const noexcept {
  return impl_->sent();
}

}  // namespace ferry::engine
