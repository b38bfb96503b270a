#include "progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cmath>

#include "ferry/engine/error.hpp"

namespace ferry::cli {
namespace {

std::string human(double bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} {}", bytes, units[unit])
                   : fmt::format("{:.1f} {}", bytes, units[unit]);
}

std::string clock_time(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) {
    return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  }
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

std::string reason_of(std::error_code ec) {
  return ec ? ec.message() : std::string{};
}

// `,"code":NAME,"reason":TEXT`: the stable name for scripts, the text for people.
std::string reason_fields(std::error_code ec) {
  return fmt::format(",\"code\":{},\"reason\":{}", json_string(std::string{engine::code_name(ec)}),
                     json_string(reason_of(ec)));
}

}  // namespace

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

progress_mode default_progress_mode(bool silent) {
  if (silent) {
    return progress_mode::none;
  }
  return ::isatty(STDERR_FILENO) == 1 ? progress_mode::bar : progress_mode::none;
}

progress_printer::progress_printer(progress_mode mode, std::FILE* to) : mode_(mode), to_(to) {
}

std::size_t progress_printer::add(std::string url, std::string name) {
  std::lock_guard lock{mutex_};
  row r;
  r.url = std::move(url);
  r.name = std::move(name);
  rows_.push_back(std::move(r));
  return rows_.size() - 1;
}

void progress_printer::json(std::size_t r, const char* event, const std::string& extra) {
  fmt::print(to_, "{{\"event\":\"{}\",\"url\":{},\"file\":{}{}}}\n", event,
             json_string(rows_[r].url), json_string(rows_[r].name), extra);
  std::fflush(to_);
}

void progress_printer::on_download(std::size_t r, const engine::transfer_event& e) {
  using kind = engine::transfer_event_kind;
  std::lock_guard lock{mutex_};
  row& it = rows_.at(r);
  it.done = e.progress.done;
  it.total = e.progress.total;
  it.rate = e.progress.rate;
  it.eta = e.progress.eta_seconds;
  const std::string total = e.progress.total ? std::to_string(*e.progress.total) : "null";
  switch (e.kind) {
    case kind::started:
      it.status = e.progress.done > 0 ? "resuming" : "";
      if (mode_ == progress_mode::json) {
        json(r, "started", fmt::format(",\"on_disk\":{}", e.progress.done));
      }
      break;
    case kind::progress:
      it.status = "";
      if (mode_ == progress_mode::json) {
        json(r, "progress",
             fmt::format(",\"received\":{},\"on_disk\":{},\"total\":{},\"rate\":{:.0f}",
                         e.progress.transferred, e.progress.done, total, e.progress.rate));
      }
      break;
    case kind::retry:
      it.status = "retrying: " + reason_of(e.reason);
      if (mode_ == progress_mode::json) {
        json(r, "retry",
             fmt::format("{},\"status\":{},\"delay_ms\":{}", reason_fields(e.reason), e.status,
                         std::chrono::duration_cast<std::chrono::milliseconds>(e.delay).count()));
      }
      break;
    case kind::restarted:
      it.status = "restarted: " + reason_of(e.reason);
      if (mode_ == progress_mode::json) {
        json(r, "restarted", reason_fields(e.reason));
      }
      break;
    case kind::paused:
      it.status = "paused";
      if (mode_ == progress_mode::json) {
        json(r, "paused", fmt::format(",\"on_disk\":{}", e.progress.done));
      }
      break;
    case kind::completed:
      it.status = "done";
      if (mode_ == progress_mode::json) {
        json(r, "completed",
             fmt::format(",\"received\":{},\"length\":{}", e.progress.transferred, total));
      }
      break;
    case kind::failed:
      it.status = "failed: " + reason_of(e.reason);
      if (mode_ == progress_mode::json) {
        json(r, "failed", fmt::format("{},\"status\":{}", reason_fields(e.reason), e.status));
      }
      break;
  }
  if (mode_ == progress_mode::bar) {
    redraw(e.kind != kind::progress);
  }
}

void progress_printer::on_upload(std::size_t r, const engine::transfer_event& e) {
  using kind = engine::transfer_event_kind;
  std::lock_guard lock{mutex_};
  row& it = rows_.at(r);
  it.done = e.progress.done;
  it.total = e.progress.total;
  const std::string total = e.progress.total ? std::to_string(*e.progress.total) : "null";
  const char* name = "progress";
  std::string extra = fmt::format(",\"sent\":{},\"total\":{}", e.progress.done, total);
  switch (e.kind) {
    case kind::progress:
    case kind::restarted:  // downloads only
      break;
    case kind::started:
      name = "started";
      break;
    case kind::paused:
      name = "paused";
      it.status = "paused";
      break;
    case kind::retry:
      name = "retry";
      it.status = "retrying: " + reason_of(e.reason);
      extra = fmt::format("{},\"status\":{}", reason_fields(e.reason), e.status);
      break;
    case kind::completed:
      name = "completed";
      it.status = fmt::format("done: {}", e.status);
      extra += fmt::format(",\"status\":{}", e.status);
      break;
    case kind::failed:
      name = "failed";
      it.status = "failed: " + reason_of(e.reason);
      extra = reason_fields(e.reason);
      break;
  }
  if (mode_ == progress_mode::json) {
    json(r, name, extra);
  } else if (mode_ == progress_mode::bar) {
    redraw(e.kind != kind::progress);
  }
}

void progress_printer::say(const std::string& text) {
  std::lock_guard lock{mutex_};
  if (mode_ == progress_mode::json) {
    return;
  }
  fmt::print(to_, "{}\n", text);
  drawn_ = 0;
  std::fflush(to_);
}

std::string progress_printer::render(const row& r) const {
  static constexpr int width = 24;
  std::string bar;
  std::string percent = "   ?";
  if (r.total && *r.total > 0) {
    const double fraction =
        std::min(1.0, static_cast<double>(r.done) / static_cast<double>(*r.total));
    const int filled = static_cast<int>(fraction * width);
    bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(width - filled), '.') + "]";
    percent = fmt::format("{:3.0f}%", fraction * 100);
  } else {
    bar = "[" + std::string(width, '?') + "]";
  }
  std::string name = r.name.size() > 28 ? "..." + r.name.substr(r.name.size() - 25) : r.name;
  std::string line =
      fmt::format("{:<28} {} {} {:>10} / {:<10} {:>11}/s", name, bar, percent,
                  human(static_cast<double>(r.done)),
                  r.total ? human(static_cast<double>(*r.total)) : "?", human(r.rate));
  if (!r.status.empty()) {
    line += "  " + r.status;
  } else if (r.eta) {
    line += "  ETA " + clock_time(*r.eta);
  }
  return line;
}

void progress_printer::redraw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds{100}) {
    return;  // at most 10 frames a second
  }
  last_draw_ = now;
  std::string frame;
  if (drawn_ > 0) {
    frame += fmt::format("\x1b[{}A", drawn_);  // back to the first row
  }
  for (const row& r : rows_) {
    frame += "\r\x1b[2K" + render(r) + "\n";
  }
  drawn_ = rows_.size();
  std::fputs(frame.c_str(), to_);
  std::fflush(to_);
}

void progress_printer::finish() {
  std::lock_guard lock{mutex_};
  if (mode_ == progress_mode::bar) {
    redraw(true);
  }
  drawn_ = 0;
}

}  // namespace ferry::cli
