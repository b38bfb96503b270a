#include "scripted_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <mutex>
#include <optional>

#include "loopback_acceptor.hpp"

namespace ferry::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::size_t find_ci(std::string_view haystack, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < needle.size() && match; ++j) {
      match = std::tolower(static_cast<unsigned char>(haystack[i + j])) ==
              std::tolower(static_cast<unsigned char>(needle[j]));
    }
    if (match) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::string> decode_chunked(std::string_view body) {
  std::string out;
  for (;;) {
    const auto eol = body.find("\r\n");
    if (eol == std::string_view::npos) {
      return std::nullopt;
    }
    std::size_t size = 0;
    try {
      size = std::stoul(std::string{body.substr(0, eol)}, nullptr, 16);
    } catch (...) {
      return std::nullopt;
    }
    body.remove_prefix(eol + 2);
    if (size == 0) {
      return body.substr(0, 2) == "\r\n" ? std::optional{out} : std::nullopt;
    }
    if (body.size() < size + 2 || body.substr(size, 2) != "\r\n") {
      return std::nullopt;
    }
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

struct scripted_server::impl {
  mutable std::mutex mutex;  // the script and the requests
  std::deque<scripted_answer> script;
  responder respond;  // when set, decides every answer instead of the script
  std::vector<std::string> requests;
  std::optional<loopback_acceptor> acceptor;  // last: stopped before the rest goes

  // Reads one request; false when the client closed or sent nonsense.
  bool read_request(tcp::socket& s, std::string& pending, const scripted_answer& answer,
                    std::string& request) {
    const bool read_body = answer.read_body;
    boost::system::error_code ec;
    char chunk[16 * 1024];
    auto more = [&] {
      const std::size_t n = s.read_some(asio::buffer(chunk), ec);
      pending.append(chunk, n);
      return !ec && n > 0;
    };
    std::size_t head_end;
    while ((head_end = pending.find("\r\n\r\n")) == std::string::npos) {
      if (pending.size() > (1U << 20) || !more()) {
        return false;
      }
    }
    head_end += 4;
    if (!answer.interim.empty()) {
      asio::write(s, asio::buffer(answer.interim), ec);
    }
    const std::string_view head{pending.data(), head_end};
    std::size_t total = head_end;
    if (read_body) {
      if (const auto at = find_ci(head, "\r\ncontent-length:"); at != std::string_view::npos) {
        total += std::stoull(std::string{head.substr(at + 17)});
        while (pending.size() < total) {
          if (!more()) {
            return false;
          }
        }
      } else if (find_ci(head, "\r\ntransfer-encoding: chunked") != std::string_view::npos) {
        std::size_t end;
        while ((end = pending.find("\r\n0\r\n\r\n", head_end - 2)) == std::string::npos) {
          if (!more()) {
            return false;
          }
        }
        total = end + 7;
      }
    }
    request = pending.substr(0, total);
    pending.erase(0, total);
    return true;
  }

  void serve(tcp::socket& s) {
    std::string pending;
    boost::system::error_code ec;
    for (;;) {
      scripted_answer answer;
      std::string request;
      if (respond) {
        if (!read_request(s, pending, answer, request)) {
          break;
        }
        std::size_t index = 0;
        {
          std::lock_guard lock{mutex};
          index = requests.size();
          requests.push_back(request);
        }
        auto decided = respond(request, index);
        if (!decided) {
          break;
        }
        answer = std::move(*decided);
      } else {
        {
          std::unique_lock lock{mutex};
          if (script.empty()) {
            break;
          }
          answer = script.front();
        }
        if (!read_request(s, pending, answer, request)) {
          break;
        }
        std::lock_guard lock{mutex};
        if (script.empty()) {
          break;
        }
        script.pop_front();
        requests.push_back(request);
      }
      acceptor->pause(answer.stall);
      const std::size_t limit =
          std::min(answer.bytes.size(), answer.close_after.value_or(answer.bytes.size()));
      const std::size_t piece = answer.trickle == 0 ? limit : answer.trickle;
      for (std::size_t sent = 0; sent < limit && !ec;) {
        const std::size_t n = std::min(piece, limit - sent);
        asio::write(s, asio::buffer(answer.bytes.data() + sent, n), ec);
        sent += n;
        if (answer.trickle != 0 && sent < limit) {
          acceptor->pause(answer.trickle_delay);
        }
      }
      if (ec || answer.close_after || !answer.keep_open) {
        if (answer.reset) {
          acceptor->close(s, true);
        }
        break;
      }
    }
  }
};

scripted_server::scripted_server(std::vector<scripted_answer> script)
    : impl_(std::make_unique<impl>()) {
  impl_->script.assign(script.begin(), script.end());
  impl_->acceptor.emplace("127.0.0.1", [this](tcp::socket& s) { impl_->serve(s); });
}

scripted_server::scripted_server(responder respond) : impl_(std::make_unique<impl>()) {
  impl_->respond = std::move(respond);
  impl_->acceptor.emplace("127.0.0.1", [this](tcp::socket& s) { impl_->serve(s); });
}

scripted_server::~scripted_server() {
  impl_->acceptor->stop();
}

std::uint16_t scripted_server::port() const noexcept {
  return impl_->acceptor->port();
}

std::vector<std::string> scripted_server::requests() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->requests;
}

std::size_t scripted_server::connections() const noexcept {
  return impl_->acceptor->accepted();
}

scripted_answer scripted_server::raw(std::string bytes) {
  scripted_answer a;
  a.bytes = std::move(bytes);
  return a;
}

scripted_answer scripted_server::ok(std::string_view body) {
  scripted_answer a;
  a.bytes = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  a.bytes += body;
  return a;
}

}  // namespace ferry::test
