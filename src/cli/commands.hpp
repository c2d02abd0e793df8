#pragma once

// The commands of the polydb executable (ls, describe, sql, exec, copy,
// ping, version): argument parsing with CLI11, dispatch, and the mapping of
// errors to exit statuses. Private to src/cli.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "polydb/value.hpp"

namespace polydb::cli {

/// Exit statuses of the polydb executable.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  ///< an operational error (polydb::Error)
inline constexpr int kExitUsage = 2;    ///< bad arguments, options or connection URL

/// Runs the polydb command line: parses `argv`, runs the command, prints
/// results on standard output and errors (one `polydb: error: ` line, plus a
/// `polydb: detail: ` line with --verbose) on standard error. Returns the exit
/// status; never throws.
int run(int argc, char** argv);

/// Parses a `-p VALUE` query parameter.
///  - `TYPE:TEXT`, where TYPE is a polydb type name (int64, float64,
///    decimal, decimal(P,S), string, boolean, bytes, date, time, timestamp,
///    timestamp_tz, uuid, json) or an alias (int, integer, bigint, float,
///    double, real, numeric, text, str, bool, blob, timestamptz), binds TEXT
///    parsed as that type (polydb::parse_value); `null:` binds NULL;
///    `json:` takes one valid JSON document.
///  - `WORD:TEXT` where WORD (a letter, then letters, digits or '_') is no
///    type is refused, so that a mistyped type never binds as text; URLs
///    (`http://x`: ':' then "//") and `fe80::1` (':' then ':') are not
///    type prefixes. `text:WORD:TEXT` binds such text.
///  - Otherwise a JSON-syntax number binds as int64 when it is an integer
///    that fits (`42`, `-7`) and as float64 when it has a fraction or an
///    exponent (`1.5`, `2e3`); anything else, leading zeros (`007`) and
///    numbers out of range (`1e400`, 2^63) included, binds as text.
/// Throws Error(type_mismatch / invalid_argument) when TEXT does not parse as
/// TYPE, or WORD is no type.
Value parse_param(std::string_view text);

/// A named parameter `@NAME=VALUE` (NAME: letters, digits, '_'; VALUE as for
/// parse_param): {"@NAME", VALUE}. nullopt when `text` is not of that form
/// (write text:@x=1 to bind such text positionally).
std::optional<std::pair<std::string, Value>> parse_named_param(std::string_view text);

}  // namespace polydb::cli
