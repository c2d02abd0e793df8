#pragma once

// DynamoDB attribute values <-> polydb types (documented in docs/dynamodb.md).
//
//   attribute    read as (natural type)                 written from
//   S            string                                  string; date, time, timestamp[_tz],
//                                                        uuid as polydb's ISO text
//   N            int64 when an integer that fits, else   int64, decimal (exact text),
//                decimal (exact text, never a double)    float64 (shortest round-trip text)
//   B            bytes (base64 on the wire)              bytes
//   BOOL         boolean                                 boolean
//   NULL         NULL                                    (NULL cells are omitted)
//   M, L         json (object / array)                   json objects / arrays
//   SS, NS, BS   json array (strings, numbers, base64)   json arrays of columns named in the
//                                                        URL option sets= (see SetType)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "polydb/batch.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::dynamodb {

using Json = nlohmann::ordered_json;  // keeps the attribute order of responses

/// The attribute type letter of an attribute value ("S", "N", "M", ...).
std::string_view av_kind(const Json& av);

/// The natural polydb value of an attribute value (table above).
Value av_to_value(const Json& av);

/// The attribute value as plain JSON text (N digits kept exactly, B as
/// base64 strings, sets as arrays): what a json column holds.
std::string av_to_json_text(const Json& av);

/// The attribute value for `v` (NULL -> {"NULL": true}). Throws
/// Error(type_mismatch) for NaN and infinities, which DynamoDB cannot store.
Json value_to_av(const Value& v);

/// Plain JSON text -> attribute value: objects -> M, arrays -> L, strings ->
/// S, numbers -> N (exact digits), booleans -> BOOL, null -> NULL; text that
/// is not JSON -> S.
Json json_text_to_av(std::string_view text);

/// The set type a column declared in `sets=` is written as; `infer` takes SS
/// for an array of strings and NS for an array of numbers (BS must be declared:
/// its elements are base64 strings, which look like SS).
enum class SetType { infer, SS, NS, BS };

/// The SS/NS/BS attribute for the JSON array `text` (NS digits kept exactly,
/// BS elements base64-decoded and re-encoded), or nullopt for an empty array:
/// DynamoDB has no empty sets, so the attribute is omitted (it reads back as
/// NULL). Throws Error(type_mismatch) for text that is not a JSON array, and
/// for elements that are not all strings (SS, BS) or all numbers (NS), are
/// duplicates, or are not base64 (BS).
std::optional<Json> json_text_to_set_av(std::string_view text, SetType type);

/// The attribute value of row `row` of `col`, or nullopt for NULL (omitted).
std::optional<Json> cell_to_av(const Column& col, size_t row);

/// Appends `av` (nullptr = attribute missing) to `col`, converting to the
/// column's type without loss (N into a string column -> its text; any
/// attribute into a json column -> its JSON form). Throws
/// Error(type_mismatch) saying what did not fit; callers add attribute and key.
void append_av(Column& col, const Json* av);

/// The polydb type an attribute type reads as for schema inference;
/// std::nullopt for NULL (no information).
std::optional<Type> natural_type(const Json& av);

/// The key attribute type ("S", "N", "B") for a polydb key column type;
/// Error(unsupported) for boolean/json keys.
std::string key_attribute_type(Type type, std::string_view column);

/// Total order used for local ORDER BY: NULLs first, numbers by value
/// (int64, decimal, float64 exactly), others by their text.
int compare_values(const Value& a, const Value& b);

}  // namespace polydb::dynamodb
