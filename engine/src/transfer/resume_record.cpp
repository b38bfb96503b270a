#include "ferry/engine/transfer/resume_record.hpp"

#include <charconv>
#include <vector>

#include "../or_throw.hpp"
#include "ferry/engine/error.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/transfer/digest.hpp"

namespace ferry::engine {
namespace {

constexpr std::string_view magic = "ferry-resume ";
constexpr std::size_t max_record = 1U << 20U;  // a record with a million ranges is not ours

bool has_newline(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

std::string sha256_hex(std::string_view bytes) {
  digest d{digest_algorithm::sha256};
  d.update(bytes);
  return d.finish_hex();
}

// Strict decimal: 1 to 20 digits, no sign, no overflow.
std::optional<std::uint64_t> parse_number(std::string_view s) {
  std::uint64_t value = 0;
  if (s.empty() || s.size() > 20) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

// Splits "key value\n" off the front of `rest`; the value may be empty.
std::optional<std::string_view> take_line(std::string_view& rest, std::string_view key) {
  const auto newline = rest.find('\n');
  if (newline == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline + 1);
  if (line.size() < key.size() + 1 || line.substr(0, key.size()) != key ||
      line[key.size()] != ' ') {
    return std::nullopt;
  }
  return line.substr(key.size() + 1);
}

std::optional<byte_ranges> parse_ranges(std::string_view text) {
  byte_ranges ranges;
  std::uint64_t previous_end = 0;
  bool first = true;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      return std::nullopt;
    }
    const auto a = parse_number(item.substr(0, dash));
    const auto b = parse_number(item.substr(dash + 1));
    // Sorted, disjoint, non-adjacent, non-empty: exactly what encode writes.
    if (!a || !b || *a >= *b || (!first && *a <= previous_end)) {
      return std::nullopt;
    }
    ranges.add(*a, *b);
    previous_end = *b;
    first = false;
    if (comma != std::string_view::npos && text.empty()) {
      return std::nullopt;  // a trailing comma
    }
  }
  return ranges;
}

}  // namespace

std::string encode(const resume_record& record) {
  auto clean = [](const std::string& s) { return has_newline(s) ? std::string{} : s; };
  std::string out;
  out += magic;
  out += std::to_string(resume_record::version) + "\n";
  out += "url " + clean(record.url) + "\n";
  out += "etag " + clean(record.etag) + "\n";
  out += "last-modified " + clean(record.last_modified) + "\n";
  out += "length " + (record.length ? std::to_string(*record.length) : std::string{"-"}) + "\n";
  out += "ranges ";
  bool first = true;
  for (const byte_range& r : record.ranges.intervals()) {
    if (!first) {
      out += ',';
    }
    out += std::to_string(r.first) + "-" + std::to_string(r.end);
    first = false;
  }
  out += "\n";
  out += "sha256 " + sha256_hex(out) + "\n";
  return out;
}

std::optional<resume_record> decode_resume_record(std::string_view bytes) {
  if (bytes.size() > max_record) {
    return std::nullopt;
  }
  // The checksum line covers everything before it.
  const auto sum_at = bytes.rfind("sha256 ");
  if (sum_at == std::string_view::npos || (sum_at > 0 && bytes[sum_at - 1] != '\n')) {
    return std::nullopt;
  }
  std::string_view sum_line = bytes.substr(sum_at);
  if (sum_line != "sha256 " + sha256_hex(bytes.substr(0, sum_at)) + "\n") {
    return std::nullopt;
  }
  std::string_view rest = bytes.substr(0, sum_at);
  const auto version_text = take_line(rest, "ferry-resume");
  if (!version_text || parse_number(*version_text) != resume_record::version) {
    return std::nullopt;
  }
  resume_record record;
  const auto url = take_line(rest, "url");
  const auto etag = take_line(rest, "etag");
  const auto modified = take_line(rest, "last-modified");
  const auto length = take_line(rest, "length");
  const auto ranges_text = take_line(rest, "ranges");
  if (!url || !etag || !modified || !length || !ranges_text || !rest.empty() || url->empty()) {
    return std::nullopt;
  }
  record.url = *url;
  record.etag = *etag;
  record.last_modified = *modified;
  if (*length != "-") {
    record.length = parse_number(*length);
    if (!record.length) {
      return std::nullopt;
    }
  }
  auto ranges = parse_ranges(*ranges_text);
  if (!ranges || (record.length && ranges->end() > *record.length)) {
    return std::nullopt;
  }
  record.ranges = std::move(*ranges);
  return record;
}

std::optional<resume_record> load_resume_record(file_system& files,
                                                const std::filesystem::path& path,
                                                std::error_code& ec) {
  ec = {};
  std::unique_ptr<file> f = files.open(path, open_mode::read, ec);
  if (ec == error::file_not_found) {
    ec = {};
    return std::nullopt;
  }
  if (ec) {
    return std::nullopt;
  }
  const std::uint64_t size = f->size(ec);
  if (ec) {
    return std::nullopt;
  }
  if (size > max_record) {
    return std::nullopt;
  }
  std::string bytes(static_cast<std::size_t>(size), '\0');
  const std::size_t n = f->read_at(0, buffer(bytes.data(), bytes.size()), ec);
  if (ec) {
    return std::nullopt;
  }
  bytes.resize(n);
  return decode_resume_record(bytes);
}

void save_resume_record(file_system& files, const std::filesystem::path& path,
                        const resume_record& record, bool durable, std::error_code& ec) {
  const std::string bytes = encode(record);
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::unique_ptr<file> f = files.open(
        temporary, open_mode::write | open_mode::create | open_mode::truncate | open_mode::private_,
        ec);
    if (ec) {
      return;
    }
    (void)f->write_at(0, buffer(bytes.data(), bytes.size()), ec);
    if (!ec && durable) {
      f->sync(ec);
    }
    if (ec) {
      std::error_code ignored;
      files.remove(temporary, ignored);
      return;
    }
  }
  files.atomic_replace(temporary, path, ec);
  if (!ec && durable) {
    files.sync_directory(path.parent_path(), ec);
  }
}

std::optional<resume_record> load_resume_record(file_system& files,
                                                const std::filesystem::path& path) {
  return detail::or_throw("load_resume_record",
                          [&](std::error_code& ec) { return load_resume_record(files, path, ec); });
}

void save_resume_record(file_system& files, const std::filesystem::path& path,
                        const resume_record& record, bool durable) {
  detail::or_throw("save_resume_record", [&](std::error_code& ec) {
    save_resume_record(files, path, record, durable, ec);
  });
}

}  // namespace ferry::engine
