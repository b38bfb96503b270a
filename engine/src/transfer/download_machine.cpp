#include "download_machine.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "download_attempt.hpp"
#include "download_segment.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/io/file_work.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/timer.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/range_answer.hpp"
#include "ferry/engine/transfer/resume_record.hpp"
#include "ferry/engine/transfer/retry_schedule.hpp"
#include "ferry/engine/transfer/segment_plan.hpp"
#include "ferry/http/error.hpp"
#include "ferry/http/validators.hpp"
#include "partial_file.hpp"
#include "progress_meter.hpp"
#include "transfer_outbox.hpp"
#include "transfer_throttle.hpp"

namespace ferry::engine {

namespace {

// The state machine of one download. Its phases are in `enum class phase` below, with what each
// consumes and what comes next; every entry into it is an `entry` (see transfer_outbox).
class machine final : public detail::download_machine,
                      public detail::segment_owner,
                      public std::enable_shared_from_this<machine> {
 public:
  machine(client& via, http::url url, download_options options)
      : client_(via),
        loop_(via.loop()),
        url_(std::move(url)),
        options_(std::move(options)),
        clock_(options_.time_source != nullptr ? *options_.time_source : clock_source::steady()),
        files_(options_.files != nullptr ? *options_.files : file_system::local()),
        pace_(detail::own_throttle(options_.rate_limit, options_.rate_parent, clock_)),
        backoff_(loop_, clock_),
        retries_(options_.retry, options_.seed),
        outbox_(*loop_.state(), mutex_, options_.on_event, options_.on_milestone),
        disk_(files_, options_.output, options_.durable, options_.on_milestone),
        meter_(options_.progress_interval) {
    if (options_.segments == 0) {
      options_.segments = 1;
    }
  }

  // ---- the public calls -------------------------------------------------------------------

  async_result begin(async_callback&& callback, state_ref state) override {
    async_result user_ref;
    {
      std::lock_guard lock{mutex_};
      if (state_ != transfer_state::idle || refusal_) {
        return composed_operation::refuse(
            *loop_.state(), this, std::move(callback), state,
            refusal_ ? refusal_ : make_error_code(error::operation_in_progress));
      }
      user_ref = op_.begin(*loop_.state(), this, std::move(callback), state);
      op_.keep_alive(shared_from_this());
      state_ = transfer_state::running;
    }
    post_entry([](machine& m) { m.prepare(); });
    return user_ref;
  }

  download_result end(async_result& result, std::error_code& ec) override {
    (void)composed_operation::end(this, result, ec);
    std::lock_guard lock{mutex_};
    return result_;
  }

  void pause() override {
    post_entry([](machine& m) { m.on_pause(); });
  }
  void resume() override {
    post_entry([](machine& m) { m.on_resume(); });
  }
  void cancel() override {
    post_entry([](machine& m) { m.stop(stop_kind::cancel, error::operation_aborted); });
  }
  // A request that cannot run: begin completes with `why`.
  void refuse(std::error_code why) override {
    std::lock_guard lock{mutex_};
    refusal_ = why;
  }

  // The download object is going away: stop as a pause would, then end the operation.
  void detach() override {
    post_entry([](machine& m) { m.stop(stop_kind::detach, error::operation_aborted); });
  }

  [[nodiscard]] bool loop_running_here() const noexcept override {
    return loop_.running_in_this_thread();
  }

  [[nodiscard]] transfer_state state() const override {
    std::lock_guard lock{mutex_};
    return state_;
  }
  [[nodiscard]] transfer_progress progress() const override {
    std::lock_guard lock{mutex_};
    return snapshot();
  }

 private:
  // Every way into the state machine (a posted call, a sink call, an exchange's or the
  // backoff's end) is an entry (see transfer_outbox): the state changes under the lock; the
  // events it produced and then the operation's completion are delivered without it.
  class entry : public transfer_outbox::entry {
   public:
    explicit entry(machine& owner) : transfer_outbox::entry(owner.outbox_) {}
  };

  // Runs `step` on the loop as an entry.
  template <class Step>
  void post_entry(Step step) {
    loop_.post([self = shared_from_this(), step] {
      entry in{*self};
      step(*self);
    });
  }

  using segment = detail::segment;
  using role = detail::segment_role;
  using after_exchange = detail::after_exchange;

  // The state machine. `state_` is what the caller sees (transfer_state: idle, running,
  // backing_off, paused, completed, failed, cancelled); while the download runs, `phase_` says
  // what it is doing, and what is in flight is `segments_` (requests), `backing_off_` (the wait)
  // and the file work of the finalizing phase.
  enum class phase {
    // begin_download posted prepare(): it opens the output.
    //   -> confirming  the output exists, and a finished download's validators are on it
    //   -> fetching    the partial file is locked (its record read), or a stream target is open
    //   -> (failed)    output_exists, file_locked, local I/O
    preparing,
    // One conditional GET (launch_confirm, on_confirm): is the existing output current?
    //   304, or the same validators and length -> (completed, already_complete)
    //   another version -> (failed, output_exists: the file is the user's to keep)
    //   a transient failure -> a backoff, then confirming again
    confirming,
    // Range requests for every missing byte, up to `segments` at once (launch_gaps). Heads are
    // judged in on_segment_head (206, 200, 416, an error status), bodies written in
    // on_segment_body,
    // checkpoints taken every interval. An exchange's end (on_exchange_done) fills the gaps
    // again, retries after a backoff (other segments go on meanwhile), restarts from zero (the
    // resource changed: restart), or fails.
    //   nothing missing and nothing in flight -> finalizing
    fetching,
    // Verify, sync and rename on a file-work thread (finish, on_finalized).
    //   renamed -> (completed); else -> (failed), or the pause or cancel that came meanwhile
    finalizing,
  };

  // How the transfer stops (stop): every request and the wait are dropped, and once nothing is
  // in flight (settle) the files are kept or removed, the event is sent and the operation ends
  // (a pause keeps it pending). For a while (pause), for good, or because its owner went away
  // (detach: as a pause, then the operation ends).
  enum class stop_kind { pause, cancel, fail, complete, detach };

  // ---- starting -----------------------------------------------------------------------------

  // Opens and locks the partial file, reads the record, and starts the first attempt.
  void prepare() {
    if (state_ != transfer_state::running) {
      return;
    }
    std::error_code ec;
    const std::string url = url_.without_credentials().text();
    record_.url = url;
    const file_status existing = files_.status(options_.output, ec);
    if (ec) {
      return stop(stop_kind::fail, ec);
    }
    // A character device (/dev/null, a terminal), a FIFO or a socket: written straight through.
    if (options_.stream_output || existing.kind == file_kind::stream) {
      disk_.open_stream(ec);
      if (ec) {
        return stop(stop_kind::fail, ec);
      }
      phase_ = phase::fetching;
      emit(transfer_event_kind::started);
      return launch_gaps();
    }
    if (!options_.overwrite && existing.kind != file_kind::none) {
      // Fetched before by ferry, with validators to ask about: done if it has not changed.
      auto recalled =
          existing.kind == file_kind::regular ? disk_.recall(url, existing.size) : std::nullopt;
      if (recalled) {
        record_ = std::move(*recalled);
        phase_ = phase::confirming;
        launch_confirm();
        return;
      }
      return stop(stop_kind::fail, error::output_exists);
    }
    record_ = disk_.open(url, ec);
    if (ec) {
      disk_.release(false);
      return stop(stop_kind::fail, ec);
    }
    result_.resumed = written().size();
    last_checkpoint_ = clock_.now();
    phase_ = phase::fetching;
    emit(transfer_event_kind::started);
    if (disk_.lost()) {
      ++result_.restarts;  // from zero, and not the server's doing: max_restarts is not spent
      emit(transfer_event_kind::restarted, error::partial_file_lost);
    }
    launch_gaps();
  }

  // A conditional GET: 304 (or the same validators and length) means the file is current.
  void launch_confirm() { begin_exchange(segments_.add(*this, 0, std::nullopt, role::confirm)); }

  void begin_exchange(segment& seg) {
    seg.exchange = client_.begin_exchange(
        request_for(seg, url_, options_.fields, record_, written()), seg.sink,
        [self = shared_from_this(), s = &seg](async_result& r) { self->on_exchange_done(*s, r); },
        {}, nullptr,
        {.fresh_connection = seg.malformed_run > 0,
         .pace = pace_,
         .on_challenge = options_.on_challenge});
  }

  // Starts requests for every byte still missing that no request in flight covers, up to
  // `segments` requests; finishes when nothing is missing.
  void launch_gaps() {
    if (state_ != transfer_state::running) {
      return;
    }
    const std::size_t active = segments_.active();
    if (phase_ == phase::confirming) {
      if (active == 0) {
        launch_confirm();
      }
      return;
    }
    if (!record_.length) {
      if (active != 0) {
        return;  // unknown length: one stream, already running
      }
      const std::uint64_t from = written().prefix();
      const bool segmented = options_.segments > 1 && !disk_.streaming();
      launch(from, std::nullopt, segmented ? role::probe : (from == 0 ? role::whole : role::range));
      return;
    }
    const std::size_t slots = options_.segments > active ? options_.segments - active : 0;
    const auto plan = plan_segments(segments_.covered(written(), *record_.length), *record_.length,
                                    slots, options_.min_segment_size);
    if (plan.empty() && active == 0) {
      return finish();  // nothing missing (with no request in flight, every slot is free)
    }
    for (const byte_range& r : plan) {
      launch(r.first, r.end, role::range);
    }
  }

  void launch(std::uint64_t first, std::optional<std::uint64_t> end, role r) {
    begin_exchange(segments_.add(*this, first, end, r));
  }

  // ---- the response -------------------------------------------------------------------------

  // Judges the head (judge_answer: the range and If-Range rules) and acts on the verdict.
  // (Each sink call is an entry.)
  void on_segment_head(segment& seg, const http::response_head& head,
                       std::error_code& ec) override {
    entry in{*this};
    seg.status = head.status;
    result_.status = head.status;
    if (seg.dropped || state_ != transfer_state::running) {
      ec = error::operation_aborted;
      return;
    }
    const range_answer answer = judge_answer(head, question_for(seg, record_, written()));
    using verdict = range_answer::verdict;
    switch (answer.what) {
      case verdict::part:
        adopt_validators(head);
        seg.body_end = answer.body_end;
        if (!record_.length && answer.complete) {
          record_.length = answer.complete;
          prepare_segments(seg, ec);
        }
        return;
      case verdict::whole:
        return on_whole_content(seg, head, answer, ec);
      case verdict::complete:
        seg.satisfied = true;
        result_.already_complete = true;
        if (answer.complete) {
          record_.length = answer.complete;
        }
        if (answer.body_unwanted) {
          seg.done = true;
          ec = error::operation_aborted;
        }
        return;  // otherwise the body (a 416's page) is ignored, the exchange ends normally
      case verdict::restart:
        restart(seg, answer.reason, ec);
        if (!ec) {
          ec = answer.reason;  // this response's bytes are not wanted: ask again
        }
        return;
      case verdict::changed:
        ec = answer.reason;  // it changed, and the file is the user's to keep
        fatal_ = true;
        return;
      case verdict::refuse:
        seg.retry_after = answer.retry_after;
        ec = answer.reason;
        return;
    }
  }

  // The whole resource from byte 0 (restarting first when bytes of another version are on
  // disk): every other request is superseded, this response carries every byte.
  void on_whole_content(segment& seg, const http::response_head& head, const range_answer& answer,
                        std::error_code& ec) {
    if (answer.restart) {
      restart(seg, answer.reason, ec);
      if (ec) {
        return;
      }
    }
    drop_all(&seg);
    seg.first = 0;
    seg.next = 0;
    seg.role = role::whole;
    seg.end = answer.complete;
    seg.body_end = seg.end;
    http::validators sent = http::validators::of(head);
    record_.etag = std::move(sent.etag);
    record_.last_modified = std::move(sent.last_modified);
    record_.length = seg.end;
    if (!disk_.streaming()) {
      checkpoint(ec);
    }
  }

  // The length is now known: preallocate, and give the other segments their share.
  void prepare_segments(segment& seg, std::error_code& ec) {
    if (options_.segments <= 1 || disk_.streaming() || !record_.length) {
      return;
    }
    disk_.data().allocate(0, *record_.length, ec);
    if (ec) {
      return;
    }
    if (seg.role == role::probe) {
      const std::uint64_t rest = *record_.length - seg.first;
      const std::uint64_t share =
          std::max<std::uint64_t>(options_.min_segment_size, rest / options_.segments);
      seg.end = std::min(*record_.length, seg.first + share);
      seg.role = role::range;
    }
    checkpoint(ec);
    if (!ec) {
      launch_gaps();
    }
  }

  void adopt_validators(const http::response_head& head) {
    http::validators sent = http::validators::of(head);
    if (record_.etag.empty()) {
      record_.etag = std::move(sent.etag);
    }
    if (record_.last_modified.empty()) {
      record_.last_modified = std::move(sent.last_modified);
    }
  }

  // Discards the bytes on disk: a fresh record, an empty partial file, every other request
  // dropped. `seg` may go on with a whole response.
  void restart(segment& seg, std::error_code reason, std::error_code& ec) {
    if (disk_.streaming() || result_.restarts >= options_.retry.max_restarts) {
      ec = reason;  // bytes already went out, or it keeps changing: give up
      fatal_ = true;
      return;
    }
    ++result_.restarts;
    seg.restart_reason = reason;
    drop_all(&seg);
    segments_.forget_malformed();
    record_ = resume_record{};
    record_.url = url_.without_credentials().text();
    disk_.restart(record_, ec);
    since_checkpoint_ = 0;
    last_checkpoint_ = clock_.now();
    emit(transfer_event_kind::restarted, reason);
  }

  void on_segment_body(segment& seg, std::string_view bytes, std::error_code& ec) override {
    entry in{*this};
    if (seg.status < 200 || seg.status > 299) {
      return;  // a 416's page
    }
    if (seg.dropped || state_ != transfer_state::running) {
      ec = error::operation_aborted;
      return;
    }
    std::size_t n = bytes.size();
    if (seg.end && seg.next + n > *seg.end) {
      n = static_cast<std::size_t>(*seg.end - seg.next);
    }
    if (n > 0) {
      const std::size_t stored = disk_.data().write_at(seg.next, buffer(bytes.data(), n), ec);
      written().add(seg.next, seg.next + stored);
      if (stored > 0) {
        // This response delivers: a new run of malformed answers for it, and for any range
        // that would have resumed inside what it brought.
        segments_.delivered(seg, seg.next, seg.next + stored);
      }
      seg.next += stored;
      result_.received += stored;
      since_checkpoint_ += stored;
      if (ec) {
        fatal_ = true;  // the disk, not the network
        return;
      }
    }
    if (seg.end && seg.next >= *seg.end && (!seg.body_end || *seg.body_end > *seg.end)) {
      seg.done = true;  // the rest of this response belongs to another segment
      ec = error::operation_aborted;
    }
    const auto now = clock_.now();  // one reading a piece serves both
    maybe_checkpoint(now, ec);
    maybe_progress(now);
  }

  // ---- an exchange ends -----------------------------------------------------------------------

  void on_exchange_done(segment& seg, async_result& r) {
    entry in{*this};
    std::error_code ec;
    // The head was seen (and judged) by the segment's sink, except a 401 or 407 that the
    // client kept from it to ask for credentials and that nobody answered: judged here.
    const exchange_result x = client_.end_exchange(r, ec);
    if (seg.done || seg.satisfied) {
      ec = {};
    } else if (!ec && seg.status == 0 && x.head.status >= 400) {
      seg.status = x.head.status;
      result_.status = x.head.status;
      ec = error::http_error_status;
    }
    const bool complete_body = !ec && !seg.satisfied && (seg.status >= 200 && seg.status <= 299);
    if (complete_body && !record_.length) {
      record_.length = seg.next;  // a body of unknown length ended cleanly: that is all of it
    }
    if (complete_body && ((seg.end && seg.next < *seg.end) ||
                          (seg.body_end && seg.next < *seg.body_end && !seg.done))) {
      ec = http::error::partial_message;  // cannot happen with a well-framed 206; be sure
    }
    const detail::exchange_end end{.error = ec,
                                   .restart_reason = seg.restart_reason,
                                   .status = seg.status,
                                   .dropped = seg.dropped,
                                   .running = state_ == transfer_state::running,
                                   .confirming = phase_ == phase::confirming,
                                   .fatal = fatal_};
    const auto retry_after = seg.retry_after;
    const unsigned malformed_run = seg.malformed_run;
    const std::uint64_t resume_at = seg.next;
    segments_.remove(seg);
    switch (detail::after(end)) {
      case after_exchange::settle:
        return settle();
      case after_exchange::confirmed: {
        result_.length = record_.length.value_or(0);
        result_.output = options_.output;
        std::error_code ignored;  // a record left by a crash between the rename and its removal
        files_.remove(record_path(options_.output), ignored);
        return stop(stop_kind::complete, {});
      }
      case after_exchange::ask_again:
        return launch_gaps();
      case after_exchange::retry_malformed:
        return retry_malformed(ec, resume_at, malformed_run + 1);
      case after_exchange::retry_later:
        return retry_later(ec, 0, std::nullopt);
      case after_exchange::retry_status:
        return retry_later(ec, end.status, retry_after);
      case after_exchange::fail:
        return stop(stop_kind::fail, ec);
      case after_exchange::fill_gaps:
        if (!backing_off_) {
          launch_gaps();
        }
        return;
    }
  }

  // Waits, then fetches whatever is missing. Other segments in flight go on meanwhile.
  void retry_later(std::error_code reason, unsigned status,
                   std::optional<std::chrono::seconds> retry_after) {
    const auto delay = retries_.on_failure(result_.received, retry_after);
    if (!delay) {
      result_.status = status;
      return stop(stop_kind::fail, reason);
    }
    wait_then_retry(reason, status, *delay);
  }

  // The `run`-th malformed answer in a row for the range from `resume_at`: the server will
  // likely answer the same way, so only `malformed_attempts` more tries, short waits apart,
  // each on a new connection; then the violation is the outcome.
  void retry_malformed(std::error_code reason, std::uint64_t resume_at, unsigned run) {
    const auto delay = retries_.on_malformed(run);
    if (!delay) {
      return stop(stop_kind::fail, reason);
    }
    segments_.remember_malformed(resume_at, run);
    wait_then_retry(reason, 0, *delay);
  }

  // Reports the retry, waits `delay` on the clock, then fetches whatever is missing.
  void wait_then_retry(std::error_code reason, unsigned status, clock_source::duration delay) {
    if (backing_off_) {
      return;  // one wait covers every failed segment
    }
    ++result_.retries;
    backing_off_ = true;
    if (segments_.active() == 0) {
      state_ = transfer_state::backing_off;
    }
    transfer_event e = event(transfer_event_kind::retry, reason);
    e.status = status;
    e.delay = delay;
    deliver(e);
    backoff_.begin_wait(delay, [self = shared_from_this()](async_result& r) {
      entry in{*self};
      std::error_code ec;
      self->backoff_.end_wait(r, ec);
      self->backing_off_ = false;
      if (self->state_ == transfer_state::backing_off) {
        self->state_ = transfer_state::running;
      }
      if (ec || self->state_ != transfer_state::running) {
        return self->settle();
      }
      if (self->phase_ == phase::confirming) {
        return self->launch_confirm();
      }
      self->launch_gaps();
    });
  }

  // ---- checkpoints and progress --------------------------------------------------------------

  void maybe_checkpoint(clock_source::time_point now, std::error_code& ec) {
    if (disk_.streaming() || ec) {
      return;
    }
    if (since_checkpoint_ >= options_.checkpoint_bytes ||
        now - last_checkpoint_ >= options_.checkpoint_interval) {
      checkpoint(ec);
      if (ec) {
        fatal_ = true;
      }
    }
  }

  // The partial file's checkpoint (data synced per durability, then the record claiming it).
  // The "checkpoint" milestone is delivered with the events, after the lock is released.
  void checkpoint(std::error_code& ec) {
    if (disk_.checkpoint(record_, ec)) {
      outbox_.push_milestone("checkpoint");
    }
    last_checkpoint_ = clock_.now();
    since_checkpoint_ = 0;
  }

  void maybe_progress(clock_source::time_point now) {
    if (meter_.due(now, result_.received)) {
      emit(transfer_event_kind::progress);
    }
  }

  [[nodiscard]] byte_ranges& written() { return disk_.written(); }
  [[nodiscard]] const byte_ranges& written() const { return disk_.written(); }

  [[nodiscard]] transfer_progress snapshot() const {
    return meter_.snapshot(result_.received, written().size(), record_.length);
  }

  [[nodiscard]] transfer_event event(transfer_event_kind kind, std::error_code reason = {}) const {
    transfer_event e;
    e.kind = kind;
    e.progress = snapshot();
    e.reason = reason;
    e.status = result_.status;
    return e;
  }

  void emit(transfer_event_kind kind, std::error_code reason = {}) {
    deliver(event(kind, reason));
    meter_.reported(result_.received);
  }

  // Under the lock: queued, for the entry to deliver once the lock is released.
  void deliver(const transfer_event& e) { outbox_.push(e); }

  // ---- the end ------------------------------------------------------------------------------

  // Every byte is on disk: verify, sync, rename into place.
  void finish() {
    const std::uint64_t length = record_.length.value_or(written().size());
    result_.length = length;
    result_.output = options_.output;
    if (disk_.streaming()) {
      return stop(stop_kind::complete, {});
    }
    if (written().size() != length || written().prefix() != length) {
      return stop(stop_kind::fail, error::length_mismatch);
    }
    // The rest blocks on the disk: on a file-work thread, while no request is in flight and
    // settle() leaves the partial file alone (the finalizing phase).
    phase_ = phase::finalizing;
    auto outcome = std::make_shared<partial_file::finalized>();
    begin_file_work(
        loop_,
        [self = shared_from_this(), outcome, length](std::error_code& ec) {
          // Reads the partial file, the record and the options, which nothing changes while
          // finalizing.
          const auto& o = self->options_;
          self->disk_.finalize(self->record_, length, o.checksum, o.overwrite, *outcome, ec);
        },
        [self = shared_from_this(), outcome](async_result& r) {
          entry in{*self};
          self->on_finalized(*outcome, r);
        });
  }

  // Back on a loop thread. A pause or cancel that came meanwhile is honoured unless the output
  // is already in place.
  void on_finalized(const partial_file::finalized& out, async_result& r) {
    phase_ = phase::fetching;  // what is left: a pause, a cancel or a failure to settle
    std::error_code ec;
    end_file_work(r, ec);
    if (out.renamed) {
      disk_.disown();  // it is the output now
      return stop(stop_kind::complete, {});
    }
    discard_partial_ = discard_partial_ || out.bad_bytes;
    if (state_ != transfer_state::running) {
      return settle();
    }
    stop(stop_kind::fail, ec ? ec : std::error_code{error::file_io_error});
  }

  void on_pause() {
    if (state_ == transfer_state::running || state_ == transfer_state::backing_off) {
      stop(stop_kind::pause, {});
    }
  }

  void on_resume() {
    if (state_ != transfer_state::paused) {
      return;
    }
    state_ = transfer_state::running;
    paused_reported_ = false;
    retries_.reset();  // the caller asked again: every count starts over
    segments_.forget_malformed();
    if (segments_.empty()) {
      launch_gaps();
    }  // otherwise the last stopped request's end starts the next attempt
  }

  // Stops every request and the backoff; the rest happens in settle() once none is left.
  void stop(stop_kind kind, std::error_code ec) {
    switch (kind) {
      case stop_kind::pause:
        state_ = transfer_state::paused;
        break;
      case stop_kind::cancel:
        if (terminal()) {
          return;
        }
        state_ = transfer_state::cancelled;
        break;
      case stop_kind::fail:
        state_ = transfer_state::failed;
        break;
      case stop_kind::complete:
        state_ = transfer_state::completed;
        break;
      case stop_kind::detach:
        if (terminal()) {
          return;
        }
        detached_ = true;
        state_ = transfer_state::paused;
        break;
    }
    outcome_ = ec;
    result_.unconfirmed =
        kind == stop_kind::fail && phase_ == phase::confirming && ec == condition::retryable;
    drop_all();
    backoff_.cancel();
    settle();
  }

  void drop_all(const segment* keep = nullptr) {
    segments_.drop_all([this](segment& s) { client_.cancel(s.exchange); }, keep);
  }

  [[nodiscard]] bool terminal() const {
    return state_ == transfer_state::completed || state_ == transfer_state::failed ||
           state_ == transfer_state::cancelled;
  }

  // Once no request is in flight: keep or remove the files, report, end the operation.
  void settle() {
    if (!segments_.empty() || backing_off_ || phase_ == phase::finalizing) {
      return;
    }
    switch (state_) {
      case transfer_state::running:
        return launch_gaps();
      case transfer_state::backing_off:
        return;
      case transfer_state::paused:
        if (!paused_reported_) {
          paused_reported_ = true;
          save_quietly();
          if (!detached_) {
            emit(transfer_event_kind::paused);
          }
        }
        if (detached_) {
          disk_.release(false);
          return complete(error::operation_aborted);
        }
        return;
      case transfer_state::failed:
        if (written().empty() || discard_partial_) {
          disk_.release(true);  // nothing worth resuming: leave nothing behind
        } else {
          save_quietly();
          disk_.release(false);
        }
        emit(transfer_event_kind::failed, outcome_);
        return complete(outcome_);
      case transfer_state::cancelled:
        disk_.release(true);
        return complete(error::operation_aborted);
      case transfer_state::completed:
        disk_.release(false);
        emit(transfer_event_kind::completed);
        return complete({});
      case transfer_state::idle:
        return;
    }
  }

  void save_quietly() {
    std::error_code ignored;  // a failure to save leaves the last checkpoint, still true
    checkpoint(ignored);
  }

  // The operation ends after the events before it are delivered (see transfer_outbox).
  void complete(std::error_code ec) { outbox_.complete(op_, ec); }

  mutable std::recursive_mutex mutex_;
  client client_;  // a handle: the client lives as long as this transfer
  io_loop& loop_;
  http::url url_;
  download_options options_;
  clock_source& clock_;
  file_system& files_;
  std::shared_ptr<throttle> pace_;  // the download's own limit, shared by its segments, if any
  timer backoff_;
  retry_schedule retries_;
  transfer_outbox outbox_;  // events and the completion, delivered with no lock held

  transfer_state state_ = transfer_state::idle;
  composed_operation op_;
  download_result result_;
  std::error_code outcome_;

  partial_file disk_;             // the partial file and its record, or the stream target
  resume_record record_;          // the URL, validators and length known of the resource
  detail::segment_set segments_;  // the requests in flight

  std::error_code refusal_;  // the request cannot run (refuse): every begin completes with it
  phase phase_ = phase::preparing;
  bool backing_off_ = false;      // the backoff wait is in flight
  bool fatal_ = false;            // the last failure is not worth a retry (the disk, a give-up)
  bool discard_partial_ = false;  // a failure whose bytes must not be resumed from (checksum)
  bool paused_reported_ = false;  // the paused event of the current pause went out
  bool detached_ = false;         // the download object went: stop as a pause, then end
  std::uint64_t since_checkpoint_ = 0;
  clock_source::time_point last_checkpoint_{};
  progress_meter meter_;
};

}  // namespace

std::shared_ptr<detail::download_machine> detail::download_machine::create(
    client& via, http::url url, download_options options) {
  return std::make_shared<machine>(via, std::move(url), std::move(options));
}

}  // namespace ferry::engine
