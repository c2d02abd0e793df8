#pragma once

// How polydb values enter the query engine (SQLite) and come back out of it.
//
// Remote rows reach SQLite through the virtual tables' xColumn, and
// constraint values leave SQLite through xFilter. The encoding keeps SQLite's
// comparisons, ORDER BY, MIN/MAX and arithmetic right for every type:
//
//   polydb type    SQLite value                          declared column type
//   boolean        INTEGER 0/1                           BOOLEAN
//   int64          INTEGER                               INTEGER
//   float64        REAL (NaN becomes NULL, as in SQLite)  REAL
//   decimal        REAL when <= 15 significant digits    DECIMAL(p,s) (NUMERIC affinity)
//                  (exact round trip; integral ones too,
//                  so that 5.00 / 2 is 2.5), INTEGER when
//                  longer, integral and in range, else
//                  TEXT; subtype 'D' so that sum() adds
//                  exactly
//   string         TEXT                                   TEXT
//   bytes          BLOB                                   BLOB
//   date/time/     TEXT, ISO 8601 ('2024-01-31',          DATE / TIME / TIMESTAMP /
//   timestamp[_tz] '... 12:00:00.5+00:00'): what SQLite's  TIMESTAMPTZ
//                  date functions read
//   uuid           TEXT, lowercase 8-4-4-4-12             UUID
//   json           TEXT with subtype 'J' (JSON for        JSON
//                  SQLite's json functions)

#include <sqlite3.h>

#include <optional>
#include <string>

#include "polydb/batch.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::query {

/// Subtype marking a REAL that came from an exact decimal (read by sum()).
inline constexpr unsigned kDecimalSubtype = 'D';
/// SQLite's json1 subtype for JSON text.
inline constexpr unsigned kJsonSubtype = 'J';

/// The declared type of a virtual-table column of `type` (see the table above).
std::string engine_declared_type(Type type);

/// Sets the result of `ctx` to row `row` of `col`.
void result_cell(sqlite3_context* ctx, const Column& col, size_t row);

/// Binds row `row` of `col` at `idx` with the same encoding as result_cell,
/// for the local copies of remote tables.
void bind_engine_cell(sqlite3_stmt* stmt, int idx, const Column& col, size_t row);

/// The polydb Value that a SQLite comparison with `v` means for a column of
/// `type`, or std::nullopt when the backend could not evaluate the comparison
/// as SQLite does (a NULL, a text that is no number for a numeric column, an
/// integer for a date column, ...): such constraints are not pushed down.
std::optional<Value> constraint_value(sqlite3_value* v, Type type);

/// Binds `v` as a lookup key into a local copy (the same encoding as
/// bind_engine_cell). False when `v` cannot equal any value of the column.
bool bind_lookup_key(sqlite3_stmt* stmt, int idx, const Value& v);

/// Appends to `out` the bytes that identify row `row` of `col` as a lookup
/// key: values SQLite finds equal (5 and 5.0, a decimal 5) get the same
/// bytes. False for NULL, which equals nothing.
/// A string key is collation_key() under `field`'s collation (binary without
/// a field): 'MAIL' and 'MAIL  ' are one key under pad_space, as COLLATE
/// RTRIM has it. Throws Error(unsupported) for a value of a case-insensitive
/// column that polydb cannot fold as the engine does (refused_comparison).
bool append_key(std::string& out, const Column& col, size_t row, const Field* field = nullptr);
/// The same for a lookup value.
bool append_key(std::string& out, const Value& v, const Field* field = nullptr);

/// The collation a federated table declares for a column of type `id`:
/// "polydb_date", "polydb_time", "polydb_timestamp", "polydb_timestamptz"
/// for the date and time types, nullptr for the others. These compare the
/// ISO text SQLite holds as the values it names, as the engines do: a
/// literal '2024-01-05' equals the timestamp '2024-01-05 00:00:00' and is
/// not before it, '10:00:00.50' equals '10:00:00.5', a naive literal is UTC
/// for a timestamptz column. Text that names no such value sorts after every
/// value, bytewise among itself.
const char* temporal_collation(TypeId id) noexcept;

/// Registers the collations of temporal_collation() on `db`.
void register_temporal_collations(sqlite3* db);

}  // namespace polydb::query
