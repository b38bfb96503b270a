// detail::tcp_impl — the Asio TCP socket behind ferry::engine::socket. Asio TUs only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <span>

#include "asio_stream.hpp"
#include "ferry/engine/io/endpoint.hpp"

namespace ferry::engine::detail {

using tcp = asio::ip::tcp;

[[nodiscard]] tcp::endpoint to_asio(const endpoint& e);
[[nodiscard]] endpoint from_asio(const tcp::endpoint& e);
[[nodiscard]] std::vector<tcp::endpoint> to_asio(std::span<const endpoint> endpoints);

/// Adapts ferry's buffer descriptors to an Asio ConstBufferSequence, without copying them.
class buffer_sequence {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = asio::const_buffer;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = asio::const_buffer;
    iterator() = default;
    explicit iterator(const const_buffer* at) : at_(at) {}
    asio::const_buffer operator*() const { return {at_->data, at_->size}; }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++at_;
      return old;
    }
    bool operator==(const iterator&) const = default;

   private:
    const const_buffer* at_ = nullptr;
  };

  buffer_sequence(const const_buffer* first, std::size_t count) : first_(first), count_(count) {}
  [[nodiscard]] iterator begin() const { return iterator{first_}; }
  [[nodiscard]] iterator end() const { return iterator{first_ + count_}; }

 private:
  const const_buffer* first_;
  std::size_t count_;
};

/// Copies a gather list into `op`; false when it has more buffers than an operation carries.
[[nodiscard]] bool copy_buffers(operation& op, std::span<const const_buffer> buffers) noexcept;

class tcp_impl final : public asio_stream<tcp_impl>, public abortable {
 public:
  explicit tcp_impl(std::shared_ptr<loop_state> loop)
      : asio_stream(std::move(loop)), socket_(strand_), resolver_(strand_) {}
  tcp_impl(std::shared_ptr<loop_state> loop, strand_type strand)
      : asio_stream(std::move(loop), std::move(strand)), socket_(strand_), resolver_(strand_) {}

  async_result connect(std::string_view host, std::uint16_t port, async_callback&& callback,
                       state_ref state, timeout limit);
  async_result connect(std::vector<tcp::endpoint> endpoints, async_callback&& callback,
                       state_ref state, timeout limit);
  async_result send(std::span<const const_buffer> buffers, async_callback&& callback,
                    state_ref state, timeout limit);
  async_result receive(mutable_buffer buffer, async_callback&& callback, state_ref state,
                       timeout limit);
  async_result shutdown(async_callback&& callback, state_ref state, timeout limit);

  void cancel() noexcept;
  void close() noexcept;
  void abort() noexcept override { close(); }
  [[nodiscard]] bool is_open() const noexcept { return open_.load(std::memory_order_acquire); }

  /// A deadline passed on `d`: resolution is not cancelled by a slot, so cancel it here.
  void on_deadline(direction& d) noexcept {
    if (&d == &send_) {
      resolver_.cancel();
    }
  }

  tcp::socket& socket() noexcept { return socket_; }
  std::atomic<bool>& open_flag() noexcept { return open_; }

 private:
  void start_connect(operation* op, const tcp::resolver::results_type& results);
  void close_now() noexcept;

  tcp::socket socket_;
  tcp::resolver resolver_;
  std::atomic<bool> open_{false};
};

}  // namespace ferry::engine::detail
