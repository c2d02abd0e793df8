#pragma once

// Table names as the SQL connectors read them from the user: `orders`,
// `sales.orders`, and quoted parts for names that hold a '.' or a quote
// (`"dot.ted"`, `main."we""ird"`, `` `a.b` ``, `[dbo].[x.y]`). Shared by the
// SQLite, MySQL and ODBC connectors (PostgreSQL has its own reading, with
// case folding).

#include <optional>
#include <string>
#include <string_view>

namespace polydb {

/// A table name split into schema (or database; "" = the connection's
/// default) and table, both unquoted.
struct SqlTableName {
  std::string schema;
  std::string table;
};

/// Reads `text` when it uses quoted syntax: a part (the whole text, or what
/// follows a '.') starts with '"', '`' or '['. Up to two parts separated by
/// '.'; a quoted part ends at its closing quote, which is doubled inside
/// (`""`, ``` `` ```, `]]`); a plain part runs to the next '.'. Returns
/// std::nullopt when no part is quoted: the connector's rules for plain names
/// apply then (`we"ird` stays one plain name). Throws
/// Error(invalid_argument), naming `backend`, for an unterminated quote, text
/// after a closing quote, an empty part or more than two parts.
std::optional<SqlTableName> parse_quoted_table_name(std::string_view text,
                                                    std::string_view backend);

/// True when `name`, written as it is, would not be read back as one plain
/// table name by parse_quoted_table_name() and the connectors' plain-name
/// rules: it contains a '.' or starts with '"', '`' or '['.
bool table_name_needs_quotes(std::string_view name);

/// `"name"` with inner double quotes doubled.
std::string double_quoted(std::string_view name);

/// The text that designates exactly `name` for parse_quoted_table_name() and
/// the plain-name rules: `table` as it is unless it needs quotes, and a
/// schema-qualified name always quoted (`"s"."t"`: a plain `s.t` may also
/// read as a table named "s.t").
std::string table_reference_text(const SqlTableName& name);

}  // namespace polydb
