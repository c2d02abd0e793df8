#include "core/text_types.hpp"

#include <string>

#include "polydb/error.hpp"
#include "polydb/value.hpp"

namespace polydb {

namespace {

// "2024-01-31T12:00:00" compares as "2024-01-31 12:00:00" (ISO 8601's 'T').
std::string space_form(std::string_view text) {
  std::string s(text);
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  return s;
}

bool is_hex_bytes(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2) return false;
  for (char c : text.substr(2))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

void TextTypeGuess::observe(std::string_view text) {
  any_ = true;
  Date d;
  Time t;
  Timestamp ts;
  TimestampTz tz;
  if (date_) date_ = read_date(text, d) && format_date(d) == text;
  if (time_) time_ = read_time(text, t) && format_time(t) == text;
  if (ts_ || tstz_) {
    const std::string s = space_form(text);
    if (ts_) ts_ = read_timestamp(s, ts) && format_timestamp(ts) == s;
    if (tstz_)
      tstz_ = s.size() > 19 && read_timestamp_tz(s, tz) &&
              (format_timestamp_tz(tz) == s ||
               (s.back() == 'Z' && format_timestamp_tz(tz) == s.substr(0, s.size() - 1) + "+00:00"));
  }
  if (uuid_) {
    try {
      uuid_ = text.size() == 36 && format_uuid(parse_value(text, TypeId::uuid).as<Uuid>()) == text;
    } catch (const Error&) {
      uuid_ = false;
    }
  }
  if (bytes_) bytes_ = is_hex_bytes(text);
}

TypeId TextTypeGuess::best() const noexcept {
  if (!any_) return TypeId::string;
  if (uuid_) return TypeId::uuid;
  if (date_) return TypeId::date;
  if (time_) return TypeId::time;
  if (tstz_) return TypeId::timestamp_tz;
  if (ts_) return TypeId::timestamp;
  if (bytes_) return TypeId::bytes;
  return TypeId::string;
}

}  // namespace polydb
