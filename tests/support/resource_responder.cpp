#include "resource_responder.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ferry::test {

std::string version_bytes(std::size_t length, unsigned version) {
  std::string out(length, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ULL * (version + 1);
  for (std::size_t i = 0; i < length; ++i) {
    // A cheap mix of position and version: neighbouring bytes and versions all differ.
    std::uint64_t v = (i + 1) * 0xbf58476d1ce4e5b9ULL ^ x;
    v ^= v >> 29;
    out[i] = static_cast<char>(v & 0xffU);
  }
  return out;
}

std::optional<std::string> request_field(std::string_view request, std::string_view name) {
  const auto head_end = request.find("\r\n\r\n");
  std::string_view head = request.substr(0, head_end);
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, end == std::string_view::npos ? end : end - start);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      return std::string{value};
    }
    at = end;
  }
  return std::nullopt;
}

namespace {

struct asked_range {
  std::uint64_t first;
  std::optional<std::uint64_t> last;
};

std::optional<asked_range> parse_range(const std::string& value) {
  if (value.rfind("bytes=", 0) != 0) {
    return std::nullopt;
  }
  const auto dash = value.find('-', 6);
  if (dash == std::string::npos || dash == 6) {
    return std::nullopt;
  }
  asked_range r{std::stoull(value.substr(6, dash - 6)), std::nullopt};
  if (dash + 1 < value.size()) {
    r.last = std::stoull(value.substr(dash + 1));
  }
  return r;
}

std::string reason_of(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 404:
      return "Not Found";
    case 416:
      return "Range Not Satisfiable";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

scripted_answer answer_resource(std::string_view request,
                                const std::vector<resource_version>& versions,
                                const resource_fault& fault) {
  const resource_version& v = versions.at(fault.version);
  const std::uint64_t length = v.body.size();
  std::string validators;
  if (!v.etag.empty()) {
    validators += "ETag: " + v.etag + "\r\n";
  }
  if (!v.last_modified.empty()) {
    validators += "Last-Modified: " + v.last_modified + "\r\n";
  }
  scripted_answer a;
  a.stall = fault.stall;
  a.reset = fault.reset;
  if (fault.status != 0) {
    const std::string page = "<html>error " + std::to_string(fault.status) + "</html>";
    a.bytes = "HTTP/1.1 " + std::to_string(fault.status) + " " + reason_of(fault.status) +
              "\r\nContent-Length: " + std::to_string(page.size()) + "\r\n" + fault.extra_fields +
              "\r\n" + page;
    return a;
  }
  if (auto tag = request_field(request, "if-none-match"); tag && *tag == v.etag) {
    a.bytes = "HTTP/1.1 304 Not Modified\r\n" + validators + "\r\n";
    return a;
  }
  std::optional<asked_range> range;
  if (auto value = request_field(request, "range"); value && !fault.ignore_range) {
    range = parse_range(*value);
  }
  if (range && !fault.ignore_if_range) {
    // If-Range: the range only when the validator names this version (RFC 9110 §13.1.5).
    if (auto condition = request_field(request, "if-range")) {
      if (*condition != v.etag && *condition != v.last_modified) {
        range.reset();
      }
    }
  }
  unsigned status = 200;
  std::uint64_t first = 0;
  std::uint64_t end = length;
  std::string fields = validators + fault.extra_fields;
  if (range) {
    if (range->first >= length) {
      const std::string page = "unsatisfiable";
      a.bytes = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" +
                std::to_string(length) + "\r\nContent-Length: " + std::to_string(page.size()) +
                "\r\n" + fields + "\r\n" + page;
      return a;
    }
    status = 206;
    first = range->first;
    end = range->last ? std::min<std::uint64_t>(*range->last + 1, length) : length;
    fields += "Content-Range: " +
              fault.content_range.value_or("bytes " + std::to_string(first) + "-" +
                                           std::to_string(end - 1) + "/" + std::to_string(length)) +
              "\r\n";
  }
  const std::string_view body = std::string_view{v.body}.substr(first, end - first);
  a.bytes = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) + "\r\n" + fields;
  if (fault.chunked) {
    a.bytes += "Transfer-Encoding: chunked\r\n\r\n";
    std::size_t body_sent = 0;
    for (std::size_t at = 0; at < body.size(); at += 7919) {
      const std::size_t n = std::min<std::size_t>(7919, body.size() - at);
      char size_line[32];
      const int k = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
      a.bytes.append(size_line, static_cast<std::size_t>(k));
      if (fault.cut_body_at && body_sent <= *fault.cut_body_at &&
          *fault.cut_body_at < body_sent + n) {
        a.close_after = a.bytes.size() + (*fault.cut_body_at - body_sent);
      }
      a.bytes.append(body.substr(at, n));
      a.bytes += "\r\n";
      body_sent += n;
    }
    a.bytes += "0\r\n\r\n";
    return a;
  }
  a.bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  const std::size_t head_size = a.bytes.size();
  a.bytes += body;
  if (fault.cut_body_at && *fault.cut_body_at < body.size()) {
    a.close_after = head_size + *fault.cut_body_at;
  }
  return a;
}

scripted_server::responder resource_responder(std::vector<resource_version> versions,
                                              std::function<resource_fault(std::size_t)> plan,
                                              std::size_t max_requests) {
  return [versions = std::move(versions), plan = std::move(plan), max_requests](
             std::string_view request, std::size_t index) -> std::optional<scripted_answer> {
    if (index >= max_requests) {
      return std::nullopt;
    }
    return answer_resource(request, versions, plan(index));
  };
}

}  // namespace ferry::test
