#pragma once

// Checks for the numeric option values of the polydb command line, shared by
// the CLI11 validators in commands.cpp and their unit tests. Private to src/cli.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace polydb::cli {

/// The largest `copy --batch-size`: a batch of a million rows of a wide
/// table is already hundreds of MB, and readers reserve room for a whole batch.
inline constexpr uint64_t kMaxBatchRows = 1'000'000;

/// The largest row count `--limit` and `--max-remote-calls` take: the int64
/// range, which is what SQL LIMIT clauses accept.
inline constexpr uint64_t kMaxCount = std::numeric_limits<int64_t>::max();

/// Parses an option value that is a whole number from `min` to `max`:
/// decimal digits only (no sign, no spaces, no fraction, no exponent).
/// Throws Error(invalid_argument) whose message quotes `text` and states the
/// accepted range, e.g. "'-5' is not a whole number from 1 to 1,000,000".
uint64_t parse_count(std::string_view text, uint64_t min, uint64_t max);

/// `n` with thousands separators ("1,000,000"), for messages and help.
std::string group_digits(uint64_t n);

}  // namespace polydb::cli
