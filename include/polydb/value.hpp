#pragma once

/// polydb::Value — one cell: a query parameter, a filter literal, or a copy of
/// a cell read from a Batch. Bulk data never travels as Values (see batch.hpp).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "polydb/type.hpp"

namespace polydb {

/// Exact decimal as canonical text: optional '-', digits, optional '.' digits
/// (no exponent, no leading '+'), e.g. "-1234.50". Arbitrary precision.
struct Decimal {
  std::string text;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};
struct Bytes {
  std::string data;  ///< raw bytes
  friend bool operator==(const Bytes&, const Bytes&) = default;
};
struct Date {
  int32_t days = 0;  ///< since 1970-01-01
  friend auto operator<=>(const Date&, const Date&) = default;
};
struct Time {
  int64_t micros = 0;  ///< since midnight, [0, 86'400'000'000)
  friend auto operator<=>(const Time&, const Time&) = default;
};
struct Timestamp {
  int64_t micros = 0;  ///< since 1970-01-01T00:00:00, no zone
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};
struct TimestampTz {
  int64_t micros = 0;  ///< since the Unix epoch, UTC
  friend auto operator<=>(const TimestampTz&, const TimestampTz&) = default;
};
struct Uuid {
  std::array<uint8_t, 16> bytes{};
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};
struct Json {
  std::string text;  ///< a serialized JSON document
  friend bool operator==(const Json&, const Json&) = default;
};

/// A single typed cell. Default-constructed Values are NULL.
class Value {
 public:
  using Storage = std::variant<std::monostate, bool, int64_t, double, Decimal, std::string, Bytes,
                               Date, Time, Timestamp, TimestampTz, Uuid, Json>;

  Value() = default;
  Value(std::nullptr_t) {}                      // NOLINT: implicit, reads well in parameter lists
  Value(bool v) : v_(v) {}                      // NOLINT
  Value(int v) : v_(int64_t{v}) {}              // NOLINT
  Value(int64_t v) : v_(v) {}                   // NOLINT
  Value(double v) : v_(v) {}                    // NOLINT
  Value(const char* v) : v_(std::string(v)) {}  // NOLINT
  Value(std::string v) : v_(std::move(v)) {}    // NOLINT
  Value(std::string_view v) : v_(std::string(v)) {}  // NOLINT
  Value(Decimal v) : v_(std::move(v)) {}             // NOLINT
  Value(Bytes v) : v_(std::move(v)) {}               // NOLINT
  Value(Date v) : v_(v) {}                           // NOLINT
  Value(Time v) : v_(v) {}                           // NOLINT
  Value(Timestamp v) : v_(v) {}                      // NOLINT
  Value(TimestampTz v) : v_(v) {}                    // NOLINT
  Value(Uuid v) : v_(v) {}                           // NOLINT
  Value(Json v) : v_(std::move(v)) {}                // NOLINT

  bool is_null() const noexcept { return v_.index() == 0; }
  /// The logical type id of the stored alternative (TypeId::null for NULL).
  TypeId type_id() const noexcept;

  template <class T>
  bool holds() const noexcept {
    return std::holds_alternative<T>(v_);
  }
  /// Typed access; throws Error(type_mismatch) naming both types when the
  /// value holds another alternative.
  template <class T>
  const T& as() const {
    if (const T* p = std::get_if<T>(&v_)) return *p;
    throw_mismatch(type_name<T>());
  }
  const Storage& storage() const noexcept { return v_; }

  /// Text form: what CSV output prints (NULL prints as "").
  std::string to_text() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  template <class T>
  static constexpr TypeId type_name() {
    if constexpr (std::is_same_v<T, bool>)
      return TypeId::boolean;
    else if constexpr (std::is_same_v<T, int64_t>)
      return TypeId::int64;
    else if constexpr (std::is_same_v<T, double>)
      return TypeId::float64;
    else if constexpr (std::is_same_v<T, Decimal>)
      return TypeId::decimal;
    else if constexpr (std::is_same_v<T, std::string>)
      return TypeId::string;
    else if constexpr (std::is_same_v<T, Bytes>)
      return TypeId::bytes;
    else if constexpr (std::is_same_v<T, Date>)
      return TypeId::date;
    else if constexpr (std::is_same_v<T, Time>)
      return TypeId::time;
    else if constexpr (std::is_same_v<T, Timestamp>)
      return TypeId::timestamp;
    else if constexpr (std::is_same_v<T, TimestampTz>)
      return TypeId::timestamp_tz;
    else if constexpr (std::is_same_v<T, Uuid>)
      return TypeId::uuid;
    else if constexpr (std::is_same_v<T, Json>)
      return TypeId::json;
    else
      return TypeId::null;
  }
  [[noreturn]] void throw_mismatch(TypeId wanted) const;

  Storage v_;
};

/// Parses `text` into a Value of `type` (used for CLI parameters and CSV):
/// integers, decimals, floats (incl. "nan", "inf", "-inf"), booleans
/// (true/false/1/0/t/f/yes/no), ISO dates "2024-01-31", times "12:34:56.123456",
/// timestamps "2024-01-31 12:34:56[.ffffff]" (or 'T'), timestamps with zone
/// ("...Z", "...+02:00"), UUIDs, hex bytes "\\x0a0b", JSON text.
/// Throws Error(type_mismatch) saying what was expected.
Value parse_value(std::string_view text, Type type);

/// Converts `v` to `type` for writing into a column of that type: identity;
/// int64 -> float64 (when exact), decimal, boolean (0/1 only); boolean -> int64;
/// decimal -> float64; float64 -> decimal (finite only); any -> string (its
/// text form); string -> any type by parse_value(); string <-> json;
/// timestamp -> timestamp_tz (taken as UTC) and back (the UTC wall clock);
/// date -> timestamp[_tz].
/// NULL stays NULL. Anything else throws Error(type_mismatch) naming both types.
Value coerce_value(const Value& v, Type type);

/// Allocation-free parsers behind parse_value() for bulk paths: false when
/// `text` is not of that form (`out` is then unspecified). A timestamp without
/// zone is read as UTC by read_timestamp_tz; read_timestamp refuses a zone.
bool read_date(std::string_view text, Date& out) noexcept;
bool read_time(std::string_view text, Time& out) noexcept;
bool read_timestamp(std::string_view text, Timestamp& out) noexcept;
bool read_timestamp_tz(std::string_view text, TimestampTz& out) noexcept;

/// Text conversions used by connectors and output (all exact, round-trippable).
std::string format_date(Date d);
std::string format_time(Time t);
std::string format_timestamp(Timestamp t);  ///< "2024-01-31 12:34:56.123456" (fraction trimmed)
std::string format_timestamp_tz(TimestampTz t);  ///< "2024-01-31 12:34:56.123456+00:00"
std::string format_uuid(const Uuid& u);

/// Buffer size that holds any text the write_* functions below produce.
inline constexpr size_t kMaxTemporalText = 48;
/// Allocation-free forms of format_date/time/timestamp[_tz] for bulk paths:
/// write into `out` (at least kMaxTemporalText bytes) and return the length.
size_t write_date(char* out, Date d) noexcept;
size_t write_time(char* out, Time t) noexcept;
size_t write_timestamp(char* out, Timestamp t) noexcept;
size_t write_timestamp_tz(char* out, TimestampTz t) noexcept;
std::string format_double(double v);  ///< shortest round-trip form; "NaN", "Infinity", "-Infinity"
std::string format_hex(std::string_view bytes);  ///< "\\x" + lowercase hex

/// Days since epoch for a civil date, and back (proleptic Gregorian).
int32_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept;
void civil_from_days(int32_t days, int64_t& y, unsigned& m, unsigned& d) noexcept;

}  // namespace polydb
