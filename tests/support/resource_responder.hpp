// ferry::test::resource_responder — a scripted_server responder that serves one resource the
// way a real server does (Range, If-Range, 206/200/416), with faults on cue per request.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scripted_server.hpp"

namespace ferry::test {

/// One version of the resource. A download must end with exactly one version's bytes.
struct resource_version {
  std::string body;
  std::string etag;           ///< sent as ETag (strong) unless empty
  std::string last_modified;  ///< sent as Last-Modified unless empty
};

/// What to do to one request's answer.
struct resource_fault {
  std::size_t version = 0;                   ///< which version this answer serves
  std::optional<std::size_t> cut_body_at;    ///< close after this many body bytes (FIN)
  bool reset = false;                        ///< ...with RST instead
  bool ignore_range = false;                 ///< answer 200 with the whole body
  bool ignore_if_range = false;              ///< serve the range whatever If-Range says (a liar)
  unsigned status = 0;                       ///< answer this status instead (503, 404, ...)
  std::string extra_fields;                  ///< "Name: value\r\n" lines added to the head
  std::optional<std::string> content_range;  ///< a lying Content-Range for a 206
  bool chunked = false;                      ///< chunked framing instead of Content-Length
  std::chrono::milliseconds stall{0};        ///< wait before answering
};

/// Deterministic bytes: byte i of version v (a function of i and v only).
[[nodiscard]] std::string version_bytes(std::size_t length, unsigned version);

/// Builds the answer to `request` for `versions[fault.version]`: a GET with a satisfiable
/// Range (and an If-Range that matches the version, or none) gets 206; an unsatisfiable one
/// 416 with `bytes */length`; otherwise 200.
[[nodiscard]] scripted_answer answer_resource(std::string_view request,
                                              const std::vector<resource_version>& versions,
                                              const resource_fault& fault);

/// A responder for scripted_server: `plan(index)` gives the fault of the index-th request;
/// requests past `max_requests` are not answered (a bound on every test).
[[nodiscard]] scripted_server::responder resource_responder(
    std::vector<resource_version> versions, std::function<resource_fault(std::size_t)> plan,
    std::size_t max_requests = 1000);

/// The value of the first field `name` in a request head (case-insensitive), if any.
[[nodiscard]] std::optional<std::string> request_field(std::string_view request,
                                                       std::string_view name);

}  // namespace ferry::test
