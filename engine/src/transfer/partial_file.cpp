#include "partial_file.hpp"

#include <string_view>
#include <utility>
#include <vector>

#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/download.hpp"

namespace ferry::engine {

std::filesystem::path partial_path(const std::filesystem::path& output) {
  std::filesystem::path p = output;
  p += ".part";
  return p;
}

std::filesystem::path record_path(const std::filesystem::path& output) {
  std::filesystem::path p = output;
  p += ".part.ferry";
  return p;
}

namespace {

// The extended attribute a finished file keeps its validators in: the URL, the ETag, the
// Last-Modified and the length, one a line.
constexpr const char* validators_attribute = "user.ferry.validators";

}  // namespace

partial_file::partial_file(file_system& files, std::filesystem::path output, durability durable,
                           std::function<void(std::string_view)> milestone)
    : files_(files),
      output_(std::move(output)),
      durable_(durable),
      milestone_(std::move(milestone)) {
}

void partial_file::open_stream(std::error_code& ec) {
  streaming_ = true;
  data_ = files_.open(output_, open_mode::write, ec);
}

resume_record partial_file::open(const std::string& url, std::error_code& ec) {
  resume_record fresh;
  fresh.url = url;
  data_ = files_.open(partial_path(output_), open_mode::read | open_mode::write | open_mode::create,
                      ec);
  if (!ec) {
    data_->lock_exclusive(ec);
  }
  if (ec) {
    data_.reset();
    return fresh;
  }
  owns_partial_ = true;
  std::error_code record_error;  // an unreadable record is no record
  auto loaded = load_resume_record(files_, record_path(output_), record_error);
  const std::uint64_t on_disk = data_->size(ec);
  if (ec) {
    return fresh;
  }
  record_on_disk_ = loaded.has_value();
  if (loaded && loaded->url == url && loaded->ranges.end() <= on_disk) {
    written_ = loaded->ranges;
    return std::move(*loaded);
  }
  lost_ = loaded && !loaded->ranges.empty();  // it claimed bytes that are not there
  if (on_disk != 0) {
    data_->resize(0, ec);
  }
  return fresh;
}

std::optional<resume_record> partial_file::recall(const std::string& url,
                                                  std::uint64_t size) const {
  std::error_code ec;
  const auto stored = files_.get_attribute(output_, validators_attribute, ec);
  if (!stored) {
    return std::nullopt;
  }
  std::vector<std::string> parts;
  std::string_view rest = *stored;
  while (!rest.empty() && parts.size() < 4) {
    const auto newline = rest.find('\n');
    parts.emplace_back(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
  }
  if (parts.size() != 4 || parts[0] != url || parts[3] != std::to_string(size) ||
      (parts[1].empty() && parts[2].empty())) {
    return std::nullopt;
  }
  resume_record r;
  r.url = url;
  r.etag = parts[1];
  r.last_modified = parts[2];
  r.length = size;
  return r;
}

bool partial_file::checkpoint(const resume_record& record, std::error_code& ec) {
  if (streaming_ || !data_ || (written_.empty() && !record_on_disk_)) {
    return false;
  }
  resume_record claim = record;
  claim.ranges = written_;
  if (durable_ == durability::power) {
    data_->sync_data(ec);
    if (ec) {
      return false;
    }
  }
  save_resume_record(files_, record_path(output_), claim, durable_ == durability::power, ec);
  record_on_disk_ = record_on_disk_ || !ec;
  return !ec;
}

void partial_file::restart(const resume_record& record, std::error_code& ec) {
  written_.clear();
  checkpoint(record, ec);
  if (!ec) {
    data_->resize(0, ec);
  }
}

void partial_file::finalize(const resume_record& record, std::uint64_t length,
                            const std::optional<expected_digest>& checksum, bool overwrite,
                            finalized& out, std::error_code& ec) {
  const std::uint64_t size = data_->size(ec);
  if (!ec && size > length) {
    data_->resize(length, ec);  // a preallocation past a length that shrank
  } else if (!ec && size < length) {
    ec = error::length_mismatch;
  }
  if (!ec && checksum) {
    ec = verify(*checksum, length);
    out.bad_bytes = ec == error::checksum_mismatch;
  }
  if (!ec && durable_ == durability::power) {
    data_->sync_data(ec);
  }
  if (!ec && !overwrite && files_.status(output_, ec).kind != file_kind::none) {
    ec = error::output_exists;  // it appeared while we downloaded
  }
  if (ec) {
    return;
  }
  remember_validators(record);
  milestone("before_rename");
  files_.atomic_replace(partial_path(output_), output_, ec);
  if (ec) {
    return;
  }
  // From here the output is in place, complete and verified: nothing after this may report a
  // failure (which promises an untouched output path). A directory sync that fails leaves only
  // the rename's durability in doubt, and is tried once more.
  out.renamed = true;
  if (durable_ == durability::power) {
    files_.sync_directory(output_.parent_path(), ec);
    if (ec) {
      files_.sync_directory(output_.parent_path(), ec);
    }
  }
  milestone("after_rename");
  if (record_on_disk_) {
    files_.remove(record_path(output_), ec);
  }
  ec = {};
}

void partial_file::release(bool remove) {
  data_.reset();  // closes, and so unlocks
  if (remove && owns_partial_ && !streaming_) {
    std::error_code ignored;
    files_.remove(record_path(output_), ignored);
    files_.remove(partial_path(output_), ignored);
  }
}

std::error_code partial_file::verify(const expected_digest& checksum, std::uint64_t length) {
  digest sum{checksum.algorithm};
  std::vector<char> chunk(1U << 20U);
  std::error_code ec;
  for (std::uint64_t at = 0; at < length;) {
    const std::size_t n = data_->read_at(at, buffer(chunk), ec);
    if (ec) {
      return ec;
    }
    if (n == 0) {
      return error::length_mismatch;
    }
    sum.update({chunk.data(), n});
    at += n;
  }
  return sum.finish_hex() == checksum.hex ? std::error_code{}
                                          : std::error_code{error::checksum_mismatch};
}

// On the partial file before its rename: the attribute moves with it, so a crash right after
// the rename still leaves a file that a new run can confirm. One attribute, one system call.
void partial_file::remember_validators(const resume_record& record) const {
  if (record.etag.empty() && record.last_modified.empty()) {
    return;  // nothing to ask the server about later
  }
  std::error_code ignored;  // a file system without extended attributes only loses the shortcut
  files_.set_attribute(partial_path(output_), validators_attribute,
                       record.url + "\n" + record.etag + "\n" + record.last_modified + "\n" +
                           std::to_string(record.length.value_or(0)),
                       ignored);
}

}  // namespace ferry::engine
