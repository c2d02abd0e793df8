#include "connectors/common/text_types.hpp"

#include <string>

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

bool is_hex_bytes(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2) return false;
  for (char c : text.substr(2))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
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
  // ISO 8601's 'T' compares as polydb's ' ', and 'Z' as "+00:00".
  std::string s(text);
  if (options_.iso_8601 && s.size() > 10 && s[10] == 'T') s[10] = ' ';
  if (options_.iso_8601 && s.size() > 19 && s.back() == 'Z') s.replace(s.size() - 1, 1, "+00:00");
  if (ts_) ts_ = read_timestamp(s, ts) && format_timestamp(ts) == s;
  // Only text with an explicit offset: a zoneless timestamp is a timestamp.
  if (tstz_)
    tstz_ = s.size() > 10 && s.find_first_of("+-", 10) != std::string::npos &&
            read_timestamp_tz(s, tz) && format_timestamp_tz(tz) == s;
  if (uuid_) uuid_ = text.size() == 36 && round_trips(text, TypeId::uuid);
  if (decimal_) {
    decimal_ = options_.decimal && !text.empty() && text.size() < 80 &&
               round_trips(text, TypeId::decimal);
    decimal_point_ = decimal_point_ || text.find('.') != std::string_view::npos;
  }
  if (bytes_) bytes_ = options_.hex_bytes && is_hex_bytes(text);
}

Type TextTypeGuess::type() const {
  if (!any_) return TypeId::string;
  if (uuid_) return TypeId::uuid;
  if (date_) return TypeId::date;
  if (time_) return TypeId::time;
  if (tstz_) return TypeId::timestamp_tz;
  if (ts_) return TypeId::timestamp;
  if (decimal_ && decimal_point_) return TypeId::decimal;
  if (bytes_) return TypeId::bytes;
  return TypeId::string;
}

}  // namespace polydb
