#include "query/values.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/collation_error.hpp"
#include "polydb/error.hpp"

namespace polydb::query {

namespace {

// How a decimal's canonical text enters SQLite.
struct DecimalCell {
  enum Kind { integer, real, text } kind = text;
  int64_t i = 0;
  double d = 0;
};

// Values with at most 15 significant digits become REAL, which prints back as
// the same digits (shortest round trip): integral ones too, so that `amount /
// 2` divides 5.00 into 2.5 as the engine does (an INTEGER 5 would divide into
// 2). Longer integral values in int64 range become INTEGER (exact); other
// long ones stay TEXT (exact, compared as numbers only after SQLite's own
// conversion).
DecimalCell encode_decimal(std::string_view t) {
  DecimalCell out;
  const size_t dot = t.find('.');
  std::string_view whole = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : t.substr(dot + 1);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  size_t digits = frac.size();
  bool leading = true;
  for (char c : whole) {
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
  }
  if (digits <= 15) {
    const auto r = std::from_chars(t.data(), t.data() + t.size(), out.d);
    if (r.ec == std::errc{} && std::isfinite(out.d)) {
      out.kind = DecimalCell::real;
      return out;
    }
  }
  if (frac.empty()) {
    const auto r = std::from_chars(whole.data(), whole.data() + whole.size(), out.i);
    if (r.ec == std::errc{} && r.ptr == whole.data() + whole.size()) out.kind = DecimalCell::integer;
  }
  return out;
}

template <class Sink>
void encode_cell(const Column& col, size_t row, Sink&& sink) {
  char buf[kMaxTemporalText];
  switch (col.type().id) {
    case TypeId::null: return sink.null();
    case TypeId::boolean: return sink.integer(col.bool_at(row) ? 1 : 0);
    case TypeId::int64: return sink.integer(col.int64_at(row));
    case TypeId::float64: {
      const double d = col.float64_at(row);
      if (std::isnan(d)) return sink.null();
      return sink.real(d, 0);
    }
    case TypeId::decimal: {
      const std::string_view t = col.var_at(row);
      const DecimalCell c = encode_decimal(t);
      // Tagged in every storage class: MIN/MAX/SUM of a decimal column stay
      // decimal whichever value comes first (src/query/federation.cpp).
      if (c.kind == DecimalCell::integer) return sink.integer(c.i, kDecimalSubtype);
      if (c.kind == DecimalCell::real) return sink.real(c.d, kDecimalSubtype);
      return sink.text(t, kDecimalSubtype);
    }
    case TypeId::string: return sink.text(col.var_at(row), 0);
    case TypeId::json: return sink.text(col.var_at(row), kJsonSubtype);
    case TypeId::bytes: return sink.blob(col.var_at(row));
    case TypeId::date: return sink.text({buf, write_date(buf, Date{col.int32_at(row)})}, 0);
    case TypeId::time: return sink.text({buf, write_time(buf, Time{col.int64_at(row)})}, 0);
    case TypeId::timestamp:
      return sink.text({buf, write_timestamp(buf, Timestamp{col.int64_at(row)})}, 0);
    case TypeId::timestamp_tz:
      return sink.text({buf, write_timestamp_tz(buf, TimestampTz{col.int64_at(row)})}, 0);
    case TypeId::uuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), col.fixed_at(row), 16);
      return sink.text(format_uuid(u), 0);
    }
  }
}

// SQLite reads a null pointer as SQL NULL: an empty value must point somewhere.
const char* nonnull(std::string_view s) { return s.data() ? s.data() : ""; }

struct ResultSink {
  sqlite3_context* ctx;
  void null() const { sqlite3_result_null(ctx); }
  void integer(int64_t v, unsigned subtype = 0) const {
    sqlite3_result_int64(ctx, v);
    if (subtype) sqlite3_result_subtype(ctx, subtype);
  }
  void real(double d, unsigned subtype) const {
    sqlite3_result_double(ctx, d);
    if (subtype) sqlite3_result_subtype(ctx, subtype);
  }
  void text(std::string_view t, unsigned subtype) const {
    sqlite3_result_text64(ctx, nonnull(t), t.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (subtype) sqlite3_result_subtype(ctx, subtype);
  }
  void blob(std::string_view b) const {
    sqlite3_result_blob64(ctx, nonnull(b), b.size(), SQLITE_TRANSIENT);
  }
};

struct BindSink {
  sqlite3_stmt* stmt;
  int idx;
  void null() const { sqlite3_bind_null(stmt, idx); }
  void integer(int64_t v, unsigned = 0) const { sqlite3_bind_int64(stmt, idx, v); }
  void real(double d, unsigned) const { sqlite3_bind_double(stmt, idx, d); }
  void text(std::string_view t, unsigned) const {
    sqlite3_bind_text64(stmt, idx, nonnull(t), t.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void blob(std::string_view b) const {
    sqlite3_bind_blob64(stmt, idx, nonnull(b), b.size(), SQLITE_TRANSIENT);
  }
};

std::string_view value_text(sqlite3_value* v) {
  const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return {t ? t : "", static_cast<size_t>(sqlite3_value_bytes(v))};
}

bool is_numeric(TypeId id) {
  return id == TypeId::int64 || id == TypeId::float64 || id == TypeId::decimal ||
         id == TypeId::boolean;
}

// SQLite's numeric affinity on text: a well-formed number becomes one.
std::optional<Value> text_as_number(std::string_view t) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  int64_t i;
  if (auto r = std::from_chars(t.data(), t.data() + t.size(), i);
      r.ec == std::errc{} && r.ptr == t.data() + t.size())
    return Value(i);
  double d;
  if (auto r = std::from_chars(t.data(), t.data() + t.size(), d);
      r.ec == std::errc{} && r.ptr == t.data() + t.size() && std::isfinite(d))
    return Value(d);
  return std::nullopt;
}

// Key bytes: a tag, then the value; INTEGER and integral REAL share a form.
struct KeySink {
  std::string& out;
  void null() const {}
  void integer(int64_t v, unsigned = 0) const {
    out += 'i';
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void real(double d, unsigned) const {
    if (d == std::trunc(d) && std::fabs(d) < 9.2e18) return integer(static_cast<int64_t>(d));
    out += 'r';
    out.append(reinterpret_cast<const char*>(&d), sizeof d);
  }
  void text(std::string_view t, unsigned) const { tagged('t', t); }
  void blob(std::string_view b) const { tagged('b', b); }
  void tagged(char tag, std::string_view bytes) const {
    const uint32_t n = static_cast<uint32_t>(bytes.size());
    out += tag;
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(bytes);
  }
};

}  // namespace

namespace {
// A string key under the field's collation (binary when there is no field).
bool append_text_key(std::string& out, std::string_view s, const Field* field) {
  if (!field || field->collation == Collation::binary) return KeySink{out}.text(s, 0), true;
  auto key = collation_key(s, field->collation);
  if (!key) throw refused_comparison(*field, s);
  return KeySink{out}.text(*key, 0), true;
}
}  // namespace

bool append_key(std::string& out, const Column& col, size_t row, const Field* field) {
  if (col.is_null(row)) return false;
  if (col.type().id == TypeId::string) return append_text_key(out, col.var_at(row), field);
  encode_cell(col, row, KeySink{out});
  return true;
}

bool append_key(std::string& out, const Value& v, const Field* field) {
  if (v.is_null()) return false;
  // The common join keys without a one-value column (a probe per outer row).
  if (v.type_id() == TypeId::int64) return KeySink{out}.integer(v.as<int64_t>()), true;
  if (v.type_id() == TypeId::string) return append_text_key(out, v.as<std::string>(), field);
  Column col(Type(v.type_id()));
  col.append(v);
  return append_key(out, col, 0, field);
}

std::string engine_declared_type(Type type) {
  switch (type.id) {
    case TypeId::boolean: return "BOOLEAN";
    case TypeId::int64: return "INTEGER";
    case TypeId::float64: return "REAL";
    case TypeId::decimal:
      return type.precision ? fmt::format("DECIMAL({},{})", type.precision, type.scale)
                            : "DECIMAL";
    case TypeId::bytes: return "BLOB";
    case TypeId::date: return "DATE";
    case TypeId::time: return "TIME";
    case TypeId::timestamp: return "TIMESTAMP";
    case TypeId::timestamp_tz: return "TIMESTAMPTZ";
    case TypeId::uuid: return "UUID";
    case TypeId::json: return "JSON";
    case TypeId::null:
    case TypeId::string: return "TEXT";
  }
  return "TEXT";
}

void result_cell(sqlite3_context* ctx, const Column& col, size_t row) {
  if (col.is_null(row)) return sqlite3_result_null(ctx);
  encode_cell(col, row, ResultSink{ctx});
}

void bind_engine_cell(sqlite3_stmt* stmt, int idx, const Column& col, size_t row) {
  if (col.is_null(row)) {
    sqlite3_bind_null(stmt, idx);
    return;
  }
  encode_cell(col, row, BindSink{stmt, idx});
}

std::optional<Value> constraint_value(sqlite3_value* v, Type type) {
  const TypeId id = type.id;
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: {
      const int64_t i = sqlite3_value_int64(v);
      if (id == TypeId::boolean) {
        if (i == 0 || i == 1) return Value(i == 1);
        return std::nullopt;
      }
      if (is_numeric(id)) return Value(i);
      if (id == TypeId::string) return Value(std::to_string(i));  // TEXT affinity
      return std::nullopt;
    }
    case SQLITE_FLOAT: {
      const double d = sqlite3_value_double(v);
      if ((id == TypeId::int64 || id == TypeId::float64 || id == TypeId::decimal) &&
          std::isfinite(d))
        return Value(d);
      return std::nullopt;
    }
    case SQLITE_TEXT: {
      const std::string_view t = value_text(v);
      if (id == TypeId::string) return Value(std::string(t));
      if (id == TypeId::boolean) return std::nullopt;
      if (is_numeric(id)) return text_as_number(t);
      if (id == TypeId::date || id == TypeId::time || id == TypeId::timestamp ||
          id == TypeId::timestamp_tz || id == TypeId::uuid) {
        try {
          return parse_value(t, type.id);
        } catch (const Error&) {
          // A date equals the timestamp of its midnight (polydb_date).
          Timestamp ts;
          constexpr int64_t kDay = 86'400'000'000;
          if (id == TypeId::date && read_timestamp(t, ts) && ts.micros % kDay == 0)
            return Value(Date{static_cast<int32_t>(ts.micros / kDay)});
          return std::nullopt;
        }
      }
      return std::nullopt;
    }
    case SQLITE_BLOB:
      if (id == TypeId::bytes) {
        const auto* b = static_cast<const char*>(sqlite3_value_blob(v));
        return Value(Bytes{std::string(b ? b : "", static_cast<size_t>(sqlite3_value_bytes(v)))});
      }
      return std::nullopt;
    default: return std::nullopt;
  }
}

bool bind_lookup_key(sqlite3_stmt* stmt, int idx, const Value& v) {
  if (v.is_null()) return false;
  Column col(Type(v.type_id()));
  col.append(v);
  bind_engine_cell(stmt, idx, col, 0);
  return true;
}

namespace {

// The value `text` names as a `Id`, in microseconds, if it names one.
template <TypeId Id>
std::optional<int64_t> temporal_key(std::string_view text) noexcept {
  if constexpr (Id == TypeId::date) {  // in microseconds: a date is its midnight
    Date d;
    if (read_date(text, d)) return int64_t{d.days} * 86'400'000'000;
    Timestamp t;
    if (read_timestamp(text, t)) return t.micros;
  } else if constexpr (Id == TypeId::time) {
    Time t;
    if (read_time(text, t)) return t.micros;
  } else if constexpr (Id == TypeId::timestamp) {
    Timestamp t;
    if (read_timestamp(text, t)) return t.micros;
  } else {
    TimestampTz t;
    if (read_timestamp_tz(text, t)) return t.micros;
  }
  return std::nullopt;
}

template <TypeId Id>
int compare_temporal(void*, int na, const void* a, int nb, const void* b) noexcept {
  const std::string_view x(static_cast<const char*>(a), static_cast<size_t>(na));
  const std::string_view y(static_cast<const char*>(b), static_cast<size_t>(nb));
  if (x == y) return 0;
  const auto kx = temporal_key<Id>(x), ky = temporal_key<Id>(y);
  if (kx && ky) return *kx < *ky ? -1 : *kx > *ky ? 1 : 0;
  if (kx || ky) return kx ? -1 : 1;  // values first
  return x < y ? -1 : 1;
}

}  // namespace

const char* temporal_collation(TypeId id) noexcept {
  switch (id) {
    case TypeId::date: return "polydb_date";
    case TypeId::time: return "polydb_time";
    case TypeId::timestamp: return "polydb_timestamp";
    case TypeId::timestamp_tz: return "polydb_timestamptz";
    default: return nullptr;
  }
}

void register_temporal_collations(sqlite3* db) {
  struct Entry {
    TypeId id;
    int (*compare)(void*, int, const void*, int, const void*);
  };
  for (const Entry& e : {Entry{TypeId::date, &compare_temporal<TypeId::date>},
                         Entry{TypeId::time, &compare_temporal<TypeId::time>},
                         Entry{TypeId::timestamp, &compare_temporal<TypeId::timestamp>},
                         Entry{TypeId::timestamp_tz, &compare_temporal<TypeId::timestamp_tz>}})
    if (sqlite3_create_collation_v2(db, temporal_collation(e.id), SQLITE_UTF8, nullptr, e.compare,
                                    nullptr) != SQLITE_OK)
      throw Error(ErrorCode::internal,
                  fmt::format("cannot declare the collation {}: {}", temporal_collation(e.id),
                              sqlite3_errmsg(db)),
                  "sqlite");
}

}  // namespace polydb::query
