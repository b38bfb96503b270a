// partial_file — a download's bytes on disk: `<output>.part` under an exclusive lock, the resume
// record beside it (`<output>.part.ferry`, the format in resume_record), the validators a
// finished output keeps in an extended attribute, and the verify-sync-rename that turns the
// partial file into the output; or a stream target (a device, a FIFO) written straight through.
// Engine-internal. Not thread-safe: the download's lock guards it, and finalize() runs on a
// file-work thread while nothing else touches it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ferry/engine/io/file.hpp"
#include "ferry/engine/transfer/byte_ranges.hpp"
#include "ferry/engine/transfer/digest.hpp"
#include "ferry/engine/transfer/resume_record.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine {

class partial_file {
 public:
  /// `milestone` hears "before_rename" and "after_rename", on the file-work thread that
  /// finalizes (may be empty); a checkpoint says it saved a record by returning true.
  partial_file(file_system& files, std::filesystem::path output, durability durable,
               std::function<void(std::string_view)> milestone);

  [[nodiscard]] const std::filesystem::path& output() const noexcept { return output_; }

  // ---- opening --------------------------------------------------------------------------------

  /// Writes straight into the output, whatever it is: no partial file, no record, no rename.
  void open_stream(std::error_code& ec);
  /// Opens and locks `<output>.part` and reads its record. A record for another URL, or one
  /// claiming bytes the file does not hold, is not trusted (the file is emptied); returns the
  /// record trusted (its ranges are on disk, and become `written()`), else a fresh one for `url`.
  /// Errors: `file_locked` (another download holds it), local I/O.
  [[nodiscard]] resume_record open(const std::string& url, std::error_code& ec);
  /// For an output already at its path: what a finished download left on it (the URL, the
  /// validators and the length it had, in an extended attribute), when it is `url`'s and still
  /// `size` bytes long. The record to ask the server with whether the file is current.
  [[nodiscard]] std::optional<resume_record> recall(const std::string& url,
                                                    std::uint64_t size) const;

  // ---- writing --------------------------------------------------------------------------------

  [[nodiscard]] bool streaming() const noexcept { return streaming_; }
  [[nodiscard]] bool is_open() const noexcept { return data_ != nullptr; }
  /// `open` found a record claiming bytes that the partial file does not hold (it vanished,
  /// shrank, or belongs to another URL): those bytes are gone, and the download starts over.
  [[nodiscard]] bool lost() const noexcept { return lost_; }
  /// The partial file (or the stream target); open.
  [[nodiscard]] file& data() noexcept { return *data_; }
  /// What is written so far (a superset of what the record claims).
  [[nodiscard]] byte_ranges& written() noexcept { return written_; }
  [[nodiscard]] const byte_ranges& written() const noexcept { return written_; }

  /// Data first (synced, for power loss), then the record claiming `written()` with `record`'s
  /// URL, validators and length. With nothing to claim and no earlier record to take back,
  /// nothing is written (a small file never needs one). Nothing for a stream.
  /// True when a record was saved.
  bool checkpoint(const resume_record& record, std::error_code& ec);
  /// Discards every byte: the empty `record` first (a crash between the two leaves nothing
  /// claimed), then an empty file.
  void restart(const resume_record& record, std::error_code& ec);

  // ---- the end --------------------------------------------------------------------------------

  /// What finalize() did.
  struct finalized {
    bool renamed = false;    ///< the output is in place: complete, whatever else happened
    bool bad_bytes = false;  ///< the checksum failed: never resume from these bytes
  };
  /// Blocking, for a file-work thread: trims a preallocation to `length`, verifies `checksum`
  /// over the whole file, syncs (for power), checks that no file appeared at the output (unless
  /// `overwrite`), keeps `record`'s validators on the file, renames it into place, syncs the
  /// directory and removes the record. Once renamed, nothing reports a failure.
  void finalize(const resume_record& record, std::uint64_t length,
                const std::optional<expected_digest>& checksum, bool overwrite, finalized& out,
                std::error_code& ec);

  /// Closes (and so unlocks). With `remove`, the partial file and its record go too (only ones
  /// this object opened, never a stream target).
  void release(bool remove);
  /// Once renamed, the partial file is the output: release(true) must not remove it.
  void disown() noexcept { owns_partial_ = false; }

 private:
  [[nodiscard]] std::error_code verify(const expected_digest& checksum, std::uint64_t length);
  void remember_validators(const resume_record& record) const;
  void milestone(std::string_view name) const {
    if (milestone_) {
      milestone_(name);
    }
  }

  file_system& files_;
  std::filesystem::path output_;
  durability durable_;
  std::function<void(std::string_view)> milestone_;
  std::unique_ptr<file> data_;
  byte_ranges written_;
  bool streaming_ = false;
  bool owns_partial_ = false;    // opened by this object (a stream target never is)
  bool record_on_disk_ = false;  // a record exists (found, or saved by this object)
  bool lost_ = false;            // open found a record whose bytes were gone
};

}  // namespace ferry::engine
