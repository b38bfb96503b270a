// ferry::engine::resume_record — the small control file beside a partial download that says
// which of its bytes are good, and for which version of the resource.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ferry/engine/transfer/byte_ranges.hpp"

namespace ferry::engine {

class file_system;

/// What a partial file holds. It never claims a byte that the crash it guards against can
/// lose: the download writes (and, for power loss, syncs) data before a record that claims it.
///
/// On disk it is text, one field a line, ending in a SHA-256 of everything before it:
///
///     ferry-resume 1
///     url http://host/file
///     etag "abc"                (empty when the server sent no strong ETag)
///     last-modified <HTTP-date> (empty when it sent none)
///     length 1048576            ("-" when the complete length is unknown)
///     ranges 0-65536,131072-262144   (half-open [first, end) intervals)
///     sha256 <64 hex digits>
///
/// A record that is truncated, zeroed, altered, of another version, or inconsistent (ranges
/// past the length, unsorted) does not decode, and is then ignored: the download restarts.
struct resume_record {
  static constexpr unsigned version = 1;

  std::string url;
  std::string etag;
  std::string last_modified;
  std::optional<std::uint64_t> length;
  byte_ranges ranges;

  friend bool operator==(const resume_record&, const resume_record&) = default;
};

/// The record's bytes. Fields with a CR or LF (which no header value has) are written empty.
[[nodiscard]] std::string encode(const resume_record& record);
/// The record, or empty when `bytes` is not a valid record of this version.
[[nodiscard]] std::optional<resume_record> decode_resume_record(std::string_view bytes);

/// Reads the record at `path`. Empty with no error when there is none or it does not decode;
/// `ec` only for a file that exists but cannot be read.
[[nodiscard]] std::optional<resume_record> load_resume_record(file_system& files,
                                                              const std::filesystem::path& path,
                                                              std::error_code& ec);
[[nodiscard]] std::optional<resume_record> load_resume_record(file_system& files,
                                                              const std::filesystem::path& path);

/// Replaces the record at `path` atomically (a temporary file beside it, then rename): a crash
/// leaves the old record or the new one. With `durable`, the temporary file is synced before
/// the rename and the directory after it, so the new record also survives a power loss.
void save_resume_record(file_system& files, const std::filesystem::path& path,
                        const resume_record& record, bool durable, std::error_code& ec);
void save_resume_record(file_system& files, const std::filesystem::path& path,
                        const resume_record& record, bool durable);

}  // namespace ferry::engine
