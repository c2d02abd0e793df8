#include "cli/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <ostream>
#include <string_view>

namespace polydb::cli {

namespace {

// Redraw at most this often: faster is unreadable and costs terminal time.
constexpr std::chrono::milliseconds kRedrawInterval{100};

// Carriage return + "erase to end of line" (ANSI EL).
constexpr std::string_view kEraseLine = "\r\x1b[K";

}  // namespace

std::string format_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  if (bytes < 1000) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  while (v >= 999.95 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  if (v < 9.995) return fmt::format("{:.2f} {}", v, kUnits[unit]);
  if (v < 99.95) return fmt::format("{:.1f} {}", v, kUnits[unit]);
  return fmt::format("{:.0f} {}", v, kUnits[unit]);
}

std::string format_duration(std::chrono::seconds duration) {
  const int64_t s = std::max<int64_t>(0, duration.count());
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

std::string progress_text(const CopyProgress& p) {
  std::string text = fmt::format("copying: {} rows, {}, {:.0f} rows/s", p.rows,
                                 format_bytes(p.bytes), p.rows_per_second());
  if (p.chunks_total > 0) text += fmt::format(", chunk {}/{}", p.chunks_done, p.chunks_total);
  if (p.total_rows && *p.total_rows > 0) {
    const double done = std::min(1.0, static_cast<double>(p.rows) / *p.total_rows);
    text += fmt::format(", {:.1f}%", done * 100);
    if (const auto eta = p.eta()) text += ", ETA " + format_duration(*eta);
  }
  if (p.retries > 0) text += fmt::format(", {} retried", p.retries);
  return text;
}

void ProgressLine::update(const CopyProgress& progress) {
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  shown_ = true;
  out_ << kEraseLine << progress_text(progress) << std::flush;
}

void ProgressLine::clear() noexcept {
  if (!shown_) return;
  shown_ = false;
  try {
    out_ << kEraseLine << std::flush;
  } catch (...) {
    // The stream may have exceptions enabled; a lost erase is harmless.
  }
}

}  // namespace polydb::cli
