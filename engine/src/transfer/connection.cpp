#include "ferry/engine/transfer/connection.hpp"

#include <array>
#include <atomic>
#include <cstring>
#include <optional>
#include <vector>

#include "composed_operation.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/stream.hpp"
#include "ferry/engine/transfer/body_sink.hpp"
#include "ferry/engine/transfer/body_source.hpp"
#include "ferry/http/error.hpp"

namespace ferry::engine {

class connection::impl final : public http::response_handler,
                               public std::enable_shared_from_this<connection::impl> {
 public:
  impl(std::unique_ptr<stream> transport, connection_options options)
      : transport_(std::move(transport)),
        options_(options),
        receive_buffer_(new char[options.buffer_size]),
        receive_capacity_(options.buffer_size) {}

  // One request's life. Each state names what it waits for and which state follows.
  enum class state {
    idle,               // no request; begin_request -> sending_head
    sending_head,       // the head (and the first body piece) is being sent
                        //   -> awaiting_continue (Expect), sending_body, or receiving
    awaiting_continue,  // a receive with the short wait: 100 or timeout -> sending_body;
                        //   a final response -> receiving (the body is never sent)
    sending_body,       // pieces from the source, chunk-framed if chunked; after the last
                        //   -> receiving
    receiving,          // receives fed to the reader, body to the sink; end -> idle
    failed,             // an error ended the request; the connection is not reusable
  };

  async_result begin(const http::request& request, http::target_form form, body_source* source,
                     body_sink& sink, async_callback&& callback, state_ref state_object) {
    auto& loop = *transport_->loop_state();
    // Claimed atomically: begin_request may come from any thread; the state machine itself
    // then runs on the stream's callbacks only.
    if (busy_.exchange(true, std::memory_order_acq_rel)) {
      return composed_operation::refuse(loop, this, std::move(callback), state_object,
                                        error::operation_in_progress);
    }
    if (state_ == state::failed) {
      busy_.store(false, std::memory_order_release);
      return composed_operation::refuse(loop, this, std::move(callback), state_object,
                                        error::not_connected);
    }
    std::error_code ec;
    head_bytes_ = http::write_head(request, form, ec);
    if (!ec && request.framing != http::body_framing::none && source == nullptr) {
      ec = error::invalid_argument;
    }
    if (ec) {
      busy_.store(false, std::memory_order_release);
      return composed_operation::refuse(loop, this, std::move(callback), state_object, ec);
    }
    async_result user_ref = pending_.begin(loop, this, std::move(callback), state_object);
    head_ = {};  // what end_request returns is this request's answer, or nothing
    framing_ = request.framing;
    declared_length_ = request.content_length;
    body_sent_ = 0;
    source_ = framing_ == http::body_framing::none ? nullptr : source;
    if (source_ != nullptr && send_buffer_.empty()) {
      send_buffer_.resize(options_.send_chunk_size);  // only connections that send bodies pay
    }
    sink_ = &sink;
    sink_error_ = {};
    filled_ = 0;
    got_response_bytes_ = false;
    continue_received_ = false;
    http::response_reader_options reader_options = options_.reader;
    // A response to HEAD has no body; neither has a 2xx to CONNECT (the tunnel follows), and a
    // refusal's body is not worth reading on a connection that closes.
    reader_options.head_request = request.method == "HEAD" || request.method == "CONNECT";
    reader_.emplace(*this, reader_options);
    state_ = state::sending_head;
    send_head(request.expect_continue);
    return user_ref;
  }

  http::response_head end(async_result& result, std::error_code& ec) {
    (void)composed_operation::end(this, result, ec);
    // A refused begin (busy, closed, a head that cannot be written) never reached head_: its
    // outcome is only the refusal (and head_ may belong to the request in flight).
    const bool refused = ec == error::operation_in_progress || ec == error::not_connected ||
                         ec == error::invalid_argument;
    return composed_operation::outcome_known(ec) && !refused ? head_ : http::response_head{};
  }

  [[nodiscard]] bool reusable() const noexcept {
    return transport_ && !busy_.load(std::memory_order_acquire) && state_ == state::idle &&
           reader_ && reader_->done() && reader_->keep_alive() && transport_->is_open();
  }

  void close() noexcept {
    if (transport_) {
      transport_->close();
    }
  }
  stream& transport() noexcept { return *transport_; }

  std::unique_ptr<stream> release_transport() {
    if (busy_.load(std::memory_order_acquire) || state_ != state::idle || filled_ != 0) {
      return nullptr;
    }
    state_ = state::failed;  // nothing more runs on this connection
    return std::move(transport_);
  }

 private:
  // --- sending -----------------------------------------------------------------------------

  void send_head(bool expect_continue) {
    expect_continue_ = expect_continue && source_ != nullptr;
    piece_parts parts{buffer(head_bytes_)};
    std::size_t count = 1;
    // Without Expect, the first body piece goes out with the head (one send, one packet).
    if (source_ != nullptr && !expect_continue_) {
      std::error_code ec;
      const std::size_t n = next_piece(ec);
      if (ec) {
        return fail(ec);
      }
      count = add_piece(parts, count, n);
    }
    send(std::span<const const_buffer>{parts.data(), count},
         [](impl& self) { self.on_head_sent(); });
  }

  void on_head_sent() {
    if (expect_continue_) {
      state_ = state::awaiting_continue;
      receive(options_.continue_wait);
      return;
    }
    after_piece_sent();
  }

  void after_piece_sent() {
    if (source_ == nullptr || body_done_) {
      state_ = state::receiving;
      receive(options_.first_byte);
      return;
    }
    state_ = state::sending_body;
    piece_parts parts{};
    std::error_code ec;
    const std::size_t n = next_piece(ec);
    if (ec) {
      return fail(ec);
    }
    const std::size_t count = add_piece(parts, 0, n);
    send(std::span<const const_buffer>{parts.data(), count},
         [](impl& self) { self.after_piece_sent(); });
  }

  // Reads the next piece of the body into send_buffer_; sets body_done_ after the last.
  std::size_t next_piece(std::error_code& ec) {
    body_done_ = false;
    const std::size_t n = source_->read(buffer(send_buffer_), ec);
    if (ec) {
      return 0;
    }
    body_sent_ += n;
    if (framing_ == http::body_framing::content_length) {
      if (body_sent_ > declared_length_ || (n == 0 && body_sent_ != declared_length_)) {
        ec = error::invalid_argument;  // the source disagrees with the declared length
        return 0;
      }
      body_done_ = body_sent_ == declared_length_;
    } else {
      body_done_ = n == 0;
    }
    return n;
  }

  // The head, a chunk-size line, the data, and the CRLF (with the last chunk after the final
  // piece): one gather write, no copy of the body.
  using piece_parts = std::array<const_buffer, 4>;

  // Adds a piece of `n` bytes from send_buffer_ (chunk-framed when chunked) to `parts`.
  std::size_t add_piece(piece_parts& parts, std::size_t count, std::size_t n) {
    if (framing_ != http::body_framing::chunked) {
      if (n > 0) {
        parts[count++] = buffer(send_buffer_.data(), n);
      }
      return count;
    }
    if (n > 0) {
      chunk_size_line_ = http::chunk_header(n);
      parts[count++] = buffer(chunk_size_line_);
      parts[count++] = buffer(send_buffer_.data(), n);
    }
    if (n > 0 && body_done_) {
      parts[count++] = buffer(http::chunk_end_and_last());
    } else if (n > 0) {
      parts[count++] = buffer(http::chunk_end());
    } else if (body_done_) {
      parts[count++] = buffer(http::last_chunk());
    }
    return count;
  }

  template <class Next>
  void send(std::span<const const_buffer> parts, Next next) {
    transport_->begin_send(
        parts,
        [self = shared_from_this(), next](async_result& r) {
          std::error_code ec;
          (void)self->transport_->end_send(r, ec);
          if (ec) {
            return self->fail(ec);
          }
          next(*self);
        },
        {}, options_.send);
  }

  // --- receiving ---------------------------------------------------------------------------

  void receive(timeout limit) {
    if (filled_ == receive_capacity_) {
      return fail(http::error::header_too_large);  // the buffer holds no complete element
    }
    transport_->begin_receive(
        buffer(receive_buffer_.get() + filled_, receive_capacity_ - filled_),
        [self = shared_from_this()](async_result& r) { self->on_receive(r); }, {}, limit);
  }

  void on_receive(async_result& r) {
    std::error_code ec;
    const std::size_t n = transport_->end_receive(r, ec);
    if (ec == error::timed_out && state_ == state::awaiting_continue && !got_response_bytes_) {
      state_ = state::sending_body;  // no answer to Expect: send the body anyway
      return after_piece_sent();
    }
    if (ec) {
      return fail(ec);
    }
    if (n == 0) {
      reader_->put_eof(ec);
      if (ec) {
        return fail(ec);
      }
      return reader_->done() ? finish() : fail(http::error::partial_message);
    }
    got_response_bytes_ = true;
    filled_ += n;
    if (const std::error_code slow = check_low_speed(n)) {
      return fail(slow);
    }
    const std::size_t used = reader_->put({receive_buffer_.get(), filled_}, ec);
    std::memmove(receive_buffer_.get(), receive_buffer_.get() + used, filled_ - used);
    filled_ -= used;
    if (sink_error_) {
      return fail(sink_error_);
    }
    if (ec && ec != http::error::need_more) {
      return fail(ec);
    }
    if (reader_->done()) {
      return finish();
    }
    if (state_ == state::awaiting_continue && continue_received_) {
      state_ = state::sending_body;
      return after_piece_sent();
    }
    receive(options_.stall);
  }

  std::error_code check_low_speed(std::size_t n) {
    if (options_.low_speed_limit == 0) {
      return {};
    }
    const auto now = std::chrono::steady_clock::now();
    if (window_bytes_ == 0 && window_start_ == std::chrono::steady_clock::time_point{}) {
      window_start_ = now;
    }
    window_bytes_ += n;
    if (now - window_start_ >= options_.low_speed_time) {
      const auto needed =
          options_.low_speed_limit * static_cast<std::uint64_t>(options_.low_speed_time.count());
      if (window_bytes_ < needed) {
        return error::timed_out;
      }
      window_start_ = now;
      window_bytes_ = 0;
    }
    return {};
  }

  // --- response events (inside reader_->put) ------------------------------------------------

  void on_informational(const http::response_head& h) override {
    if (h.status == 100) {
      continue_received_ = true;
    }
  }
  void on_head(const http::response_head& h) override {
    head_ = h;
    sink_->on_head(h, sink_error_);
    if (state_ == state::awaiting_continue) {
      // A final answer before the body (a 401 or 413, say): the body is never sent, and the
      // server may not read the rest of our request, so the connection ends with this response.
      state_ = state::receiving;
      abandoned_body_ = true;
    }
  }
  void on_body(std::string_view bytes) override {
    if (!sink_error_) {
      sink_->write(bytes, sink_error_);
    }
  }

  // --- completion ----------------------------------------------------------------------------

  void finish() {
    state_ = abandoned_body_ ? state::failed : state::idle;
    abandoned_body_ = false;
    if (state_ == state::failed) {
      transport_->close();
    }
    complete({});
  }

  void fail(std::error_code ec) {
    state_ = state::failed;
    transport_->close();
    complete(ec);
  }

  void complete(std::error_code ec) {
    if (!pending_.pending()) {
      return;
    }
    composed_operation done = pending_.take();
    busy_.store(false, std::memory_order_release);  // the callback may begin the next request
    // Posted: the user's callback never runs inside a stream callback of ours either.
    done.complete(ec);
  }

  std::unique_ptr<stream> transport_;
  connection_options options_;
  // Not zeroed: its pages are touched only as bytes arrive, so an idle pooled connection costs
  // address space, not memory.
  std::unique_ptr<char[]> receive_buffer_;
  std::size_t receive_capacity_;
  std::size_t filled_ = 0;
  std::vector<char> send_buffer_;  // allocated by the first request with a body
  std::string head_bytes_;
  std::string chunk_size_line_;
  std::optional<http::response_reader> reader_;
  http::response_head head_;
  state state_ = state::idle;
  std::atomic<bool> busy_{false};
  composed_operation pending_;
  http::body_framing framing_ = http::body_framing::none;
  std::uint64_t declared_length_ = 0;
  std::uint64_t body_sent_ = 0;
  body_source* source_ = nullptr;
  body_sink* sink_ = nullptr;
  std::error_code sink_error_;
  std::chrono::steady_clock::time_point window_start_{};
  std::uint64_t window_bytes_ = 0;
  bool body_done_ = false;
  bool expect_continue_ = false;
  bool continue_received_ = false;
  bool got_response_bytes_ = false;
  bool abandoned_body_ = false;
};

connection::connection(std::unique_ptr<stream> transport, connection_options options)
    : impl_(std::make_shared<impl>(std::move(transport), options)) {
}

connection::~connection() {
  impl_->close();
}

async_result connection::begin_request(const http::request& request, http::target_form form,
                                       body_sink& sink, async_callback callback, state_ref state,
                                       body_source* source) {
  return impl_->begin(request, form, source, sink, std::move(callback), state);
}

async_result connection::begin_request(const http::request& request, http::target_form form,
                                       body_source* source, body_sink& sink,
                                       async_callback callback, state_ref state) {
  return impl_->begin(request, form, source, sink, std::move(callback), state);
}

http::response_head connection::end_request(async_result& result, std::error_code& ec) {
  return impl_->end(result, ec);
}

http::response_head connection::end_request(async_result& result) {
  std::error_code ec;
  http::response_head head = end_request(result, ec);
  if (ec) {
    throw std::system_error{ec, "end_request"};
  }
  return head;
}

bool connection::reusable() const noexcept {
  return impl_->reusable();
}
std::unique_ptr<stream> connection::release_transport() {
  return impl_->release_transport();
}
void connection::close() noexcept {
  impl_->close();
}
stream& connection::transport() noexcept {
  return impl_->transport();
}

}  // namespace ferry::engine
