#pragma once

// Schema inference for stores without column types (document databases):
// which polydb type a set of strings was written from. Private to polydb.

#include <string_view>

#include "polydb/type.hpp"

namespace polydb {

/// Tracks whether every string observed so far is the exact text form of one
/// polydb type, as polydb writes it: uuid, date, time, timestamp (with ' ' or
/// 'T' between date and time), timestamp_tz (with a zone) or hex bytes
/// ("\x0a0b", format_hex). Only exact round-trips count, so "2024-1-5" or
/// "ABC" stay strings. Plain value type.
class TextTypeGuess {
 public:
  /// Takes one more string into account.
  void observe(std::string_view text);
  /// The type every observed string round-trips as (uuid, date, time,
  /// timestamp_tz, timestamp, bytes, checked in that order); TypeId::string
  /// when none fits or nothing was observed.
  TypeId best() const noexcept;

 private:
  bool any_ = false;
  bool uuid_ = true, date_ = true, time_ = true, ts_ = true, tstz_ = true, bytes_ = true;
};

}  // namespace polydb
