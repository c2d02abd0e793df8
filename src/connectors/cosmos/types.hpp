#pragma once

// Cosmos DB JSON documents <-> polydb types (documented in docs/cosmos.md).
//
//   JSON value          read as (natural type)           written from
//   string              string (see infer_schema)         string; date, time, timestamp[_tz],
//                                                         uuid as ISO text ('T' form); bytes
//                                                         as polydb's hex text "\x0a0b"
//   number              int64 when integral and fits,     int64 within +-2^53, float64,
//                       else float64                      decimal exact as a double; other
//                                                         int64/decimal values as strings
//                                                         holding the exact digits
//   true/false          boolean                           boolean
//   null / missing      NULL                              NULL cells are omitted
//   object, array       json                              json (parsed, stored nested)
//
// Cosmos DB stores every number as an IEEE double: a number that a double
// cannot hold exactly is written as a string so that no digit is lost.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "polydb/batch.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::cosmos {

using Json = nlohmann::ordered_json;  // keeps the property order of documents

/// System properties every document carries.
inline constexpr std::string_view kSystemProperties[] = {"_rid", "_self", "_etag", "_attachments",
                                                          "_ts"};
bool is_system_property(std::string_view name) noexcept;

/// The JSON value for `v`; nullopt for NULL (omitted). Throws
/// Error(type_mismatch) for NaN and infinities, which JSON cannot hold.
std::optional<Json> value_to_json(const Value& v);

/// The natural polydb value of a JSON value (table above; no inference).
Value json_to_value(const Json& j);

/// Appends `j` (nullptr = property missing) to `col`, converted to the
/// column's type without loss (a number into a string column -> its text;
/// anything into a json column -> its JSON text; numeric strings into numeric
/// columns). Throws Error(type_mismatch); callers add the property and id.
void append_json(Column& col, const Json* j);

/// The name Cosmos gives a JSON value's kind: "string", "number", "boolean",
/// "null", "object", "array".
std::string_view json_kind(const Json& j) noexcept;

/// Infers a schema from a sample of documents by the rule every document
/// store shares (DocumentSchemaBuilder in connectors/common/document_schema.hpp;
/// strings are text that may hold polydb's hex bytes and ISO 8601 forms,
/// numbers integer or floating, and strings holding exact numbers mix with
/// numbers): `key_paths` (the partition key's top-level property names) and
/// "id" first, then the other properties in the fullest document's order,
/// then the catch-all `_extra`; system properties are left out unless listed
/// in `keep_system`. "id" values that are all integers' canonical text ->
/// int64 (polydb wrote them from an integer key). Native types name the JSON
/// kinds seen ("inferred:number", "inferred:string|number").
/// `item_keys` false (query results, which need not be items): no column
/// and no key is added for the partition key or `id` unless documents have them.
Schema infer_schema(const std::vector<const Json*>& docs, const std::vector<std::string>& key_paths,
                    const std::vector<std::string>& keep_system = {}, bool item_keys = true);

}  // namespace polydb::cosmos
