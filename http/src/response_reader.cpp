// RFC 9112 §6 (message body framing) on Beast's basic_parser, which we drive by hand:
//
//   HTTP-message   = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//   chunked-body   = *chunk last-chunk trailer-section CRLF
//   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//
// Beast finds the elements; this file adds ferry's framing policy (see response_reader.hpp)
// and hands body bytes on as views into the caller's input.
#include "ferry/http/response_reader.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <optional>

#include "ferry/http/error.hpp"
#include "text.hpp"

namespace ferry::http {
namespace {

using detail::lower;
using detail::trim;

namespace bhttp = boost::beast::http;
using boost::beast::string_view;
using beast_error = boost::beast::error_code;

// The transfer codings of a response, in order, from every Transfer-Encoding field.
std::vector<std::string_view> transfer_codings(const response_head& head) {
  std::vector<std::string_view> codings;
  for (std::string_view value : head.find_all("transfer-encoding")) {
    while (!value.empty()) {
      const auto comma = value.find(',');
      const std::string_view token = trim(value.substr(0, comma));
      if (!token.empty()) {
        codings.push_back(token);
      }
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    }
  }
  return codings;
}

// The status line is judged here before Beast sees it (RFC 9112 §4):
//
//   status-line = HTTP-version SP status-code SP [ reason-phrase ]
//
// Beast requires the SP after the code; curl and every browser accept a line that ends right
// after it ("HTTP/1.1 200"), so such a line is completed before Beast parses the head. A
// version other than 1.0 and 1.1 is refused by name, and bytes that cannot begin a status
// line are refused as soon as they arrive (not when a whole head of garbage has come).
enum class status_line_verdict {
  need_more,    // no CRLF yet, and what came can still begin a status line
  ok,           // Beast parses the rest
  reasonless,   // "HTTP/1.x NNN" CRLF: completed with a SP, then parsed
  garbage,      // cannot be a status line
  bad_version,  // HTTP/ and a version ferry does not speak
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// `scanned`: how many of these bytes an earlier call searched for the LF in vain (the caller
// presents the same bytes again, and more), so that a head trickled in byte by byte costs
// linear time.
status_line_verdict judge_status_line(std::string_view bytes, std::size_t& scanned) {
  static constexpr std::string_view prefix = "HTTP/";
  const std::size_t n = std::min(bytes.size(), prefix.size());
  if (bytes.substr(0, n) != prefix.substr(0, n)) {
    return status_line_verdict::garbage;
  }
  const auto lf = bytes.find('\n', scanned);
  if (lf == std::string_view::npos) {
    scanned = bytes.size();
    return status_line_verdict::need_more;
  }
  if (lf == 0 || bytes[lf - 1] != '\r') {
    return status_line_verdict::garbage;  // a bare LF ends no line of HTTP/1.1 (as Beast says)
  }
  const auto eol = lf - 1;
  const std::string_view line = bytes.substr(0, eol);
  const std::string_view version = line.substr(prefix.size(), 3);
  if (version != "1.1" && version != "1.0") {
    return version.empty() || !is_digit(version.front()) ? status_line_verdict::garbage
                                                         : status_line_verdict::bad_version;
  }
  const bool code_only = line.size() == 12 && line[8] == ' ' && is_digit(line[9]) &&
                         is_digit(line[10]) && is_digit(line[11]);
  return code_only ? status_line_verdict::reasonless : status_line_verdict::ok;
}

// Where the head ends (one past its empty line), or npos while it has not come whole. The
// empty line may follow a bare LF, which Beast then refuses (it is no HTTP/1.1 line ending).
// `scanned` as for judge_status_line.
std::size_t find_head_end(std::string_view bytes, std::size_t& scanned) {
  for (auto lf = bytes.find('\n', scanned); lf != std::string_view::npos;
       lf = bytes.find('\n', lf + 1)) {
    const std::string_view next = bytes.substr(lf + 1, 2);
    if (next.starts_with('\n')) {
      return lf + 2;
    }
    if (next == "\r\n") {
      return lf + 3;
    }
    if (next.size() < 2 && (next.empty() || next.front() == '\r')) {
      scanned = lf;  // the next bytes decide
      return std::string_view::npos;
    }
  }
  scanned = bytes.size();
  return std::string_view::npos;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> response_head::find(std::string_view name) const {
  for (const field& f : fields) {
    if (iequals(f.name, name)) {
      return f.value;
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> response_head::find_all(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const field& f : fields) {
    if (iequals(f.name, name)) {
      values.push_back(f.value);
    }
  }
  return values;
}

class response_reader::impl {
 public:
  impl(response_handler& handler, response_reader_options options)
      : handler_(handler), options_(options) {
    start_message();
  }

  std::size_t put(std::string_view bytes, std::error_code& ec) {
    std::size_t consumed = 0;
    for (;;) {
      if (failure_) {
        ec = failure_;
        return consumed;
      }
      if (done_) {
        stray_bytes_ = stray_bytes_ || consumed < bytes.size();
        ec = {};
        return consumed;
      }
      if (consumed == bytes.size()) {
        ec = error::need_more;
        return consumed;
      }
      message_started_ = true;
      if (!status_line_checked_) {
        const std::size_t used = put_status_line(bytes.substr(consumed), ec);
        if (ec == error::need_more) {
          return consumed;
        }
        consumed += used;
        continue;
      }
      beast_error bec;
      consumed += parser_->put(
          boost::asio::const_buffer{bytes.data() + consumed, bytes.size() - consumed}, bec);
      if (bec == bhttp::error::need_more) {
        ec = error::need_more;
        return consumed;
      }
      if (bec) {
        fail(bec);
        continue;
      }
      if (parser_->is_done() && informational_) {
        start_message();  // a 1xx is behind us; the real response follows
      }
    }
  }

  void put_eof(std::error_code& ec) {
    if (failure_ || done_) {
      ec = failure_;
      return;
    }
    if (!message_started_) {
      // Closed before a byte of this response: nothing at all, or only interim responses.
      failure_ = informational_count_ > 0 ? error::no_final_response : error::empty_reply;
      ec = failure_;
      return;
    }
    if (!parser_->got_some()) {
      failure_ = error::partial_message;  // inside the status line (Beast requires a byte)
      ec = failure_;
      return;
    }
    beast_error bec;
    parser_->put_eof(bec);
    if (bec) {
      fail(bec);
    }
    ec = failure_;
  }

  [[nodiscard]] bool done() const noexcept { return done_; }
  [[nodiscard]] bool keep_alive() const noexcept {
    return done_ && server_keep_alive_ && !close_delimited_ && !stray_bytes_;
  }
  [[nodiscard]] const response_head& head() const noexcept { return head_; }

 private:
  class parser final : public bhttp::basic_parser<false> {
   public:
    explicit parser(impl& owner) : owner_(owner) {}

   private:
    void on_request_impl(bhttp::verb, string_view, string_view, int, beast_error& ec) override {
      ec = bhttp::error::bad_version;  // never called: this parses responses
    }
    void on_response_impl(int code, string_view reason, int version, beast_error& ec) override {
      ec = {};
      owner_.head_.status = static_cast<unsigned>(code);
      owner_.head_.reason.assign(reason.data(), reason.size());
      owner_.head_.version = static_cast<unsigned>(version);
    }
    void on_field_impl(bhttp::field, string_view name, string_view value,
                       beast_error& ec) override {
      ec = {};
      auto& target = is_header_done() ? owner_.trailers_ : owner_.head_.fields;
      target.push_back(
          {std::string{name.data(), name.size()}, std::string{value.data(), value.size()}});
    }
    void on_header_impl(beast_error& ec) override { owner_.on_header(*this, ec); }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, beast_error& ec) override {
      ec = {};
    }
    std::size_t on_body_impl(string_view body, beast_error& ec) override {
      ec = {};
      owner_.handler_.on_body({body.data(), body.size()});
      return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, beast_error& ec) override { ec = {}; }
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, beast_error& ec) override {
      ec = {};
      owner_.handler_.on_body({body.data(), body.size()});
      return body.size();
    }
    void on_finish_impl(beast_error& ec) override { owner_.on_finish(ec); }

    impl& owner_;
  };

  void start_message() {
    parser_.emplace(*this);
    parser_->eager(true);
    parser_->header_limit(options_.header_limit);
    parser_->body_limit(options_.body_limit == UINT64_MAX
                            ? boost::optional<std::uint64_t>{}
                            : boost::optional<std::uint64_t>{options_.body_limit});
    parser_->skip(options_.head_request);
    head_ = {};
    trailers_.clear();
    informational_ = false;
    status_line_checked_ = false;
    message_started_ = false;
    line_scanned_ = 0;
    head_scanned_ = 0;
  }

  // Judges the status line at the front of `bytes` (see judge_status_line) and, once it is
  // known good, lets Beast parse: returns the bytes consumed, or sets `need_more` (consuming
  // nothing, as Beast does until a head is complete) or records the failure.
  std::size_t put_status_line(std::string_view bytes, std::error_code& ec) {
    ec = {};
    switch (judge_status_line(bytes, line_scanned_)) {
      case status_line_verdict::garbage:
        failure_ = error::bad_status_line;
        return 0;
      case status_line_verdict::bad_version:
        failure_ = error::unsupported_version;
        return 0;
      case status_line_verdict::need_more:
        if (bytes.size() > options_.header_limit) {
          failure_ = error::header_too_large;
          return 0;
        }
        ec = error::need_more;
        return 0;
      case status_line_verdict::ok:
        status_line_checked_ = true;
        return 0;
      case status_line_verdict::reasonless:
        break;
    }
    // Beast parses a head only when it is complete, so the completed copy holds all of it.
    const auto end = find_head_end(bytes, head_scanned_);
    if (end == std::string_view::npos) {
      if (bytes.size() > options_.header_limit) {
        failure_ = error::header_too_large;
        return 0;
      }
      ec = error::need_more;
      return 0;
    }
    constexpr std::size_t code_end = 12;  // "HTTP/1.1 200"
    std::string completed;
    completed.reserve(end + 1);
    completed.append(bytes.substr(0, code_end));
    completed += ' ';
    completed.append(bytes.substr(code_end, end - code_end));
    status_line_checked_ = true;
    beast_error bec;
    const std::size_t used =
        parser_->put(boost::asio::const_buffer{completed.data(), completed.size()}, bec);
    if (bec == bhttp::error::need_more && used < completed.size()) {
      failure_ = error::bad_header;  // Beast does not end the head where its empty line is
      return 0;
    }
    if (bec && bec != bhttp::error::need_more) {  // need_more: the body follows in `bytes`
      fail(bec);
      return 0;
    }
    if (parser_->is_done() && informational_) {
      start_message();
    }
    return used > code_end ? used - 1 : used;  // the SP that was added is not the caller's
  }

  void on_header(const parser& p, beast_error& ec) {
    ec = {};
    if (head_.status >= 100 && head_.status < 200) {
      informational_ = true;  // Beast gives a 1xx no body; on_finish reports it
      return;
    }
    const auto codings = transfer_codings(head_);
    const bool has_transfer_encoding = !head_.find_all("transfer-encoding").empty();
    if (has_transfer_encoding && head_.find("content-length")) {
      failure_ = error::conflicting_framing;
    } else if (has_transfer_encoding &&
               (codings.size() != 1 || !iequals(codings.front(), "chunked"))) {
      failure_ = error::bad_transfer_encoding;
    }
    if (failure_) {
      ec = bhttp::error::bad_transfer_encoding;  // stops Beast before any body byte
      return;
    }
    head_.chunked = p.chunked();
    if (const auto length = p.content_length()) {
      head_.content_length = *length;
    }
    server_keep_alive_ = p.keep_alive();
    close_delimited_ = p.need_eof() && !options_.head_request;
    handler_.on_head(head_);
  }

  void on_finish(beast_error& ec) {
    ec = {};
    if (informational_) {
      if (++informational_count_ > options_.max_informational) {
        failure_ = error::too_many_informational;
        ec = bhttp::error::bad_status;
        return;
      }
      handler_.on_informational(head_);
      return;
    }
    if (!trailers_.empty()) {
      handler_.on_trailers(trailers_);
    }
    done_ = true;
    handler_.on_end();
  }

  void fail(const beast_error& bec) {
    if (failure_) {
      return;  // our own policy stopped Beast; keep our reason
    }
    using e = bhttp::error;
    const bool status_line = head_.status == 0;
    if (bec == e::end_of_stream || bec == e::partial_message) {
      failure_ = error::partial_message;
    } else if (bec == e::header_limit || bec == e::buffer_overflow || bec == e::bad_alloc) {
      failure_ = error::header_too_large;
    } else if (bec == e::body_limit) {
      failure_ = error::body_too_large;
    } else if (bec == e::bad_version || bec == e::bad_status || bec == e::bad_reason) {
      failure_ = error::bad_status_line;
    } else if ((bec == e::bad_transfer_encoding && head_.find("content-length")) ||
               (bec == e::bad_content_length && head_.find("transfer-encoding"))) {
      failure_ = error::conflicting_framing;  // Beast stops at the second of the two fields
    } else if (bec == e::bad_content_length || bec == e::multiple_content_length) {
      failure_ = error::bad_content_length;
    } else if (bec == e::bad_transfer_encoding) {
      failure_ = error::bad_transfer_encoding;
    } else if (bec == e::bad_chunk || bec == e::bad_chunk_extension) {
      failure_ = error::bad_chunk;
    } else {
      failure_ = status_line ? error::bad_status_line : error::bad_header;
    }
  }

  response_handler& handler_;
  response_reader_options options_;
  std::optional<parser> parser_;
  response_head head_;
  std::vector<field> trailers_;
  std::error_code failure_;
  unsigned informational_count_ = 0;
  bool informational_ = false;
  bool status_line_checked_ = false;  // this message's status line was judged (and is good)
  bool message_started_ = false;      // a byte of this message was presented
  // How far this message's bytes were searched in vain for the status line's end and for the
  // head's end (see judge_status_line): each byte is searched once however it trickles in.
  std::size_t line_scanned_ = 0;
  std::size_t head_scanned_ = 0;
  bool done_ = false;
  bool server_keep_alive_ = false;
  bool close_delimited_ = false;
  bool stray_bytes_ = false;
};

response_reader::response_reader(response_handler& handler, response_reader_options options)
    : impl_(std::make_unique<impl>(handler, options)) {
}

response_reader::~response_reader() = default;

std::size_t response_reader::put(std::string_view bytes, std::error_code& ec) {
  return impl_->put(bytes, ec);
}

std::size_t response_reader::put(std::span<const std::byte> bytes, std::error_code& ec) {
  return impl_->put({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, ec);
}

void response_reader::put_eof(std::error_code& ec) {
  impl_->put_eof(ec);
}
bool response_reader::done() const noexcept {
  return impl_->done();
}
bool response_reader::keep_alive() const noexcept {
  return impl_->keep_alive();
}
const response_head& response_reader::head() const noexcept {
  return impl_->head();
}

}  // namespace ferry::http
