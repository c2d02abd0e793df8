#pragma once

/// polydb's logical types and table schemas.
///
/// Every connector maps its native types to these and back; the mapping is
/// documented per connector. Physical layout in a Batch follows Apache Arrow
/// (see batch.hpp for the buffer of each type).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace polydb {

/// The logical type of a column or value.
enum class TypeId : uint8_t {
  null,          ///< only NULLs (unknown type); Arrow null
  boolean,       ///< Arrow bool (bit-packed)
  int64,         ///< Arrow int64
  float64,       ///< Arrow float64 (IEEE 754 double, NaN and infinities allowed)
  decimal,       ///< exact decimal(precision, scale); canonical text in a var-length buffer
  string,        ///< UTF-8 text; Arrow utf8
  bytes,         ///< binary; Arrow binary
  date,          ///< days since 1970-01-01; Arrow date32
  time,          ///< microseconds since midnight; Arrow time64[us]
  timestamp,     ///< microseconds since 1970-01-01 00:00, no time zone; Arrow timestamp[us]
  timestamp_tz,  ///< microseconds since the Unix epoch, UTC; Arrow timestamp[us, "UTC"]
  uuid,          ///< 16 bytes; Arrow fixed_size_binary(16)
  json,          ///< a JSON document (object, array or scalar) as UTF-8 text
};

/// A logical type: the id plus decimal precision/scale (0/0 = unconstrained).
struct Type {
  TypeId id = TypeId::null;
  uint16_t precision = 0;
  uint16_t scale = 0;

  constexpr Type() = default;
  constexpr Type(TypeId i) : id(i) {}  // NOLINT: implicit on purpose, `Type t = TypeId::int64`
  constexpr Type(TypeId i, uint16_t p, uint16_t s) : id(i), precision(p), scale(s) {}

  friend bool operator==(const Type&, const Type&) = default;
};

/// "int64", "decimal(12,2)", "timestamp_tz", ...
std::string to_string(Type type);
/// Stable lowercase name of a type id ("int64").
std::string_view to_string(TypeId id) noexcept;
/// Parses what to_string(Type) prints; std::nullopt when the text is not a type.
std::optional<Type> parse_type(std::string_view text);

/// Byte width of a fixed-width type's value in a Batch buffer, 0 for
/// variable-length (string, bytes, decimal, json), bit-packed (boolean) and null.
size_t fixed_width(TypeId id) noexcept;
/// True for types stored as offsets + bytes (string, bytes, decimal, json).
bool is_variable_width(TypeId id) noexcept;

/// How the backend compares a text column's values (`=`, `<`, IN, GROUP BY,
/// DISTINCT). polydb compares the same way wherever it evaluates a condition
/// itself: in apply_filter() and in federated queries. Where it cannot
/// (compare_text() answers nullopt), it refuses with an error instead of
/// answering differently from the engine.
enum class Collation : uint8_t {
  binary,     ///< bytewise (PostgreSQL text/varchar, SQLite BINARY, documents)
  pad_space,  ///< bytewise once trailing blanks (U+0020) are removed: SQL `char(n)`
              ///< (PostgreSQL bpchar, MySQL CHAR, SQL Server/ODBC fixed-length char),
              ///< SQLite `COLLATE RTRIM`
  nocase,     ///< SQLite `COLLATE NOCASE`: ASCII letters fold to lower case, every
              ///< other byte compares as it is (exactly SQLite's rule)
  case_insensitive,  ///< the engine's own case-insensitive rules (PostgreSQL citext,
                     ///< MariaDB/MySQL `*_nopad_*_ci` and `*_0900_*_ci`): polydb
                     ///< reproduces them for printable ASCII only
  case_insensitive_pad_space,  ///< the same with trailing blanks insignificant
                               ///< (MariaDB/MySQL PAD SPACE `*_ci` collations)
};

/// "binary", "pad_space", "nocase", "case_insensitive", "case_insensitive_pad_space".
std::string_view to_string(Collation c) noexcept;

/// `s` without its trailing blanks (U+0020); tabs and other white space stay.
/// The rule of the pad-space collations.
inline std::string_view without_trailing_blanks(std::string_view s) noexcept {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

/// True for the collations whose rules are the engine's own
/// (case_insensitive, case_insensitive_pad_space).
constexpr bool is_case_insensitive(Collation c) noexcept {
  return c == Collation::case_insensitive || c == Collation::case_insensitive_pad_space;
}

/// The text two values of a column of collation `c` compare by: equal keys
/// are equal values, and keys order bytewise. binary: `s` itself; pad_space:
/// without trailing blanks; nocase: ASCII letters in lower case;
/// case_insensitive(_pad_space): ASCII letters in upper case (MariaDB's
/// general_ci weights), and nullopt when `s` holds a byte outside printable
/// ASCII (0x20-0x7E): engines fold such characters (and accents, and
/// control characters) by tables of their own, which polydb does not guess.
std::optional<std::string> collation_key(std::string_view s, Collation c);

/// <0, 0, >0 as collation_key(a) and collation_key(b) compare; nullopt when
/// either has no key.
std::optional<int> compare_text(std::string_view a, std::string_view b, Collation c);

/// One column of a schema.
struct Field {
  std::string name;
  Type type;
  bool nullable = true;
  std::string native_type;  ///< the backend's own type name, e.g. "VARCHAR(20)"; may be empty
  Collation collation = Collation::binary;  ///< string columns: how the backend compares them
  /// The engine's name of a case-insensitive collation (e.g.
  /// "utf8mb4_general_ci", "citext"), for messages; empty otherwise.
  std::string collation_name;

  friend bool operator==(const Field&, const Field&) = default;
};

/// An ordered list of fields plus the primary key (column names, in key order).
struct Schema {
  std::vector<Field> fields;
  std::vector<std::string> primary_key;

  /// Index of the field named `name` (exact match first, then ASCII
  /// case-insensitive), or std::nullopt.
  std::optional<size_t> index_of(std::string_view name) const;
  /// The field named `name`; throws Error(not_found) naming the columns that exist.
  const Field& field(std::string_view name) const;
  size_t size() const noexcept { return fields.size(); }

  friend bool operator==(const Schema&, const Schema&) = default;
};

}  // namespace polydb
