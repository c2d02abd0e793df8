#pragma once

// SQLite <-> polydb type mapping.
//
// SQLite is dynamically typed; polydb reads the declared column type and
// stores each logical type in one fixed encoding (documented in docs/sqlite.md):
//
//   polydb type     declared type       stored as
//   boolean         BOOLEAN             INTEGER 0/1
//   int64           INTEGER             INTEGER
//   float64         REAL                REAL (NaN cannot be stored: an error)
//   decimal(p,s)    DECIMAL_TEXT(p,s)   TEXT, canonical (exact; TEXT affinity)
//   string          TEXT                TEXT
//   bytes           BLOB                BLOB
//   date            DATE                TEXT 'YYYY-MM-DD'
//   time            TIME                TEXT 'HH:MM:SS[.ffffff]'
//   timestamp       TIMESTAMP           TEXT 'YYYY-MM-DD HH:MM:SS[.ffffff]'
//   timestamp_tz    TIMESTAMPTZ         TEXT 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00' (UTC)
//   uuid            UUID                TEXT, lowercase 8-4-4-4-12
//   json            JSON_TEXT           TEXT (TEXT affinity keeps scalars as written)
//
// Reading is lenient where no information is lost: DECIMAL/NUMERIC columns
// holding INTEGER/REAL, timestamps stored as Unix seconds, 'T' separators.

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "polydb/batch.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::sqlite {

/// The polydb type of a column declared as `declared` (case-insensitive),
/// following SQLite's affinity rules for names polydb does not know.
Type type_from_declared(std::string_view declared);
/// The polydb type of an undeclared result column from a value's storage class.
Type type_from_storage(int storage_class);
/// The declared type polydb uses when it creates a column of `type`.
std::string declared_type(Type type);

/// Binds `v` at 1-based index `idx` in polydb's encoding. Throws Error.
void bind_value(sqlite3_stmt* stmt, int idx, const Value& v);
/// Binds row `row` of `col` (fast path, no Value), in polydb's encoding.
/// `scratch` (kMaxTemporalText bytes, one per bound column) must stay
/// untouched until the statement has stepped: temporal text is bound from it.
void bind_cell(sqlite3_stmt* stmt, int idx, const Column& col, size_t row, char* scratch);
/// Appends result column `i` of the current row to `out` (of out.type()).
/// Throws Error(type_mismatch) naming `name` when the stored value does not fit.
void read_cell(sqlite3_stmt* stmt, int i, Column& out, std::string_view name);
/// The same for a value kept with sqlite3_value_dup().
void read_value(sqlite3_value* v, Column& out, std::string_view name);

}  // namespace polydb::sqlite
