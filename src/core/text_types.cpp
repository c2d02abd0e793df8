#include "core/text_types.hpp"

#include "polydb/error.hpp"
#include "polydb/value.hpp"

namespace polydb {

namespace {

bool round_trips(std::string_view text, TypeId type) {
  try {
    const Value v = parse_value(text, type);
    switch (type) {
      case TypeId::uuid: return format_uuid(v.as<Uuid>()) == text;
      case TypeId::decimal: return v.as<Decimal>().text == text;
      default: return false;
    }
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

void TextTypeGuess::add(std::string_view text) {
  any_ = true;
  Date d;
  Time t;
  Timestamp ts;
  TimestampTz tz;
  if (date_) date_ = read_date(text, d) && format_date(d) == text;
  if (time_) time_ = read_time(text, t) && format_time(t) == text;
  if (ts_) ts_ = read_timestamp(text, ts) && format_timestamp(ts) == text;
  // Only text with an explicit offset: a zoneless timestamp is a timestamp.
  if (tstz_)
    tstz_ = text.size() > 10 && text.find('+', 10) != std::string_view::npos &&
            read_timestamp_tz(text, tz) && format_timestamp_tz(tz) == text;
  if (uuid_) uuid_ = text.size() == 36 && round_trips(text, TypeId::uuid);
  if (decimal_) {
    decimal_ = !text.empty() && text.size() < 80 && round_trips(text, TypeId::decimal);
    decimal_point_ = decimal_point_ || text.find('.') != std::string_view::npos;
  }
}

Type TextTypeGuess::type() const {
  if (!any_) return TypeId::string;
  if (uuid_) return TypeId::uuid;
  if (date_) return TypeId::date;
  if (time_) return TypeId::time;
  if (tstz_) return TypeId::timestamp_tz;
  if (ts_) return TypeId::timestamp;
  // Digits alone ("12345", zip codes, ids) stay strings: only text with a
  // fraction somewhere reads as an exact decimal.
  if (decimal_ && decimal_point_) return TypeId::decimal;
  return TypeId::string;
}

}  // namespace polydb
