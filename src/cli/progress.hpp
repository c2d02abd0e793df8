#pragma once

// The progress line `polydb copy` draws on a terminal, and the number
// formats its summary shares. Private to src/cli.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "polydb/engine.hpp"

namespace polydb::cli {

using CopyProgress = engine::Progress;
using engine::ProgressSink;

/// "0 B", "999 B", "12.3 kB", "4.56 MB", "1.20 GB" (powers of 1000, three
/// significant digits).
std::string format_bytes(uint64_t bytes);

/// "0:07", "12:34", "1:02:03": minutes and seconds, hours when needed.
std::string format_duration(std::chrono::seconds duration);

/// The text of one progress line: rows, bytes, rows/s, and percent and ETA
/// when the total is known.
std::string progress_text(const CopyProgress& progress);

/// Draws CopyProgress as one line on a terminal, redrawn in place at most ten
/// times a second; the line is erased by clear() or the destructor, so what is
/// printed next starts on a clean line. Single-threaded; borrows `out`.
class ProgressLine final : public ProgressSink {
 public:
  explicit ProgressLine(std::ostream& out) : out_(out) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() override { clear(); }

  void update(const CopyProgress& progress) override;
  /// Erases the line if one is shown.
  void clear() noexcept;

 private:
  std::ostream& out_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool shown_ = false;
};

}  // namespace polydb::cli
