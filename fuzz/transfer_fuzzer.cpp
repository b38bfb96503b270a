// The whole-transfer fuzzer: the real `download` (resume, retries, restarts, segments) against
// an in-memory peer whose every answer the input decides, with a manual clock (no sleeping)
// and the output on tmpfs. The oracle knows the right answer:
//
//   The resource has a few versions; byte i of version v is a function of i and v, and each
//   version has its own length and ETag (or none). The peer may lie in framing, status, cuts,
//   ranges and headers, but the bytes it sends at a position are always the named version's
//   bytes at that position, and an answer that names no validator carries version 0.
//
//   If the download reports success, the output is exactly one version — never a splice of two,
//   never a prefix. If it reports failure, nothing is at the output path. Then a second download
//   (a new process, as it were) resumes from whatever the first left, under the same rules.
//
// The peer never cuts a close-delimited 200: a body whose only end is the close is, cut short,
// a shorter representation, which no HTTP client can tell from the whole (see the README).
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/engine/io/clock.hpp"
#include "ferry/engine/io/io_loop.hpp"
#include "ferry/engine/io/timer.hpp"
#include "ferry/engine/io/tls_context.hpp"
#include "ferry/engine/transfer/client.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "memory_peer.hpp"

namespace {

using namespace ferry;
namespace fs = std::filesystem;

struct version {
  std::string body;
  std::string etag;           // empty: none
  std::string last_modified;  // empty: none
};

constexpr std::size_t max_length = 12000;

// Byte i of version v, for every i below max_length: computed once, cut to each length.
std::string version_bytes(std::size_t length, unsigned v) {
  static const auto all = [] {
    std::vector<std::string> versions;
    for (unsigned k = 0; k < 3; ++k) {
      std::string out(max_length, '\0');
      for (std::size_t i = 0; i < max_length; ++i) {
        const std::uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ (k + 1) * 0xbf58476d1ce4e5b9ULL;
        out[i] = static_cast<char>((x >> 29) ^ x);
      }
      versions.push_back(std::move(out));
    }
    return versions;
  }();
  return all.at(v).substr(0, length);
}

// FERRY_FUZZ_TRACE=1 prints each request and answer: to read a failing input's story.
bool tracing() {
  static const bool on = std::getenv("FERRY_FUZZ_TRACE") != nullptr;
  return on;
}

std::optional<std::string> field(const std::string& request, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const auto at = request.find(key);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const auto start = at + key.size();
  return request.substr(start, request.find("\r\n", start) - start);
}

// The peer: each request takes the next few bytes of the input to decide its answer.
class scripted_peer {
 public:
  scripted_peer(FuzzedDataProvider& input, std::vector<version> versions)
      : input_(input), versions_(std::move(versions)) {}

  ferry::fuzz::peer_answer answer(const std::string& request) {
    ++requests_;
    ferry::fuzz::peer_answer a = decide(request);
    if (tracing()) {  // to read a failing input's story
      std::fprintf(stderr,
                   "--- request %zu:\n%s--- answer (cut %zu, piece %zu, keep-alive %d):\n%s\n",
                   requests_, request.c_str(), a.cut, a.piece, a.keep_alive ? 1 : 0,
                   a.bytes.substr(0, a.bytes.find("\r\n\r\n") + 4).c_str());
    }
    return a;
  }

  ferry::fuzz::peer_answer decide(const std::string& request) {
    ferry::fuzz::peer_answer a;
    const bool scripted = input_.remaining_bytes() > 0;
    const unsigned mode = scripted ? input_.ConsumeIntegralInRange<unsigned>(0, 15) : 0;
    if (scripted && input_.ConsumeBool()) {
      current_ = input_.ConsumeIntegralInRange<std::size_t>(0, versions_.size() - 1);
    }
    a.piece = scripted ? input_.ConsumeIntegralInRange<std::size_t>(97, 16384) : 16384;
    std::size_t v = current_;
    bool named = mode != 14;  // 14: an answer that names no validator
    const version& ver = versions_[v];
    if (!named || (ver.etag.empty() && ver.last_modified.empty())) {
      return answer_for(request, a, 0, mode, false);  // named by nothing: version 0's bytes
    }
    return answer_for(request, a, v, mode, named);
  }

  [[nodiscard]] std::size_t requests() const { return requests_; }

 private:
  ferry::fuzz::peer_answer answer_for(const std::string& request, ferry::fuzz::peer_answer a,
                                      std::size_t v, unsigned mode, bool named) {
    const version& ver = versions_[v];
    const std::uint64_t length = ver.body.size();
    std::string validators;
    if (named && !ver.etag.empty()) {
      validators += "ETag: " + ver.etag + "\r\n";
    }
    if (named && !ver.last_modified.empty()) {
      validators += "Last-Modified: " + ver.last_modified + "\r\n";
    }
    const bool scripted = input_.remaining_bytes() > 0;
    switch (mode) {
      case 3: {
        const unsigned wait = scripted ? input_.ConsumeIntegralInRange<unsigned>(0, 200) : 1;
        a.bytes = "HTTP/1.1 503 Busy\r\nRetry-After: " + std::to_string(wait) +
                  "\r\nContent-Length: 4\r\n\r\nbusy";
        return a;
      }
      case 4:
        a.bytes = "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope";
        return a;
      case 10:
        a.bytes = input_.ConsumeRandomLengthString(200);
        a.keep_alive = false;
        return a;
      case 13:
        // A 416 out of turn (the range was satisfiable); the length it states is the version's:
        // a length is part of what a version is, and the peer does not lie about versions.
        a.bytes = "HTTP/1.1 416 Range Not Satisfiable\r\n" + validators +
                  "Content-Range: bytes */" + std::to_string(length) +
                  "\r\nContent-Length: 0\r\n\r\n";
        return a;
      default:
        break;
    }
    // An honest start: the range if asked and the validator matches.
    std::uint64_t first = 0;
    std::uint64_t end = length;
    bool partial = false;
    if (auto range = field(request, "Range");
        range && mode != 2 && range->rfind("bytes=", 0) == 0) {
      const auto dash = range->find('-');
      const std::uint64_t from = std::stoull(range->substr(6, dash - 6));
      std::optional<std::uint64_t> to;
      if (dash + 1 < range->size()) {
        to = std::stoull(range->substr(dash + 1));
      }
      const auto if_range = field(request, "If-Range");
      const bool matches =
          !if_range || (named && ((!ver.etag.empty() && *if_range == ver.etag) ||
                                  (!ver.last_modified.empty() && *if_range == ver.last_modified)));
      if (matches || mode == 15) {  // 15: a liar that serves the range whatever If-Range says
        if (from >= length) {
          a.bytes = "HTTP/1.1 416 Range Not Satisfiable\r\n" + validators +
                    "Content-Range: bytes */" + std::to_string(length) +
                    "\r\nContent-Length: 0\r\n\r\n";
          return a;
        }
        partial = true;
        first = from;
        end = to ? std::min<std::uint64_t>(*to + 1, length) : length;
      }
    }
    std::uint64_t claimed_first = first;
    if (partial && mode == 9 && scripted) {
      // A Content-Range that is not what was asked; the bytes are still the version's bytes
      // at the positions it claims.
      claimed_first = input_.ConsumeIntegralInRange<std::uint64_t>(0, length - 1);
      end = std::max(end, claimed_first + 1);
      end = std::min(end, length);
      first = claimed_first;
    }
    const std::string_view body = std::string_view{ver.body}.substr(first, end - first);
    std::string& out = a.bytes;  // built in place: head, then the framed body, copied once
    out.reserve(256 + body.size() + body.size() / 64 * 8);
    out += partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
    out += validators;
    if (partial) {
      out += "Content-Range: bytes " + std::to_string(first) + "-" + std::to_string(end - 1) + "/" +
             std::to_string(length) + "\r\n";
    }
    const bool chunked = mode == 7;
    const bool close_delimited = mode == 8 && partial;
    if (chunked) {
      out += "Transfer-Encoding: chunked\r\n\r\n";
      std::size_t at = 0;
      while (at < body.size()) {
        const std::size_t n = std::min<std::size_t>(
            body.size() - at,
            scripted ? input_.ConsumeIntegralInRange<std::size_t>(1, 4000) : 4096);
        char size_line[24];
        const int line_length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        out.append(size_line, static_cast<std::size_t>(line_length));
        out += body.substr(at, n);
        out += "\r\n";
        at += n;
      }
      out += "0\r\n\r\n";
    } else if (close_delimited) {
      a.keep_alive = false;
      out += "\r\n";
      out += body;
    } else {
      out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      if (mode == 12) {
        out += "Transfer-Encoding: chunked\r\n";  // conflicting framing
      }
      out += "\r\n";
      out += body;
    }
    if (mode == 11 && scripted) {
      out += input_.ConsumeRandomLengthString(40);  // stray bytes after the message
    }
    if ((mode == 5 || mode == 6) && scripted) {
      a.cut = input_.ConsumeIntegralInRange<std::size_t>(0, out.size());
      a.reset = mode == 6;
      a.keep_alive = false;
    }
    return a;
  }

  FuzzedDataProvider& input_;
  std::vector<version> versions_;
  std::size_t current_ = 0;
  std::size_t requests_ = 0;
};

std::string read_file(const fs::path& p) {
  std::string out;
  if (std::FILE* f = std::fopen(p.c_str(), "rb")) {
    char block[16384];
    for (std::size_t n; (n = std::fread(block, 1, sizeof block, f)) > 0;) {
      out.append(block, n);
    }
    std::fclose(f);
  }
  return out;
}

// The output's folder, on tmpfs when there is one; removed when the process exits normally.
const fs::path& work_directory() {
  struct directory {
    fs::path path;
    directory() {
      path = fs::exists("/dev/shm") ? fs::path{"/dev/shm"} : fs::temp_directory_path();
      path /= "ferry-transfer-fuzzer-" + std::to_string(::getpid());
      fs::create_directories(path);
    }
    ~directory() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  };
  static const directory dir;
  return dir.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input{data, size};
  std::vector<version> versions;
  const unsigned count = input.ConsumeIntegralInRange<unsigned>(1, 3);
  for (unsigned v = 0; v < count; ++v) {
    version ver;
    ver.body = version_bytes(input.ConsumeIntegralInRange<std::size_t>(0, max_length), v);
    if (input.ConsumeBool()) {
      ver.etag = "\"v" + std::to_string(v) + "\"";
    }
    if (input.ConsumeBool()) {
      ver.last_modified = "Tue, 0" + std::to_string(v + 1) + " Dec 2026 10:00:00 GMT";
    }
    versions.push_back(std::move(ver));
  }
  const unsigned segments = input.ConsumeIntegralInRange<unsigned>(1, 3);
  scripted_peer peer{input, versions};

  const fs::path output = work_directory() / "out.bin";
  std::error_code ignored;
  fs::remove(output, ignored);
  fs::remove(engine::partial_path(output), ignored);
  fs::remove(engine::record_path(output), ignored);

  static engine::io_loop loop;     // drained by every input: nothing carries over
  static engine::tls_context tls;  // loading the CA store costs milliseconds: once
  static const bool warm = [] {
    // Asio makes its strand mutexes lazily, one per slot, and keeps them: make them all now, or
    // the first few hundred inputs each leave one behind and libFuzzer re-runs them for leaks.
    for (int i = 0; i < 4000; ++i) {
      engine::timer t{loop};
    }
    loop.run();
    return true;
  }();
  (void)warm;
  engine::manual_clock time;
  engine::client_options co;
  co.connection.buffer_size = 8 * 1024;
  co.open_stream = [&](const http::url&) -> std::unique_ptr<engine::stream> {
    if (peer.requests() > 40) {
      return nullptr;  // a bound on every input: the peer stops answering
    }
    return std::make_unique<ferry::fuzz::memory_peer>(
        loop, [&](const std::string& request) { return peer.answer(request); });
  };
  auto via = std::make_unique<engine::client>(loop, tls, co);
  struct drain {  // the client's connections go, then whatever that posted
    std::unique_ptr<engine::client>& client;
    ~drain() {
      client.reset();
      loop.run();
    }
  } drained{via};

  for (int run = 0; run < 2; ++run) {
    engine::download_options o;
    o.output = output;
    o.segments = segments;
    o.min_segment_size = 4096;
    o.durable = engine::durability::process;
    o.time_source = &time;
    o.retry.attempts = 3;
    o.retry.max_restarts = 2;
    o.seed = 1;
    std::error_code ec;
    {
      engine::download d{*via, http::url::parse("http://peer.test/resource"), o};
      engine::async_result pending = d.begin_download({});
      for (int step = 0; step < 1000 && !pending.is_completed(); ++step) {
        loop.run();
        if (!pending.is_completed()) {
          time.advance(std::chrono::minutes{10});  // the backoff passes at once
        }
      }
      if (!pending.is_completed()) {
        std::abort();  // the download hangs: a bug
      }
      (void)d.end_download(pending, ec);
    }
    // The download object's end posts its last step: drain it here, so that nothing this input
    // allocated outlives it (libFuzzer would otherwise suspect a leak, and scan for one).
    loop.run();
    if (tracing()) {
      std::fprintf(stderr, "=== run %d: %s\n", run, ec ? ec.message().c_str() : "success");
    }
    if (!ec) {
      const std::string got = read_file(output);
      bool one_version = false;
      for (const version& ver : versions) {
        one_version = one_version || got == ver.body;
      }
      if (!one_version) {
        std::abort();  // success with bytes that are no version: a splice or a prefix
      }
      break;
    }
    if (fs::exists(output)) {
      std::abort();  // failed, yet something is at the output path
    }
  }
  return 0;
}
