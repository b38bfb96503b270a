#include "request_codec.hpp"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/http/response_head.hpp"
#include "ferry/http/url.hpp"

namespace ferry::engine::detail {
namespace {

namespace json = boost::json;

constexpr std::int64_t format_version = 1;

template <typename Enum>
struct enum_name {
  Enum value;
  std::string_view name;
};

// The names are the format: never change one, only add.
constexpr std::array<enum_name<transfer_kind>, 2> kind_names{{
    {transfer_kind::download, "download"},
    {transfer_kind::upload, "upload"},
}};
constexpr std::array<enum_name<durability>, 2> durability_names{{
    {durability::process, "process"},
    {durability::power, "power"},
}};
constexpr std::array<enum_name<digest_algorithm>, 2> algorithm_names{{
    {digest_algorithm::sha256, "sha256"},
    {digest_algorithm::sha512, "sha512"},
}};

// Empty for a value outside the table, which then does not decode.
template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<enum_name<Enum>, N>& names, Enum value) {
  for (const auto& entry : names) {
    if (entry.value == value) {
      return entry.name;
    }
  }
  return {};
}

bool is_secret(std::string_view field_name) {
  return http::iequals(field_name, "Authorization") ||
         http::iequals(field_name, "Proxy-Authorization") || http::iequals(field_name, "Cookie");
}

std::string_view view_of(const json::string& s) {
  return {s.data(), s.size()};
}

// Reads the members of one object. The first member that is missing or does not fit marks the
// whole document failed, and later reads return defaults: a decoder reads straight through and
// checks once at the end. Nested readers share the flag.
class member_reader {
 public:
  member_reader(const json::object& object, bool& failed) : object_{object}, failed_{failed} {}

  void fail() { failed_ = true; }

  [[nodiscard]] const json::value* find(std::string_view key) {
    const json::value* value = object_.if_contains(key);
    if (value == nullptr) {
      fail();
    }
    return value;
  }

  [[nodiscard]] std::string text(std::string_view key) {
    const json::value* value = find(key);
    const json::string* s = value == nullptr ? nullptr : value->if_string();
    if (s == nullptr) {
      fail();
      return {};
    }
    return std::string{view_of(*s)};
  }

  [[nodiscard]] bool flag(std::string_view key) {
    const json::value* value = find(key);
    const bool* b = value == nullptr ? nullptr : value->if_bool();
    if (b == nullptr) {
      fail();
      return false;
    }
    return *b;
  }

  // An integer in [least, max of Integer]. The parser stores a non-negative integer as int64, or
  // as uint64 past INT64_MAX; a fraction or an exponent makes a double, which is refused.
  template <typename Integer>
  [[nodiscard]] Integer integer(std::string_view key, Integer least) {
    const json::value* value = find(key);
    if (value == nullptr) {
      return least;
    }
    std::optional<std::uint64_t> n;
    if (const std::int64_t* i = value->if_int64(); i != nullptr && *i >= 0) {
      n = static_cast<std::uint64_t>(*i);
    }
    if (const std::uint64_t* u = value->if_uint64(); u != nullptr) {
      n = *u;
    }
    const auto most = static_cast<std::uint64_t>(std::numeric_limits<Integer>::max());
    if (!n || *n < static_cast<std::uint64_t>(least) || *n > most) {
      fail();
      return least;
    }
    return static_cast<Integer>(*n);
  }

  // As integer(), but a missing member is `absent`: for members added after the first records.
  template <typename Integer>
  [[nodiscard]] Integer integer_or(std::string_view key, Integer least, Integer absent) {
    return object_.contains(key) ? integer<Integer>(key, least) : absent;
  }

  template <typename Duration>
  [[nodiscard]] Duration duration(std::string_view key) {
    return Duration{integer<typename Duration::rep>(key, 0)};
  }

  template <typename Enum, std::size_t N>
  [[nodiscard]] Enum name(std::string_view key, const std::array<enum_name<Enum>, N>& names) {
    const std::string s = text(key);
    for (const auto& entry : names) {
      if (entry.name == s) {
        return entry.value;
      }
    }
    fail();
    return names.front().value;
  }

  [[nodiscard]] const json::array& array(std::string_view key) {
    static const json::array none;
    const json::value* value = find(key);
    const json::array* a = value == nullptr ? nullptr : value->if_array();
    if (a == nullptr) {
      fail();
      return none;
    }
    return *a;
  }

  [[nodiscard]] member_reader object(std::string_view key) {
    static const json::object none;
    const json::value* value = find(key);
    const json::object* o = value == nullptr ? nullptr : value->if_object();
    if (o == nullptr) {
      fail();
      return {none, failed_};
    }
    return {*o, failed_};
  }

  // Empty for null.
  [[nodiscard]] std::optional<member_reader> object_or_null(std::string_view key) {
    const json::value* value = find(key);
    if (value != nullptr && value->is_null()) {
      return std::nullopt;
    }
    return object(key);
  }

 private:
  const json::object& object_;
  bool& failed_;
};

json::object encode_retry(const retry_policy& retry) {
  json::object o;
  o["attempts"] = retry.attempts;
  o["initial_delay_ms"] = retry.initial_delay.count();
  o["max_delay_ms"] = retry.max_delay.count();
  o["max_retry_after_s"] = retry.max_retry_after.count();
  o["max_restarts"] = retry.max_restarts;
  o["malformed_attempts"] = retry.malformed_attempts;
  o["malformed_delay_ms"] = retry.malformed_delay.count();
  return o;
}

retry_policy decode_retry(member_reader in) {
  retry_policy retry;
  retry.attempts = in.integer<unsigned>("attempts", 0);
  retry.initial_delay = in.duration<std::chrono::milliseconds>("initial_delay_ms");
  retry.max_delay = in.duration<std::chrono::milliseconds>("max_delay_ms");
  retry.max_retry_after = in.duration<std::chrono::seconds>("max_retry_after_s");
  retry.max_restarts = in.integer<unsigned>("max_restarts", 0);
  retry.malformed_attempts = in.integer<unsigned>("malformed_attempts", 0);
  retry.malformed_delay = in.duration<std::chrono::milliseconds>("malformed_delay_ms");
  return retry;
}

// Each field a [name, value] pair of strings.
std::vector<http::field> decode_fields(member_reader in) {
  std::vector<http::field> fields;
  for (const json::value& item : in.array("fields")) {
    const json::array* pair = item.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
        !(*pair)[1].is_string()) {
      in.fail();
      return {};
    }
    fields.push_back({std::string{view_of((*pair)[0].get_string())},
                      std::string{view_of((*pair)[1].get_string())}});
  }
  return fields;
}

// The hex must be what expected_digest::parse makes of it: the algorithm's length, lowercase.
std::optional<expected_digest> decode_checksum(member_reader in) {
  std::optional<member_reader> o = in.object_or_null("checksum");
  if (!o) {
    return std::nullopt;
  }
  expected_digest checksum;
  checksum.algorithm = o->name("algorithm", algorithm_names);
  checksum.hex = o->text("hex");
  const auto parsed = expected_digest::parse(
      std::string{name_of(algorithm_names, checksum.algorithm)} + ":" + checksum.hex);
  if (!parsed || parsed->hex != checksum.hex) {
    in.fail();
  }
  return checksum;
}

transfer_request decode_members(member_reader in) {
  transfer_request r;
  if (in.integer<std::int64_t>("v", 0) != format_version) {
    in.fail();
  }
  r.kind = in.name("kind", kind_names);
  std::error_code url_ec;
  r.url = http::url::parse(in.text("url"), url_ec);
  if (url_ec) {
    in.fail();
  }
  r.method = in.text("method");
  r.fields = decode_fields(in);
  r.output = in.text("output");
  r.overwrite = in.flag("overwrite");
  r.body = in.text("body");
  r.chunked = in.flag("chunked");
  r.chunk_size = in.integer<std::size_t>("chunk_size", 1);
  r.segments = in.integer<unsigned>("segments", 1);
  r.rate_limit = in.integer_or<std::uint64_t>("rate_limit", 0, 0);
  r.checksum = decode_checksum(in);
  r.durable = in.name("durable", durability_names);
  r.retry = decode_retry(in.object("retry"));
  return r;
}

}  // namespace

encoded_request encode_request(const transfer_request& request, bool keep_secrets) {
  encoded_request result;
  const bool withhold = !keep_secrets;

  json::array fields;
  for (const http::field& f : request.fields) {
    if (withhold && is_secret(f.name)) {
      result.secrets_withheld = true;
      continue;
    }
    fields.push_back(json::array{json::string_view{f.name}, json::string_view{f.value}});
  }
  std::string url = request.url.text();
  if (withhold && request.url.has_credentials()) {
    url = request.url.without_credentials().text();
    result.secrets_withheld = true;
  }
  json::value checksum;  // null
  if (request.checksum) {
    checksum = json::object{
        {"algorithm", name_of(algorithm_names, request.checksum->algorithm)},
        {"hex", request.checksum->hex},
    };
  }

  json::object o;
  o["v"] = format_version;
  o["kind"] = name_of(kind_names, request.kind);
  o["url"] = url;
  o["method"] = request.method;
  o["fields"] = std::move(fields);
  o["output"] = request.output.string();
  o["overwrite"] = request.overwrite;
  o["body"] = request.body.string();
  o["chunked"] = request.chunked;
  o["chunk_size"] = request.chunk_size;
  o["segments"] = request.segments;
  o["rate_limit"] = request.rate_limit;
  o["checksum"] = std::move(checksum);
  o["durable"] = name_of(durability_names, request.durable);
  o["retry"] = encode_retry(request.retry);
  result.json = json::serialize(o);
  return result;
}

transfer_request decode_request(std::string_view text, std::error_code& ec) {
  ec = {};
  // Paths and field values are bytes, which need not be UTF-8; serialize writes them as they are.
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  std::error_code parse_ec;
  const json::value document = json::parse(text, parse_ec, {}, options);
  const json::object* root = parse_ec ? nullptr : document.if_object();
  if (root == nullptr) {
    ec = error::journal_corrupt;
    return {};
  }
  bool failed = false;
  transfer_request request = decode_members(member_reader{*root, failed});
  if (failed) {
    ec = error::journal_corrupt;
    return {};
  }
  return request;
}

}  // namespace ferry::engine::detail
