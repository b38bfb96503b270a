// Fuzzes the resume-record reader: anything it accepts is consistent (sorted, disjoint ranges
// within the length) and encodes back to exactly the bytes it came from.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ferry/engine/transfer/resume_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes{reinterpret_cast<const char*>(data), size};
  const auto record = ferry::engine::decode_resume_record(bytes);
  if (!record) {
    return 0;
  }
  if (record->length && record->ranges.end() > *record->length) {
    std::abort();
  }
  const auto& intervals = record->ranges.intervals();
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    if (intervals[i].first >= intervals[i].end ||
        (i > 0 && intervals[i - 1].end >= intervals[i].first)) {
      std::abort();
    }
  }
  if (ferry::engine::encode(*record) != bytes) {
    std::abort();  // one record, one encoding: what was accepted is what is written
  }
  return 0;
}
