#pragma once

// Guessing a column type from text values, for document stores that keep
// dates, times, UUIDs, exact decimals or bytes as strings (Cosmos DB,
// Firestore stringValue) and have no schema to say so. Private to polydb.

#include <string_view>

#include "polydb/type.hpp"

namespace polydb {

/// Feed it every non-null string of a column; type() is the narrowest type
/// that every one of them round-trips through exactly (polydb's own text
/// form: uuid, date, time, timestamp_tz with an offset, timestamp; with the
/// options also decimal and hex bytes), else string. Plain data.
class TextTypeGuess {
 public:
  struct Options {
    /// Text with a fraction ("12.50") may be an exact decimal; digits alone
    /// ("12345": ids, zip codes) stay strings.
    bool decimal = false;
    /// polydb's hex form of bytes ("\x0a0b") reads as bytes.
    bool hex_bytes = false;
    /// ISO 8601 spellings count too: 'T' between date and time, and 'Z' for
    /// "+00:00" (JSON documents written by other tools).
    bool iso_8601 = false;
  };

  TextTypeGuess() = default;
  explicit TextTypeGuess(Options options) : options_(options) {}

  void add(std::string_view text);
  /// TypeId::string when nothing was added.
  Type type() const;

 private:
  Options options_;
  bool any_ = false;
  bool uuid_ = true, date_ = true, time_ = true, ts_ = true, tstz_ = true;
  bool decimal_ = true, decimal_point_ = false, bytes_ = true;
};

}  // namespace polydb
