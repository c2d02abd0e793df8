#pragma once

// Guessing a column type from text values, for backends that store dates,
// times, UUIDs and exact decimals as strings (DynamoDB S, Firestore
// stringValue) and have no schema to say so. Private to polydb.

#include <string_view>

#include "polydb/type.hpp"

namespace polydb {

/// Feed it every non-null string of a column; `type()` is the narrowest type
/// that every one of them round-trips through exactly (polydb's own text form:
/// uuid, date, time, timestamp_tz with an offset, timestamp, decimal with a
/// fraction), else string. Plain data; thread-compatible.
class TextTypeGuess {
 public:
  void add(std::string_view text);
  /// TypeId::string when nothing was added.
  Type type() const;

 private:
  bool any_ = false;
  bool uuid_ = true, date_ = true, time_ = true, ts_ = true, tstz_ = true;
  bool decimal_ = true, decimal_point_ = false;
};

}  // namespace polydb
