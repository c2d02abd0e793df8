#include "connectors/postgres/types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <vector>

#include "connectors/postgres/errors.hpp"
#include "core/encoding.hpp"
#include "polydb/error.hpp"

namespace polydb::postgres {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// PostgreSQL counts from 2000-01-01; polydb from 1970-01-01.
constexpr int32_t kPgEpochDays = 10'957;
constexpr int64_t kPgEpochMicros = int64_t{kPgEpochDays} * kMicrosPerDay;
// 'infinity' and '-infinity' of date and timestamp[tz] travel as the extreme
// values; polydb keeps them as the extreme values of its own range.
constexpr int32_t kDateInfinity = std::numeric_limits<int32_t>::max();
constexpr int32_t kDateNegInfinity = std::numeric_limits<int32_t>::min();
constexpr int64_t kTsInfinity = std::numeric_limits<int64_t>::max();
constexpr int64_t kTsNegInfinity = std::numeric_limits<int64_t>::min();
// Time zone offsets of timetz: PostgreSQL's TZDISP_LIMIT (16 hours) exclusive.
constexpr int32_t kMaxZoneSeconds = 16 * 3600 - 1;

constexpr uint16_t kNumericPos = 0x0000, kNumericNeg = 0x4000, kNumericNaN = 0xC000,
                   kNumericPInf = 0xD000, kNumericNInf = 0xF000;

using wire::get16;
using wire::get32;
using wire::get64;
using wire::put16;
using wire::put32;
using wire::put64;

[[noreturn]] void malformed(std::string_view column, std::string_view type) {
  throw Error(ErrorCode::corruption,
              fmt::format("column '{}': malformed binary {} value from the server", column, type),
              std::string(kBackend));
}

void need(int32_t len, int32_t want, std::string_view column, std::string_view type) {
  if (len != want) malformed(column, type);
}

[[noreturn]] void cannot_represent(std::string_view column, std::string_view what,
                                   std::string_view hint) {
  throw Error(
      ErrorCode::type_mismatch,
      fmt::format("column '{}' holds {}, which polydb cannot represent ({})", column, what, hint),
      std::string(kBackend));
}

[[noreturn]] void does_not_fit(std::string_view value, std::string_view type) {
  throw Error(ErrorCode::type_mismatch,
              fmt::format("value {} does not fit a {} column", value, type), std::string(kBackend));
}

std::string four_digits(int v) { return fmt::format("{:04d}", v); }

std::string zone_text(int32_t seconds_west) {
  const int32_t east = -seconds_west;
  const int32_t a = east < 0 ? -east : east;
  std::string out = fmt::format("{}{:02d}:{:02d}", east < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  if (a % 60) out += fmt::format(":{:02d}", a % 60);
  return out;
}


std::string iso_t(std::string text) {
  if (auto sp = text.find(' '); sp != std::string::npos) text[sp] = 'T';
  return text;
}

// Cell `row` of `col` as a JSON value (array elements), the way PostgreSQL's
// to_json() writes them: numbers bare, NaN/Infinity and everything else as
// strings, timestamps with a 'T'.
void json_of(const Column& col, size_t row, std::string& out) {
  if (col.is_null(row)) {
    out += "null";
    return;
  }
  switch (col.type().id) {
    case TypeId::null:
      out += "null";
      return;
    case TypeId::boolean:
      out += col.bool_at(row) ? "true" : "false";
      return;
    case TypeId::int64:
      out += std::to_string(col.int64_at(row));
      return;
    case TypeId::float64: {
      const double d = col.float64_at(row);
      if (std::isfinite(d))
        out += format_double(d);
      else
        append_json_quoted(format_double(d), out);
      return;
    }
    case TypeId::decimal:
      out += col.var_at(row);
      return;
    case TypeId::json:
      out += col.var_at(row);
      return;
    case TypeId::string:
      append_json_quoted(col.var_at(row), out);
      return;
    case TypeId::bytes:
      append_json_quoted(format_hex(col.var_at(row)), out);
      return;
    case TypeId::date:
      append_json_quoted(format_date(Date{col.int32_at(row)}), out);
      return;
    case TypeId::time:
      append_json_quoted(format_time(Time{col.int64_at(row)}), out);
      return;
    case TypeId::timestamp:
      append_json_quoted(iso_t(format_timestamp(Timestamp{col.int64_at(row)})), out);
      return;
    case TypeId::timestamp_tz:
      append_json_quoted(iso_t(format_timestamp_tz(TimestampTz{col.int64_at(row)})), out);
      return;
    case TypeId::uuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), col.fixed_at(row), 16);
      append_json_quoted(format_uuid(u), out);
      return;
    }
  }
}

// Binary array (array_send): ndim, has-null flag, element OID, (size, lower
// bound) per dimension, then each element as a length-prefixed field.
std::string array_json(const PgType& type, const char* p, int32_t len, std::string_view column) {
  const char* end = p + len;
  auto take32 = [&]() -> int32_t {
    if (end - p < 4) malformed(column, type.name);
    const auto v = static_cast<int32_t>(get32(p));
    p += 4;
    return v;
  };
  const int32_t ndim = take32();
  take32();  // has-null flag
  take32();  // element type
  if (ndim < 0 || ndim > 6) malformed(column, type.name);
  if (ndim == 0) return "[]";
  std::vector<int32_t> dims(static_cast<size_t>(ndim));
  int64_t elements = 1;
  for (auto& d : dims) {
    d = take32();
    take32();  // lower bound: JSON arrays start at 0 anyway
    // PostgreSQL sends an empty array as ndim 0. Each element takes at least
    // 4 bytes, so the element count is bounded by the bytes left: a corrupt
    // header cannot make the output huge.
    if (d <= 0) malformed(column, type.name);
    elements *= d;
    if (elements > (end - p) / 4) malformed(column, type.name);
  }
  PgType element;
  element.codec = type.element;
  element.name = type.name;
  Column scratch(polydb_type(element));
  std::string out;
  auto emit = [&](auto&& self, size_t level) -> void {
    out += '[';
    for (int32_t i = 0; i < dims[level]; ++i) {
      if (i) out += ',';
      if (level + 1 < dims.size()) {
        self(self, level + 1);
        continue;
      }
      const int32_t n = take32();
      if (n > end - p) malformed(column, type.name);
      scratch.clear();
      decode_field(element, p, n, scratch, column);
      if (n > 0) p += n;
      json_of(scratch, 0, out);
    }
    out += ']';
  };
  emit(emit, 0);
  return out;
}

bool valid_decimal_text(std::string_view t) {
  if (t.starts_with('-')) t.remove_prefix(1);
  bool digit = false, dot = false;
  for (char c : t) {
    if (c >= '0' && c <= '9')
      digit = true;
    else if (c == '.' && !dot)
      dot = true;
    else
      return false;
  }
  return digit;
}

// Years 1-9999: the range polydb's formatters print as PostgreSQL reads them.
bool printable_days(int64_t days) {
  return days >= days_from_civil(1, 1, 1) && days <= days_from_civil(9999, 12, 31);
}

}  // namespace

std::optional<Codec> builtin_codec(Oid t) {
  switch (t) {
    case oid::kBool:
      return Codec::boolean;
    case oid::kInt2:
      return Codec::int2;
    case oid::kInt4:
      return Codec::int4;
    case oid::kInt8:
      return Codec::int8;
    case oid::kOid:
      return Codec::oid;
    case oid::kFloat4:
      return Codec::float4;
    case oid::kFloat8:
      return Codec::float8;
    case oid::kNumeric:
      return Codec::numeric;
    case oid::kText:
    case oid::kVarchar:
    case oid::kBpchar:
    case oid::kName:
    case oid::kChar:
    case oid::kXml:
      return Codec::text;
    case oid::kJson:
      return Codec::json;
    case oid::kJsonb:
      return Codec::jsonb;
    case oid::kBytea:
      return Codec::bytea;
    case oid::kDate:
      return Codec::date;
    case oid::kTime:
      return Codec::time;
    case oid::kTimetz:
      return Codec::timetz;
    case oid::kTimestamp:
      return Codec::timestamp;
    case oid::kTimestamptz:
      return Codec::timestamptz;
    case oid::kInterval:
      return Codec::interval;
    case oid::kUuid:
      return Codec::uuid;
    default:
      return std::nullopt;
  }
}

namespace {

// Whether SQL comparisons on a base type agree with polydb's: citext ignores
// case, enums compare by declaration order, json has no order, intervals and
// float NaN follow their own rules (NaN: see below). char(n) ignores trailing
// blanks, as polydb does for a pad_space column (collation_of).
bool comparable_base(Oid base, Codec codec) {
  switch (codec) {
    case Codec::boolean:
    case Codec::int2:
    case Codec::int4:
    case Codec::int8:
    case Codec::oid:
    case Codec::float4:
    case Codec::float8:
    case Codec::numeric:
    case Codec::bytea:
    case Codec::date:
    case Codec::time:
    case Codec::timestamp:
    case Codec::timestamptz:
    case Codec::uuid:
      return true;
    case Codec::text:
      return base == oid::kText || base == oid::kVarchar || base == oid::kName ||
             base == oid::kBpchar;
    default:
      return false;
  }
}

Collation collation_of(Oid base) {
  return base == oid::kBpchar ? Collation::pad_space : Collation::binary;
}

std::string_view builtin_name(Oid t) {
  switch (t) {
    case oid::kBool:
      return "boolean";
    case oid::kInt2:
      return "smallint";
    case oid::kInt4:
      return "integer";
    case oid::kInt8:
      return "bigint";
    case oid::kOid:
      return "oid";
    case oid::kFloat4:
      return "real";
    case oid::kFloat8:
      return "double precision";
    case oid::kNumeric:
      return "numeric";
    case oid::kText:
      return "text";
    case oid::kVarchar:
      return "character varying";
    case oid::kBpchar:
      return "character";
    case oid::kName:
      return "name";
    case oid::kChar:
      return "\"char\"";
    case oid::kXml:
      return "xml";
    case oid::kJson:
      return "json";
    case oid::kJsonb:
      return "jsonb";
    case oid::kBytea:
      return "bytea";
    case oid::kDate:
      return "date";
    case oid::kTime:
      return "time without time zone";
    case oid::kTimetz:
      return "time with time zone";
    case oid::kTimestamp:
      return "timestamp without time zone";
    case oid::kTimestamptz:
      return "timestamp with time zone";
    case oid::kInterval:
      return "interval";
    case oid::kUuid:
      return "uuid";
    default:
      return "";
  }
}

}  // namespace

PgType builtin_type(Oid t) {
  PgType out;
  out.oid = t;
  if (auto c = builtin_codec(t)) {
    out.codec = *c;
    out.comparable = comparable_base(t, *c);
    out.collation = collation_of(t);
  }
  out.name = std::string(builtin_name(t));
  if (out.name.empty()) out.name = fmt::format("oid {}", t);
  return out;
}

PgType type_from_catalog(const CatalogType& f, const PgType* element) {
  PgType out;
  out.oid = f.oid;
  out.name = f.name.empty() ? fmt::format("oid {}", f.oid) : f.name;
  if (auto c = builtin_codec(f.base)) {
    out.codec = *c;
    out.comparable = comparable_base(f.base, *c);
    out.collation = collation_of(f.base);
  } else if (f.typtype == 'e') {
    out.codec = Codec::text;  // enum_send sends the label
  } else if (f.category == 'A' && f.element != 0 && element &&
             element->codec != Codec::unsupported && element->codec != Codec::array) {
    out.codec = Codec::array;
    out.element = element->codec;
  } else if (f.typtype == 'b' && f.category == 'S') {
    out.codec = Codec::text;  // string-category extension types (citext): text on the wire
    // citext: lower() of both sides, then compared; the server pushes it
    // natively, polydb reproduces it for printable ASCII (compare_text).
    if (f.base_name == "citext") {
      out.collation = Collation::case_insensitive;
      out.comparable = true;
    }
  }
  return out;
}

Type polydb_type(const PgType& t, int32_t typmod) {
  switch (t.codec) {
    case Codec::boolean:
      return TypeId::boolean;
    case Codec::int2:
    case Codec::int4:
    case Codec::int8:
    case Codec::oid:
      return TypeId::int64;
    case Codec::float4:
    case Codec::float8:
      return TypeId::float64;
    case Codec::numeric: {
      if (typmod < 4) return TypeId::decimal;
      const int32_t m = typmod - 4;
      const int precision = (m >> 16) & 0xffff;
      // PostgreSQL 15 keeps the scale as a signed 11-bit number.
      const int scale = ((m & 0x7ff) ^ 1024) - 1024;
      if (scale < 0 || scale > precision) return TypeId::decimal;
      return Type(TypeId::decimal, static_cast<uint16_t>(precision), static_cast<uint16_t>(scale));
    }
    case Codec::json:
    case Codec::jsonb:
    case Codec::array:
      return TypeId::json;
    case Codec::bytea:
      return TypeId::bytes;
    case Codec::date:
      return TypeId::date;
    case Codec::time:
      return TypeId::time;
    case Codec::timestamp:
      return TypeId::timestamp;
    case Codec::timestamptz:
      return TypeId::timestamp_tz;
    case Codec::uuid:
      return TypeId::uuid;
    case Codec::text:
    case Codec::timetz:
    case Codec::interval:
    case Codec::unsupported:
      return TypeId::string;
  }
  return TypeId::string;
}

namespace {

// How each polydb type travels to PostgreSQL: the column type polydb creates,
// the parameter OID it binds (0 = let the server infer from text) and the
// cast it writes after a literal. One row per type, so the three stay in step.
struct PgTypeFor {
  TypeId id;
  std::string_view ddl;
  Oid param;
  std::string_view cast;
};

// Unconstrained numeric keeps every value exactly as written, scale included;
// numeric(p,s) would round to s digits and pad ("0" reads back as
// "0.0000000000"). See docs/postgres.md.
constexpr PgTypeFor kPgTypes[] = {
    {TypeId::boolean, "boolean", oid::kBool, "bool"},
    {TypeId::int64, "bigint", oid::kInt8, "int8"},
    {TypeId::float64, "double precision", oid::kFloat8, "float8"},
    {TypeId::decimal, "numeric", oid::kNumeric, "numeric"},
    {TypeId::bytes, "bytea", oid::kBytea, "bytea"},
    {TypeId::date, "date", oid::kDate, "date"},
    {TypeId::time, "time", oid::kTime, "time"},
    {TypeId::timestamp, "timestamp", oid::kTimestamp, "timestamp"},
    {TypeId::timestamp_tz, "timestamptz", oid::kTimestamptz, "timestamptz"},
    {TypeId::uuid, "uuid", oid::kUuid, "uuid"},
    {TypeId::json, "jsonb", 0, "jsonb"},
    {TypeId::string, "text", 0, "text"},
    {TypeId::null, "text", 0, "text"},
};

const PgTypeFor& pg_type_for(TypeId id) {
  for (const auto& t : kPgTypes)
    if (t.id == id) return t;
  return kPgTypes[std::size(kPgTypes) - 1];
}

}  // namespace

std::string declared_type(Type type) { return std::string(pg_type_for(type.id).ddl); }

bool native_type_declarable(std::string_view native) {
  // "base", "base(n)", "base(p,s)" or "base(n) suffix" (the time types' precision).
  std::string base;
  size_t i = 0;
  while (i < native.size() && native[i] != '(') base += native[i++];
  if (i < native.size()) {
    const size_t close = native.find(')', i);
    if (close == std::string_view::npos) return false;
    for (size_t k = i + 1; k < close; ++k)
      if (!std::isdigit(static_cast<unsigned char>(native[k])) && native[k] != ',') return false;
    base += native.substr(close + 1);
  }
  static constexpr std::string_view kBuiltIn[] = {
      "smallint", "integer", "bigint", "real", "double precision", "numeric",
      "character varying", "character", "text", "boolean", "date", "time without time zone",
      "timestamp without time zone", "timestamp with time zone", "uuid", "json", "jsonb",
      "bytea"};
  return std::find(std::begin(kBuiltIn), std::end(kBuiltIn), base) != std::end(kBuiltIn);
}

Oid param_oid(TypeId id) { return pg_type_for(id).param; }

std::string_view cast_name(TypeId id) { return pg_type_for(id).cast; }

std::string decode_numeric(const char* p, int32_t len) {
  auto bad = [] {
    throw Error(ErrorCode::corruption, "malformed binary numeric value from the server",
                std::string(kBackend));
  };
  if (len < 8) bad();
  const int ndigits = static_cast<int16_t>(get16(p));
  const int weight = static_cast<int16_t>(get16(p + 2));
  const uint16_t sign = get16(p + 4);
  const size_t dscale = get16(p + 6);
  if (ndigits < 0 || len != 8 + 2 * ndigits) bad();
  if (sign == kNumericNaN || sign == kNumericPInf || sign == kNumericNInf)
    throw Error(
        ErrorCode::type_mismatch,
        fmt::format(
            "numeric {} cannot be represented as a decimal (cast the column to "
            "double precision in a query, or filter it out)",
            sign == kNumericNaN ? "NaN" : (sign == kNumericPInf ? "Infinity" : "-Infinity")),
        std::string(kBackend));
  if (sign != kNumericPos && sign != kNumericNeg) bad();
  auto digit = [&](int i) -> int {
    if (i < 0 || i >= ndigits) return 0;
    const int d = get16(p + 8 + 2 * i);
    if (d > 9999) bad();
    return d;
  };
  std::string out;
  if (weight < 0) {
    out = "0";
  } else {
    out = std::to_string(digit(0));
    for (int i = 1; i <= weight; ++i) out += four_digits(digit(i));
    // PostgreSQL strips leading zero digits; a stream that does not must
    // still give canonical text ("00511" is no JSON number).
    out.erase(0, std::min(out.find_first_not_of('0'), out.size() - 1));
  }
  if (dscale > 0) {
    std::string frac;
    for (int i = weight + 1; frac.size() < dscale; ++i) frac += four_digits(digit(i));
    frac.resize(dscale);
    out += '.';
    out += frac;
  }
  const bool zero = out.find_first_not_of("0.") == std::string::npos;
  if (sign == kNumericNeg && !zero) out.insert(out.begin(), '-');
  return out;
}

void encode_numeric(std::string_view text, std::string& out) {
  if (!valid_decimal_text(text)) does_not_fit(fmt::format("'{}'", text.substr(0, 60)), "numeric");
  bool neg = text.starts_with('-');
  if (neg) text.remove_prefix(1);
  const auto dot = text.find('.');
  std::string_view ip = text.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  while (!ip.empty() && ip.front() == '0') ip.remove_prefix(1);
  if (fp.size() > 16383) does_not_fit("with more than 16383 decimals", "numeric");
  const std::string ip4 = std::string((4 - ip.size() % 4) % 4, '0') + std::string(ip);
  const std::string fp4 = std::string(fp) + std::string((4 - fp.size() % 4) % 4, '0');
  std::vector<uint16_t> groups;
  groups.reserve((ip4.size() + fp4.size()) / 4);
  auto group = [](const std::string& s, size_t at) {
    return static_cast<uint16_t>((s[at] - '0') * 1000 + (s[at + 1] - '0') * 100 +
                                 (s[at + 2] - '0') * 10 + (s[at + 3] - '0'));
  };
  for (size_t i = 0; i < ip4.size(); i += 4) groups.push_back(group(ip4, i));
  for (size_t i = 0; i < fp4.size(); i += 4) groups.push_back(group(fp4, i));
  int weight = static_cast<int>(ip4.size() / 4) - 1;
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) {
    weight = 0;
    neg = false;
  }
  if (last - first > 32767 || weight > 32767 || weight < -32768)
    does_not_fit("with too many digits", "numeric");
  put16(out, static_cast<uint16_t>(last - first));
  put16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  put16(out, neg ? kNumericNeg : kNumericPos);
  put16(out, static_cast<uint16_t>(fp.size()));
  for (size_t i = first; i < last; ++i) put16(out, groups[i]);
}

std::string format_interval(int32_t months, int32_t days, int64_t micros) {
  // The layout of PostgreSQL's IntervalStyle iso_8601 (EncodeInterval): each
  // field carries its own sign; zero fields are left out.
  const int64_t year = months / 12, mon = months % 12;
  const int64_t hour = micros / (3600 * kMicrosPerSecond);
  micros -= hour * 3600 * kMicrosPerSecond;
  const int64_t min = micros / (60 * kMicrosPerSecond);
  micros -= min * 60 * kMicrosPerSecond;
  const int64_t sec = micros / kMicrosPerSecond;
  const int64_t fsec = micros - sec * kMicrosPerSecond;
  if (year == 0 && mon == 0 && days == 0 && hour == 0 && min == 0 && sec == 0 && fsec == 0)
    return "PT0S";
  std::string out = "P";
  auto part = [&](int64_t v, char unit) {
    if (v != 0) out += fmt::format("{}{}", v, unit);
  };
  part(year, 'Y');
  part(mon, 'M');
  part(days, 'D');
  if (hour != 0 || min != 0 || sec != 0 || fsec != 0) out += 'T';
  part(hour, 'H');
  part(min, 'M');
  if (sec != 0 || fsec != 0) {
    if (sec < 0 || fsec < 0) out += '-';
    out += std::to_string(sec < 0 ? -sec : sec);
    if (fsec != 0) {
      std::string f = fmt::format("{:06d}", fsec < 0 ? -fsec : fsec);
      while (f.back() == '0') f.pop_back();
      out += '.' + f;
    }
    out += 'S';
  }
  return out;
}

std::optional<Interval> parse_interval(std::string_view t) {
  if (t.size() < 2 || t[0] != 'P') return std::nullopt;
  t.remove_prefix(1);
  Interval out;
  bool time = false, any = false;
  while (!t.empty()) {
    if (t[0] == 'T') {
      if (time) return std::nullopt;
      time = true;
      t.remove_prefix(1);
      continue;
    }
    bool neg = false;
    if (t[0] == '-' || t[0] == '+') {
      neg = t[0] == '-';
      t.remove_prefix(1);
    }
    int64_t whole = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), whole);
    if (r.ec != std::errc{}) return std::nullopt;
    t.remove_prefix(static_cast<size_t>(r.ptr - t.data()));
    int64_t frac_micros = 0;
    if (!t.empty() && (t[0] == '.' || t[0] == ',')) {
      t.remove_prefix(1);
      int digits = 0;
      while (!t.empty() && t[0] >= '0' && t[0] <= '9') {
        if (digits < 6) frac_micros = frac_micros * 10 + (t[0] - '0');
        ++digits;
        t.remove_prefix(1);
      }
      if (digits == 0) return std::nullopt;
      for (int d = digits; d < 6; ++d) frac_micros *= 10;
    }
    if (t.empty()) return std::nullopt;
    const char unit = t[0];
    t.remove_prefix(1);
    if (frac_micros != 0 && !(time && unit == 'S')) return std::nullopt;  // only seconds
    if (whole > 1'000'000'000) return std::nullopt;
    const int64_t sign = neg ? -1 : 1;
    if (!time && unit == 'Y')
      out.months += static_cast<int32_t>(sign * whole * 12);
    else if (!time && unit == 'M')
      out.months += static_cast<int32_t>(sign * whole);
    else if (!time && unit == 'W')
      out.days += static_cast<int32_t>(sign * whole * 7);
    else if (!time && unit == 'D')
      out.days += static_cast<int32_t>(sign * whole);
    else if (time && unit == 'H')
      out.micros += sign * whole * 3600 * kMicrosPerSecond;
    else if (time && unit == 'M')
      out.micros += sign * whole * 60 * kMicrosPerSecond;
    else if (time && unit == 'S')
      out.micros += sign * (whole * kMicrosPerSecond + frac_micros);
    else
      return std::nullopt;
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

void decode_field(const PgType& t, const char* p, int32_t len, Column& out,
                  std::string_view column) {
  if (len < 0) return out.append_null();
  const auto view = std::string_view(p, static_cast<size_t>(len));
  switch (t.codec) {
    case Codec::boolean:
      need(len, 1, column, t.name);
      return out.append_bool(p[0] != 0);
    case Codec::int2:
      need(len, 2, column, t.name);
      return out.append_int64(static_cast<int16_t>(get16(p)));
    case Codec::int4:
      need(len, 4, column, t.name);
      return out.append_int64(static_cast<int32_t>(get32(p)));
    case Codec::oid:
      need(len, 4, column, t.name);
      return out.append_int64(get32(p));
    case Codec::int8:
      need(len, 8, column, t.name);
      return out.append_int64(static_cast<int64_t>(get64(p)));
    case Codec::float4:
      need(len, 4, column, t.name);
      return out.append_float64(std::bit_cast<float>(get32(p)));
    case Codec::float8:
      need(len, 8, column, t.name);
      return out.append_float64(std::bit_cast<double>(get64(p)));
    case Codec::numeric:
      try {
        return out.append_var(decode_numeric(p, len));
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("column '{}': {}", column, e.message()), e.backend());
      }
    case Codec::text:
    case Codec::json:
    case Codec::bytea:
      return out.append_var(view);
    case Codec::jsonb:
      if (len < 1 || p[0] != 1) malformed(column, t.name);
      return out.append_var(compact_json(view.substr(1)));
    case Codec::date: {
      need(len, 4, column, t.name);
      const auto d = static_cast<int32_t>(get32(p));
      if (d == kDateInfinity || d == kDateNegInfinity) return out.append_int32_raw(d);
      // PostgreSQL's last date (5874897-12-31) is far from the end of int32.
      if (d > kDateInfinity - kPgEpochDays) malformed(column, t.name);
      return out.append_int32_raw(d + kPgEpochDays);
    }
    case Codec::time: {
      need(len, 8, column, t.name);
      const auto us = static_cast<int64_t>(get64(p));
      if (us < 0 || us > kMicrosPerDay) malformed(column, t.name);
      if (us == kMicrosPerDay)
        cannot_represent(column, "the time 24:00:00", "polydb times end at 23:59:59.999999");
      return out.append_int64(us);
    }
    case Codec::timetz: {
      need(len, 12, column, t.name);
      const auto us = static_cast<int64_t>(get64(p));
      const auto zone = static_cast<int32_t>(get32(p + 8));
      // PostgreSQL keeps zones within +-15:59:59 and clocks within 00:00-24:00.
      if (us < 0 || us > kMicrosPerDay || zone < -kMaxZoneSeconds || zone > kMaxZoneSeconds)
        malformed(column, t.name);
      const std::string clock = us == kMicrosPerDay ? "24:00:00" : format_time(Time{us});
      return out.append_var(clock + zone_text(zone));
    }
    case Codec::timestamp:
    case Codec::timestamptz: {
      need(len, 8, column, t.name);
      const auto us = static_cast<int64_t>(get64(p));
      if (us == kTsInfinity || us == kTsNegInfinity) return out.append_int64(us);
      // PostgreSQL goes up to 294276 AD; polydb's int64 from 1970 to 294247-01-10.
      if (us > kTsInfinity - kPgEpochMicros)
        cannot_represent(column, "a timestamp after 294247-01-10",
                         "polydb timestamps end there: filter such rows out or cast to text");
      return out.append_int64(us + kPgEpochMicros);
    }
    case Codec::interval: {
      need(len, 16, column, t.name);
      return out.append_var(format_interval(static_cast<int32_t>(get32(p + 12)),
                                            static_cast<int32_t>(get32(p + 8)),
                                            static_cast<int64_t>(get64(p))));
    }
    case Codec::uuid:
      need(len, 16, column, t.name);
      return out.append_fixed(p, 16);
    case Codec::array:
      return out.append_var(array_json(t, p, len, column));
    case Codec::unsupported:
      break;
  }
  throw Error(ErrorCode::unsupported,
              fmt::format("column '{}' has type {}, which polydb cannot read in binary form "
                          "(cast it in the query, e.g. {}::text)",
                          column, t.name, column),
              std::string(kBackend));
}

std::optional<size_t> copy_header_size(std::string_view buf) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // + '\0': 11 bytes
  if (buf.size() < 19) return std::nullopt;
  if (std::memcmp(buf.data(), kSignature, 11) != 0)
    throw Error(ErrorCode::corruption, "not a binary COPY stream", std::string(kBackend));
  const uint32_t ext = get32(buf.data() + 15);
  if (buf.size() - 19 < ext) return std::nullopt;
  return 19 + static_cast<size_t>(ext);
}

CopyTuple decode_copy_tuple(std::string_view buf, std::span<const PgType> types, Batch& batch) {
  const char* p = buf.data();
  const size_t avail = buf.size();
  if (avail < 2) return {};
  const auto nfields = static_cast<int16_t>(get16(p));
  if (nfields == -1) return {CopyTuple::Kind::trailer, 2};
  const size_t ncols = types.size();
  if (nfields < 0 || static_cast<size_t>(nfields) != ncols)
    throw Error(ErrorCode::corruption,
                fmt::format("binary COPY tuple with {} fields, expected {}", nfields, ncols),
                std::string(kBackend));
  // Check that the whole tuple is here before touching the batch.
  size_t off = 2;
  for (size_t i = 0; i < ncols; ++i) {
    if (avail < off + 4) return {};
    const auto len = static_cast<int32_t>(get32(p + off));
    off += 4;
    if (len > 0) {
      if (avail - off < static_cast<size_t>(len)) return {};
      off += static_cast<size_t>(len);
    }
  }
  off = 2;
  for (size_t i = 0; i < ncols; ++i) {
    const auto len = static_cast<int32_t>(get32(p + off));
    off += 4;
    decode_field(types[i], p + off, len, batch.column(i), batch.schema().fields[i].name);
    if (len > 0) off += static_cast<size_t>(len);
  }
  batch.commit_row();
  return {CopyTuple::Kind::row, off};
}

bool can_encode(const PgType& t) {
  return t.codec != Codec::unsupported && t.codec != Codec::array && t.codec != Codec::timetz;
}

void encode_field(const PgType& t, const Column& col, size_t row, std::string& out) {
  if (col.is_null(row)) {
    put32(out, static_cast<uint32_t>(-1));
    return;
  }
  auto var = [&](std::string_view bytes) {
    if (bytes.size() > 0x3fffffff) does_not_fit("of more than 1 GB", t.name);
    put32(out, static_cast<uint32_t>(bytes.size()));
    out.append(bytes);
  };
  switch (t.codec) {
    case Codec::boolean:
      put32(out, 1);
      out += static_cast<char>(col.bool_at(row) ? 1 : 0);
      return;
    case Codec::int2: {
      const int64_t v = col.int64_at(row);
      if (v < INT16_MIN || v > INT16_MAX) does_not_fit(std::to_string(v), t.name);
      put32(out, 2);
      put16(out, static_cast<uint16_t>(static_cast<int16_t>(v)));
      return;
    }
    case Codec::int4: {
      const int64_t v = col.int64_at(row);
      if (v < INT32_MIN || v > INT32_MAX) does_not_fit(std::to_string(v), t.name);
      put32(out, 4);
      put32(out, static_cast<uint32_t>(static_cast<int32_t>(v)));
      return;
    }
    case Codec::oid: {
      const int64_t v = col.int64_at(row);
      if (v < 0 || v > UINT32_MAX) does_not_fit(std::to_string(v), t.name);
      put32(out, 4);
      put32(out, static_cast<uint32_t>(v));
      return;
    }
    case Codec::int8:
      put32(out, 8);
      put64(out, static_cast<uint64_t>(col.int64_at(row)));
      return;
    case Codec::float4: {
      const double d = col.float64_at(row);
      if (std::isfinite(d) && std::fabs(d) > FLT_MAX) does_not_fit(format_double(d), t.name);
      put32(out, 4);
      put32(out, std::bit_cast<uint32_t>(static_cast<float>(d)));
      return;
    }
    case Codec::float8:
      put32(out, 8);
      put64(out, std::bit_cast<uint64_t>(col.float64_at(row)));
      return;
    case Codec::numeric: {
      const size_t at = out.size();
      put32(out, 0);
      encode_numeric(col.var_at(row), out);
      const auto n = static_cast<uint32_t>(out.size() - at - 4);
      for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>(n >> (24 - 8 * i));
      return;
    }
    case Codec::text:
    case Codec::json:
    case Codec::bytea:
      return var(col.var_at(row));
    case Codec::jsonb: {
      const std::string_view text = col.var_at(row);
      put32(out, static_cast<uint32_t>(text.size() + 1));
      out += '\1';
      out.append(text);
      return;
    }
    case Codec::date: {
      const int32_t d = col.int32_at(row);
      put32(out, 4);
      if (d == kDateInfinity || d == kDateNegInfinity)
        put32(out, static_cast<uint32_t>(d));
      else if (d < kDateNegInfinity + kPgEpochDays)
        does_not_fit("(a date before 5877641 BC)", t.name);
      else
        put32(out, static_cast<uint32_t>(d - kPgEpochDays));
      return;
    }
    case Codec::time: {
      const int64_t us = col.int64_at(row);
      if (us < 0 || us > kMicrosPerDay) does_not_fit(std::to_string(us) + " microseconds", t.name);
      put32(out, 8);
      put64(out, static_cast<uint64_t>(us));
      return;
    }
    case Codec::timestamp:
    case Codec::timestamptz: {
      const int64_t us = col.int64_at(row);
      put32(out, 8);
      if (us == kTsInfinity || us == kTsNegInfinity)
        put64(out, static_cast<uint64_t>(us));
      else if (us < kTsNegInfinity + kPgEpochMicros)
        does_not_fit("(before 4713 BC)", t.name);
      else
        put64(out, static_cast<uint64_t>(us - kPgEpochMicros));
      return;
    }
    case Codec::interval: {
      const std::string_view text = col.var_at(row);
      const auto iv = parse_interval(text);
      if (!iv)
        does_not_fit(
            fmt::format("'{}' (write intervals in ISO 8601, e.g. P1DT2H30M)", text.substr(0, 60)),
            t.name);
      put32(out, 16);
      put64(out, static_cast<uint64_t>(iv->micros));
      put32(out, static_cast<uint32_t>(iv->days));
      put32(out, static_cast<uint32_t>(iv->months));
      return;
    }
    case Codec::uuid:
      put32(out, 16);
      out.append(reinterpret_cast<const char*>(col.fixed_at(row)), 16);
      return;
    case Codec::timetz:
    case Codec::array:
    case Codec::unsupported:
      break;
  }
  throw Error(ErrorCode::unsupported,
              fmt::format("polydb cannot write {} columns yet (write into a text or jsonb column, "
                          "or convert in SQL after loading)",
                          t.name),
              std::string(kBackend));
}

std::optional<std::string> sql_literal(const Value& v, const QuoteLiteral& quote) {
  const auto typed = [&](std::string_view text, TypeId id) {
    return fmt::format("'{}'::{}", text, cast_name(id));
  };
  switch (v.type_id()) {
    case TypeId::null:
      return "NULL";
    case TypeId::boolean:
      return v.as<bool>() ? "TRUE" : "FALSE";
    case TypeId::int64:
      return typed(std::to_string(v.as<int64_t>()), TypeId::int64);
    case TypeId::float64: {
      const double d = v.as<double>();
      if (std::isnan(d)) return std::nullopt;
      return typed(format_double(d), TypeId::float64);
    }
    case TypeId::decimal: {
      const std::string& text = v.as<Decimal>().text;
      if (!valid_decimal_text(text)) return std::nullopt;
      return typed(text, TypeId::decimal);
    }
    case TypeId::string: {
      const std::string& s = v.as<std::string>();
      if (s.find('\0') != std::string::npos) return std::nullopt;  // no PostgreSQL text holds NUL
      return quote(s) + "::text";
    }
    case TypeId::bytes:
      return quote(format_hex(v.as<Bytes>().data)) + "::bytea";
    case TypeId::date:
      if (!printable_days(v.as<Date>().days)) return std::nullopt;
      return typed(format_date(v.as<Date>()), TypeId::date);
    case TypeId::time: {
      const int64_t us = v.as<Time>().micros;
      if (us < 0 || us >= kMicrosPerDay) return std::nullopt;
      return typed(format_time(v.as<Time>()), TypeId::time);
    }
    case TypeId::timestamp: {
      const int64_t us = v.as<Timestamp>().micros;
      const int64_t day = us / kMicrosPerDay - (us % kMicrosPerDay < 0 ? 1 : 0);
      if (!printable_days(day)) return std::nullopt;
      return typed(format_timestamp(v.as<Timestamp>()), TypeId::timestamp);
    }
    case TypeId::timestamp_tz: {
      const int64_t us = v.as<TimestampTz>().micros;
      const int64_t day = us / kMicrosPerDay - (us % kMicrosPerDay < 0 ? 1 : 0);
      if (!printable_days(day)) return std::nullopt;
      return typed(format_timestamp_tz(v.as<TimestampTz>()), TypeId::timestamp_tz);
    }
    case TypeId::uuid:
      return typed(format_uuid(v.as<Uuid>()), TypeId::uuid);
    case TypeId::json:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace polydb::postgres
