#pragma once

// Firestore values (REST v1 JSON) <-> polydb types; documented in docs/firestore.md.
//
//   Firestore value   read as (natural type)           written from
//   nullValue         NULL                             NULL
//   booleanValue      boolean                          boolean
//   integerValue      int64 (string-encoded int64)     int64
//   doubleValue       float64 (NaN, ±Infinity too)     float64
//   timestampValue    timestamp_tz (µs; ns truncated)  timestamp_tz, timestamp (as UTC)
//   stringValue       string (a column whose strings   string; decimal (exact text),
//                     all are polydb's date/time/uuid/  date, time, uuid (polydb's text)
//                     decimal text reads as that type)
//   bytesValue        bytes (base64 on the wire)       bytes
//   referenceValue    string (the full document name)  —
//   geoPointValue     json {"latitude":..,"longitude":..}  —
//   arrayValue        json array                       json arrays
//   mapValue          json object                      json objects (other json scalars
//                                                      as their Firestore scalar)
//
// Inside json (arrays and maps) timestamps become RFC 3339 strings with every
// digit, bytes base64 strings, references their name and geo points objects.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "polydb/batch.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::firestore {

using Json = nlohmann::ordered_json;  // keeps the field order of documents

/// The kind of a Firestore value: its one key ("integerValue", ...); "" when
/// it is not a value object.
std::string_view value_kind(const Json& v) noexcept;

/// The natural polydb value of a Firestore value (table above).
Value to_value(const Json& v);

/// The Firestore value as plain JSON text (what a json column holds).
std::string to_json_text(const Json& v);

/// The Firestore value for `v`. Date, time, uuid and decimal become strings
/// (Firestore has no such types); json text becomes map/array/scalar values.
Json from_value(const Value& v);

/// Plain JSON text -> Firestore value: objects mapValue, arrays arrayValue,
/// integers that fit int64 integerValue, other numbers doubleValue.
/// Throws Error(type_mismatch) when the text is not JSON.
Json from_json_text(std::string_view text);

/// Appends `v` (nullptr = field missing) to `col`, converting to the column's
/// type without loss (any value into a json column as its JSON form, into a
/// string column as its text). Throws Error(type_mismatch) saying what did
/// not fit; callers add the field and document.
void append_value(Column& col, const Json* v);

/// RFC 3339 UTC text with microseconds: "2024-01-31T12:34:56.123456Z".
/// Throws Error(type_mismatch) outside years 0001-9999, which Firestore
/// cannot store.
std::string format_rfc3339(TimestampTz t);
/// Parses RFC 3339 (any number of fraction digits, truncated to µs; "Z" or
/// an offset). nullopt when it is not one.
std::optional<TimestampTz> parse_rfc3339(std::string_view text);

}  // namespace polydb::firestore
