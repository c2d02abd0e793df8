#pragma once

// PostgreSQL <-> polydb type mapping and the binary wire format of each type
// (what binary COPY and binary results carry; see docs/postgres.md).
//
//   PostgreSQL                                   polydb        binary format
//   boolean                                      boolean       1 byte
//   smallint, integer, bigint, oid               int64         big-endian 2/4/8/4 bytes
//   real, double precision                       float64       IEEE 754, 4/8 bytes
//   numeric(p,s)                                 decimal(p,s)  base-10000 digits
//   text, varchar, char(n), name, citext, enum   string        the text
//   json / jsonb                                 json          the text / version 1 + text
//   bytea                                        bytes         the bytes
//   date                                         date          int32 days since 2000-01-01
//   time                                         time          int64 micros since midnight
//   timestamp / timestamptz                      timestamp[_tz] int64 micros since 2000-01-01
//   uuid                                         uuid          16 bytes
//   interval                                     string        ISO 8601 ("P1DT2H")
//   time with time zone                          string        "HH:MM:SS+HH:MM"
//   arrays                                       json          nested JSON arrays
//   domains                                      their base type
// Anything else is read as its text form (scans cast it to text).

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/json_text.hpp"  // compact_json, for jsonb
#include "polydb/batch.hpp"
#include "polydb/type.hpp"
#include "polydb/value.hpp"

namespace polydb::postgres {

/// Built-in type OIDs (pg_type.dat; stable across server versions).
namespace oid {
inline constexpr Oid kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21,
                     kInt4 = 23, kText = 25, kOid = 26, kJson = 114, kXml = 142, kFloat4 = 700,
                     kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTime = 1083,
                     kTimestamp = 1114, kTimestamptz = 1184, kInterval = 1186, kTimetz = 1266,
                     kNumeric = 1700, kUuid = 2950, kJsonb = 3802;
}  // namespace oid

/// Big-endian integers of the wire protocol and the binary formats.
namespace wire {
inline uint16_t get16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t get32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t get64(const char* p) { return (uint64_t{get32(p)} << 32) | get32(p + 4); }
inline void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
inline void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}
inline void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v >> 32));
  put32(out, static_cast<uint32_t>(v & 0xffffffff));
}
}  // namespace wire

/// How values of a type travel in binary format.
enum class Codec : uint8_t {
  unsupported,  ///< no binary decoder: read as text (scan casts) or refuse (query)
  boolean,
  int2,
  int4,
  int8,
  oid,
  float4,
  float8,
  numeric,
  text,  ///< raw text: text, varchar, bpchar, name, citext, enum labels, xml, "char"
  json,
  jsonb,
  bytea,
  date,
  time,
  timetz,
  timestamp,
  timestamptz,
  interval,
  uuid,
  array,  ///< elements use `element`
};

/// A PostgreSQL type as polydb reads and writes it. Domains are resolved to
/// their base type's codec.
struct PgType {
  Oid oid = 0;  ///< as the server reports it (a domain's own OID for domains)
  Codec codec = Codec::unsupported;
  Codec element = Codec::unsupported;  ///< arrays: the element codec
  /// Comparisons in SQL give the same answer as polydb's (bytewise strings
  /// under COLLATE "C", exact numbers): filters on it may be pushed down.
  bool comparable = false;
  /// char(n) (bpchar, and domains over it) compares ignoring trailing blanks;
  /// citext (and domains over it) ignores case.
  Collation collation = Collation::binary;
  std::string name;  ///< for messages, e.g. "integer[]"
};

/// The codec of a built-in scalar type, or nullopt.
std::optional<Codec> builtin_codec(Oid type_oid);
/// The PgType of a built-in scalar type (codec unsupported for unknown OIDs).
PgType builtin_type(Oid type_oid);

/// Facts from pg_type about a non-built-in type, after following domains to
/// their base type.
struct CatalogType {
  Oid oid = 0;   ///< the type asked about
  Oid base = 0;  ///< the base type (== oid unless a domain)
  char typtype =
      'b';  ///< of the base: b base, e enum, c composite, r range, p pseudo, m multirange
  char category = 'U';  ///< typcategory of the base: A array, S string, ...
  Oid element = 0;      ///< typelem of the base (arrays)
  std::string name;     ///< format_type(oid, NULL)
  std::string base_name;  ///< typname of the base type, e.g. "citext"
};
/// Decides how polydb handles a type from its catalog facts; `element` is the
/// already resolved element type of an array (ignored otherwise).
PgType type_from_catalog(const CatalogType& facts, const PgType* element);

/// The polydb type of a column of `type` with type modifier `typmod`
/// (numeric precision and scale; -1 = none).
Type polydb_type(const PgType& type, int32_t typmod = -1);
/// The PostgreSQL type polydb declares for a column of `type` (create_table).
std::string declared_type(Type type);

/// True when `native` (a column type as format_type() spells it, e.g.
/// "character varying(20)", "numeric(12,2)", "timestamp(3) without time zone")
/// is a built-in type that a new table may declare as is and that the writer
/// fills from the polydb type describe() reads it as. Arrays, domains, enums,
/// user types and anything else are false: those columns get declared_type().
bool native_type_declarable(std::string_view native);
/// The OID and type name used for a parameter or literal of polydb type `id`
/// (0 / "" for string, json and null: the server infers those from context).
Oid param_oid(TypeId id);
std::string_view cast_name(TypeId id);

/// Appends one binary field (`len` < 0: NULL) of `type` to `out`, whose type
/// is polydb_type(type). Throws Error(type_mismatch) naming `column` for a
/// value polydb cannot represent (numeric NaN, time 24:00:00) and
/// Error(corruption) for a malformed field.
void decode_field(const PgType& type, const char* data, int32_t len, Column& out,
                  std::string_view column);

/// Binary COPY OUT framing (what `COPY ... TO STDOUT (FORMAT binary)` sends):
/// a header, then per tuple an int16 field count and per field an int32
/// length (-1 = NULL) and the bytes, then an int16 -1 trailer. Pure functions
/// over buffered bytes, so the decoding is tested (and fuzzed) without a server.

/// The size of the header at the start of `buf` (signature, flags, extension
/// area), or nullopt when `buf` does not hold all of it yet. Throws
/// Error(corruption) when `buf` does not start with the binary COPY signature.
std::optional<size_t> copy_header_size(std::string_view buf);

/// What decode_copy_tuple found at the start of its buffer.
struct CopyTuple {
  enum class Kind { row, incomplete, trailer };
  Kind kind = Kind::incomplete;
  size_t consumed = 0;  ///< bytes of `buf` used (0 for incomplete)
};

/// Decodes the tuple at the start of `buf` into one row of `batch`, field i
/// with `types[i]` (see decode_field; columns are named by batch's schema).
/// A tuple is appended only when all of it is in `buf`; incomplete leaves
/// `batch` untouched. Throws Error(corruption) for a field count other than
/// types.size(), and what decode_field throws (then the row is half appended:
/// discard the batch).
CopyTuple decode_copy_tuple(std::string_view buf, std::span<const PgType> types, Batch& batch);

/// True when encode_field can write values of `type`.
bool can_encode(const PgType& type);
/// Appends row `row` of `col` as one binary COPY field (int32 length + bytes)
/// of `type`. col.type().id must be polydb_type(type).id. Throws
/// Error(type_mismatch) when the value does not fit (int range, float4 range,
/// malformed decimal or interval text).
void encode_field(const PgType& type, const Column& col, size_t row, std::string& out);

/// Numeric's binary form <-> canonical decimal text. decode throws
/// Error(type_mismatch) for NaN and infinities; encode for text that is not a
/// decimal number.
std::string decode_numeric(const char* data, int32_t len);
void encode_numeric(std::string_view text, std::string& out);

/// ISO 8601 text of an interval (months, days, microseconds), like
/// IntervalStyle iso_8601: "P1Y2M3DT4H5M6.5S", "PT0S".
std::string format_interval(int32_t months, int32_t days, int64_t micros);
/// Parses ISO 8601 interval text ("P1Y2M", "PT1.5S", "-P1D", "P2W"). nullopt
/// when the text is not one.
struct Interval {
  int32_t months = 0;
  int32_t days = 0;
  int64_t micros = 0;
};
std::optional<Interval> parse_interval(std::string_view text);


/// Quotes a string as an SQL literal (PQescapeLiteral on a live connection).
using QuoteLiteral = std::function<std::string(std::string_view)>;
/// `value` (already of the column's polydb type) as an SQL literal with an
/// explicit cast, e.g. `'42'::int8`, `E'O''Brien'::text`, `NULL`; nullopt
/// when it cannot be written exactly (NaN, dates outside years 1-9999, text
/// with NUL bytes): the filter is then evaluated by polydb instead.
std::optional<std::string> sql_literal(const Value& value, const QuoteLiteral& quote);

}  // namespace polydb::postgres
