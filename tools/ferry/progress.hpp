// ferry CLI — what a transfer tells the person (or program) watching stderr.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ferry/engine/transfer/download.hpp"
#include "ferry/engine/transfer/upload.hpp"

namespace ferry::cli {

enum class progress_mode {
  bar,   ///< one line per transfer, redrawn in place (a TTY)
  json,  ///< one JSON object per line per event
  none,
};

/// Prints transfers' events to stderr. Thread-safe; each transfer is a row, added in order.
class progress_printer {
 public:
  explicit progress_printer(progress_mode mode, std::FILE* to = stderr);

  /// A new row; returns its index.
  std::size_t add(std::string url, std::string name);
  void on_download(std::size_t row, const engine::transfer_event& e);
  void on_upload(std::size_t row, const engine::transfer_event& e);
  /// A line of plain text (a step of the demo, a final summary); not in JSON mode.
  void say(const std::string& text);
  /// Ends the bar display (moves below it).
  void finish();

 private:
  struct row {
    std::string url;
    std::string name;
    std::uint64_t done = 0;
    std::optional<std::uint64_t> total;
    double rate = 0;
    std::optional<double> eta;
    std::string status;  // "", "retrying", "done", "failed: ..."
  };

  void json(std::size_t r, const char* event, const std::string& extra);
  void redraw(bool force);
  [[nodiscard]] std::string render(const row& r) const;

  progress_mode mode_;
  std::FILE* to_;
  std::mutex mutex_;
  std::vector<row> rows_;
  std::size_t drawn_ = 0;  // rows on screen from the last redraw
  std::chrono::steady_clock::time_point last_draw_{};
};

/// "bar" when stderr is a terminal, else "none" (curl's habit); `silent` forces "none".
[[nodiscard]] progress_mode default_progress_mode(bool silent);

/// A JSON string literal for `text`.
[[nodiscard]] std::string json_string(const std::string& text);

}  // namespace ferry::cli
