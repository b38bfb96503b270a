// detail::request_codec — a transfer_request as the JSON text a session's journal stores, and
// back. Engine-internal; the only file that includes Boost.JSON is request_codec.cpp.
//
// One object, versioned by "v": 1. Enum values are stable names ("download", "power",
// "sha256"), durations integers with the unit in the member's name ("initial_delay_ms",
// "max_retry_after_s"), paths and the URL strings, the fields an array of [name, value] pairs
// in order. Every member is always written; "checksum" is null when there is none.
// "rate_limit" (bytes a second, 0: unlimited) came after the first records were written: a
// record without it is read as 0, the only member that may be missing.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine::detail {

/// A request's JSON, and whether secrets were left out of it.
struct encoded_request {
  std::string json;
  /// Some of the request's credentials are not in `json`: a run of the decoded request sends
  /// none (the server may ask for them).
  bool secrets_withheld = false;
};

/// The JSON of `request`, every member as it is (no validation: an upload whose body lives only
/// in the environment is written with an empty body path). Unless `keep_secrets`, the fields
/// named Authorization, Proxy-Authorization and Cookie (in any case) and the URL's userinfo
/// (`user:password@`) are left out, and `secrets_withheld` says whether there were any.
[[nodiscard]] encoded_request encode_request(const transfer_request& request, bool keep_secrets);

/// The request `json` describes. Strict: text that is not one JSON object, a "v" other than 1,
/// a member missing (but "rate_limit") or of the wrong JSON type, an unknown enum name, a number
/// that is negative or out of its member's range (0 segments and a chunk size of 0 included), a URL
/// that does not parse, or a checksum whose hex is not its algorithm's is `error::journal_corrupt`,
/// and the result is a default request. Members it does not know are ignored (a newer ferry may add
/// some). Never throws (but std::bad_alloc).
[[nodiscard]] transfer_request decode_request(std::string_view json, std::error_code& ec);

}  // namespace ferry::engine::detail
