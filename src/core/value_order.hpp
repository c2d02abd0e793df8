#pragma once

// A total order over Values for sorting rows locally (backends that cannot
// sort server-side the way a scan asks). Private to polydb.

#include "polydb/value.hpp"

namespace polydb {

/// <0, 0, >0. NULL sorts first; numbers (int64, float64, decimal) compare by
/// value with each other (NaN after every number); values of one type by
/// their natural order (strings and bytes bytewise, json by its text); values
/// of two unrelated types by type id.
int compare_for_order(const Value& a, const Value& b);

}  // namespace polydb
