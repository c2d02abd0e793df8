#include "polydb/value.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "polydb/error.hpp"

namespace polydb {

// Civil-date conversions after the well-known days-from-civil algorithm
// (era of 400 years, March-based years).
int32_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int32_t>(era * 146097 + static_cast<int64_t>(doe) - 719468);
}

void civil_from_days(int32_t days, int64_t& y, unsigned& m, unsigned& d) noexcept {
  const int64_t z = static_cast<int64_t>(days) + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Hand-rolled digit writers: dates and timestamps are formatted once per cell
// in bulk paths, where fmt's parsing of a format string per call showed up in
// profiles.
char* put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// ".ffffff" with trailing zeros trimmed; nothing for 0.
char* put_fraction(char* p, int64_t micros) {
  if (micros == 0) return p;
  *p++ = '.';
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + micros % 10);
    micros /= 10;
  }
  int n = 6;
  while (digits[n - 1] == '0') --n;
  for (int i = 0; i < n; ++i) *p++ = digits[i];
  return p;
}

char* put_micros_of_day(char* p, int64_t us) {
  const int64_t secs = us / 1'000'000;
  p = put2(p, static_cast<unsigned>(secs / 3600));
  *p++ = ':';
  p = put2(p, static_cast<unsigned>(secs / 60 % 60));
  *p++ = ':';
  p = put2(p, static_cast<unsigned>(secs % 60));
  return put_fraction(p, us % 1'000'000);
}

char* put_civil(char* p, int32_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y < 0 || y > 9999) {
    // ISO 8601 expanded years: sign and at least 4 digits.
    *p++ = y < 0 ? '-' : '+';
    uint64_t a = y < 0 ? static_cast<uint64_t>(-y) : static_cast<uint64_t>(y);
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + a % 10);
      a /= 10;
    } while (a);
    while (n < 4) digits[n++] = '0';
    while (n) *p++ = digits[--n];
  } else {
    const auto yy = static_cast<unsigned>(y);
    p = put2(p, yy / 100);
    p = put2(p, yy % 100);
  }
  *p++ = '-';
  p = put2(p, m);
  *p++ = '-';
  return put2(p, d);
}

[[noreturn]] void bad(std::string_view text, std::string_view what) {
  throw Error(ErrorCode::type_mismatch,
              fmt::format("cannot read '{}' as {}", text.substr(0, 80), what));
}

// A small cursor over text for the date/time grammar.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool digits(size_t n, int64_t& out) {
    if (i + n > s.size()) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  }
};

bool parse_date_part(Cursor& c, int32_t& days) {
  int64_t y, m, d;
  bool neg = c.eat('-');
  if (!neg) c.eat('+');
  size_t start = c.i;
  while (!c.done() && c.s[c.i] >= '0' && c.s[c.i] <= '9') ++c.i;
  size_t ylen = c.i - start;
  c.i = start;
  if (ylen < 4 || ylen > 6 || !c.digits(ylen, y)) return false;
  if (neg) y = -y;
  if (!c.eat('-') || !c.digits(2, m) || !c.eat('-') || !c.digits(2, d)) return false;
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  unsigned maxd = kDays[m - 1] - (m == 2 && !leap ? 1 : 0);
  if (d > maxd) return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool parse_time_part(Cursor& c, int64_t& micros) {
  int64_t h, mi, s = 0;
  if (!c.digits(2, h) || !c.eat(':') || !c.digits(2, mi)) return false;
  if (c.eat(':') && !c.digits(2, s)) return false;
  int64_t frac = 0;
  if (c.eat('.')) {
    size_t n = 0;
    while (!c.done() && c.s[c.i] >= '0' && c.s[c.i] <= '9') {
      if (n < 6) frac = frac * 10 + (c.s[c.i] - '0');
      ++n;
      ++c.i;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) frac *= 10;
  }
  if (h > 24 || mi > 59 || s > 60) return false;
  if (h == 24 && (mi || s || frac)) return false;
  micros = ((h * 60 + mi) * 60 + s) * 1'000'000 + frac;
  return true;
}

// Zone suffix: Z, +HH, +HH:MM, +HHMM. Returns the offset in micros to subtract.
bool parse_zone(Cursor& c, int64_t& offset_micros, bool& present) {
  present = false;
  offset_micros = 0;
  if (c.done()) return true;
  c.eat(' ');
  if (c.eat('Z') || c.eat('z')) {
    present = true;
    return c.done();
  }
  int sign = 0;
  if (c.eat('+')) sign = 1;
  else if (c.eat('-')) sign = -1;
  else return false;
  int64_t hh, mm = 0;
  if (!c.digits(2, hh)) return false;
  if (c.eat(':')) {
    if (!c.digits(2, mm)) return false;
  } else if (!c.done() && !c.digits(2, mm)) {
    return false;
  }
  if (hh > 18 || mm > 59) return false;
  present = true;
  offset_micros = sign * (hh * 3600 + mm * 60) * 1'000'000;
  return c.done();
}

template <class T>
bool parse_number(std::string_view t, T& v) {
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  return r.ec == std::errc{} && r.ptr == t.data() + t.size();
}

bool is_decimal_text(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
  size_t digits = 0;
  bool dot = false;
  for (; i < t.size(); ++i) {
    if (t[i] >= '0' && t[i] <= '9') ++digits;
    else if (t[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digits > 0;
}

// Canonical decimal text: no '+', no leading zeros, "-0" → "0".
std::string canonical_decimal(std::string_view t) {
  bool neg = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  auto dot = t.find('.');
  std::string_view ip = t.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view{} : t.substr(dot + 1);
  while (ip.size() > 1 && ip[0] == '0') ip.remove_prefix(1);
  std::string out;
  out += ip.empty() ? "0" : std::string(ip);
  if (!fp.empty()) out += "." + std::string(fp);
  bool zero = out.find_first_not_of("0.") == std::string::npos;
  return (neg && !zero ? "-" : "") + out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

size_t write_date(char* out, Date d) noexcept { return put_civil(out, d.days) - out; }

size_t write_time(char* out, Time t) noexcept { return put_micros_of_day(out, t.micros) - out; }

size_t write_timestamp(char* out, Timestamp t) noexcept {
  // The time of day from the remainder: day * kMicrosPerDay overflows int64
  // on the first day of the range (PostgreSQL's -infinity is INT64_MIN).
  int64_t of_day = t.micros % kMicrosPerDay;
  if (of_day < 0) of_day += kMicrosPerDay;
  char* p = put_civil(out, static_cast<int32_t>(floor_div(t.micros, kMicrosPerDay)));
  *p++ = ' ';
  return put_micros_of_day(p, of_day) - out;
}

size_t write_timestamp_tz(char* out, TimestampTz t) noexcept {
  size_t n = write_timestamp(out, Timestamp{t.micros});
  std::memcpy(out + n, "+00:00", 6);
  return n + 6;
}

std::string format_date(Date d) {
  char buf[kMaxTemporalText];
  return std::string(buf, write_date(buf, d));
}

std::string format_time(Time t) {
  char buf[kMaxTemporalText];
  return std::string(buf, write_time(buf, t));
}

std::string format_timestamp(Timestamp t) {
  char buf[kMaxTemporalText];
  return std::string(buf, write_timestamp(buf, t));
}

std::string format_timestamp_tz(TimestampTz t) {
  char buf[kMaxTemporalText];
  return std::string(buf, write_timestamp_tz(buf, t));
}

std::string format_uuid(const Uuid& u) {
  std::string out;
  out.reserve(36);
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[u.bytes[i] >> 4];
    out += kHex[u.bytes[i] & 15];
  }
  return out;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  // The shortest digits that read back as `v`, written as PostgreSQL writes
  // a float8: plainly when the decimal exponent is in [-4, 15), else with an
  // exponent (100000 and 0.0001, not 1e+05 and 1e-04; 1e+15, 1e-05).
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  const size_t e = sci.find('e');
  int exponent = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
  if (exponent < -4 || exponent >= 15) return std::string(sci);
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string format_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

TypeId Value::type_id() const noexcept {
  static constexpr TypeId kIds[] = {TypeId::null,      TypeId::boolean, TypeId::int64,
                                    TypeId::float64,   TypeId::decimal, TypeId::string,
                                    TypeId::bytes,     TypeId::date,    TypeId::time,
                                    TypeId::timestamp, TypeId::timestamp_tz, TypeId::uuid,
                                    TypeId::json};
  return kIds[v_.index()];
}

void Value::throw_mismatch(TypeId wanted) const {
  throw Error(ErrorCode::type_mismatch, fmt::format("expected a {} value, got {}",
                                                    to_string(wanted), to_string(type_id())));
}

std::string Value::to_text() const {
  struct Visitor {
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return format_double(d); }
    std::string operator()(const Decimal& d) const { return d.text; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Bytes& b) const { return format_hex(b.data); }
    std::string operator()(Date d) const { return format_date(d); }
    std::string operator()(Time t) const { return format_time(t); }
    std::string operator()(Timestamp t) const { return format_timestamp(t); }
    std::string operator()(TimestampTz t) const { return format_timestamp_tz(t); }
    std::string operator()(const Uuid& u) const { return format_uuid(u); }
    std::string operator()(const Json& j) const { return j.text; }
  };
  return std::visit(Visitor{}, v_);
}

bool read_date(std::string_view text, Date& out) noexcept {
  Cursor c{text};
  return parse_date_part(c, out.days) && c.done();
}

bool read_time(std::string_view text, Time& out) noexcept {
  Cursor c{text};
  return parse_time_part(c, out.micros) && c.done() && out.micros <= kMicrosPerDay;
}

namespace {
// Date, optional time, optional zone; `zone` tells whether one was present.
bool read_date_time(std::string_view text, int64_t& micros, bool& zone) noexcept {
  Cursor c{text};
  int32_t days;
  int64_t us = 0;
  if (!parse_date_part(c, days)) return false;
  if (!c.done()) {
    if (!(c.eat(' ') || c.eat('T') || c.eat('t'))) return false;
    if (!parse_time_part(c, us)) return false;
  }
  int64_t offset;
  if (!parse_zone(c, offset, zone)) return false;
  // Years up to 999999 parse, but int64 microseconds end in 290308 BC and
  // 294247 AD. Before 1970 count from the end of the day, so that the first
  // day of the range does not overflow on the way (INT64_MIN reads back).
  const int64_t rest = us - offset;  // within two days
  const bool before = days < 0;
  int64_t day_micros;
  return !__builtin_mul_overflow(int64_t{days} + before, kMicrosPerDay, &day_micros) &&
         !__builtin_add_overflow(day_micros, rest - before * kMicrosPerDay, &micros);
}
}  // namespace

bool read_timestamp(std::string_view text, Timestamp& out) noexcept {
  bool zone;
  return read_date_time(text, out.micros, zone) && !zone;
}

bool read_timestamp_tz(std::string_view text, TimestampTz& out) noexcept {
  bool zone;
  return read_date_time(text, out.micros, zone);
}

Value parse_value(std::string_view text, Type type) {
  switch (type.id) {
    case TypeId::null:
    case TypeId::string: return Value(std::string(text));
    case TypeId::json: return Value(Json{std::string(text)});
    case TypeId::boolean: {
      std::string t;
      for (char c : text) t += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (t == "true" || t == "t" || t == "1" || t == "yes" || t == "y" || t == "on")
        return Value(true);
      if (t == "false" || t == "f" || t == "0" || t == "no" || t == "n" || t == "off")
        return Value(false);
      bad(text, "a boolean (true/false)");
    }
    case TypeId::int64: {
      int64_t v;
      std::string_view t = text;
      if (!t.empty() && t[0] == '+') t.remove_prefix(1);
      if (!parse_number(t, v)) {
        if (is_decimal_text(text)) bad(text, "int64 (out of range or not an integer)");
        bad(text, "an int64 integer");
      }
      return Value(v);
    }
    case TypeId::float64: {
      std::string t(text);
      for (auto& c : t) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (t == "nan") return Value(std::numeric_limits<double>::quiet_NaN());
      if (t == "inf" || t == "infinity" || t == "+inf" || t == "+infinity")
        return Value(std::numeric_limits<double>::infinity());
      if (t == "-inf" || t == "-infinity") return Value(-std::numeric_limits<double>::infinity());
      double v;
      std::string_view tv = text;
      if (!tv.empty() && tv[0] == '+') tv.remove_prefix(1);
      if (!parse_number(tv, v)) bad(text, "a float64 number");
      return Value(v);
    }
    case TypeId::decimal: {
      if (!is_decimal_text(text)) bad(text, "a decimal number");
      return Value(Decimal{canonical_decimal(text)});
    }
    case TypeId::bytes: {
      if (text.size() >= 2 && text[0] == '\\' && (text[1] == 'x' || text[1] == 'X')) {
        std::string_view h = text.substr(2);
        if (h.size() % 2) bad(text, "hex bytes (\\x followed by an even number of hex digits)");
        std::string out;
        out.reserve(h.size() / 2);
        for (size_t i = 0; i < h.size(); i += 2) {
          int a = hex_digit(h[i]), b = hex_digit(h[i + 1]);
          if (a < 0 || b < 0) bad(text, "hex bytes (\\x0a1b...)");
          out += static_cast<char>(a * 16 + b);
        }
        return Value(Bytes{std::move(out)});
      }
      return Value(Bytes{std::string(text)});
    }
    case TypeId::date: {
      Date d;
      if (!read_date(text, d)) bad(text, "a date (YYYY-MM-DD)");
      return Value(d);
    }
    case TypeId::time: {
      Time t;
      if (!read_time(text, t)) bad(text, "a time (HH:MM:SS[.ffffff])");
      return Value(t);
    }
    case TypeId::timestamp: {
      Timestamp t;
      if (!read_timestamp(text, t)) {
        TimestampTz tz;
        if (read_timestamp_tz(text, tz))
          bad(text, "a timestamp without time zone (drop the zone or use timestamp_tz)");
        bad(text, "a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])");
      }
      return Value(t);
    }
    case TypeId::timestamp_tz: {
      TimestampTz t;
      if (!read_timestamp_tz(text, t))
        bad(text, "a timestamp with zone (YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM)");
      return Value(t);
    }
    case TypeId::uuid: {
      Uuid u;
      std::string_view t = text;
      if (t.size() >= 2 && t.front() == '{' && t.back() == '}') t = t.substr(1, t.size() - 2);
      size_t n = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23) && t.size() == 36) continue;
        int a = hex_digit(t[i]);
        if (a < 0 || n >= 32) bad(text, "a UUID (8-4-4-4-12 hex digits)");
        u.bytes[n / 2] = static_cast<uint8_t>(n % 2 ? (u.bytes[n / 2] | a) : a << 4);
        ++n;
      }
      if (n != 32) bad(text, "a UUID (8-4-4-4-12 hex digits)");
      return Value(u);
    }
  }
  bad(text, to_string(type.id));
}

Value coerce_value(const Value& v, Type type) {
  const TypeId have = v.type_id();
  const TypeId want = type.id;
  if (have == TypeId::null || have == want) return v;
  auto mismatch = [&]() -> Error {
    return Error(ErrorCode::type_mismatch,
                 fmt::format("value {} of type {} does not fit a {} column",
                             v.to_text().substr(0, 60), to_string(have), to_string(type)));
  };
  switch (want) {
    case TypeId::string:
      if (have == TypeId::bytes) throw mismatch();
      return Value(v.to_text());
    case TypeId::json:
      if (have == TypeId::string) return Value(Json{v.as<std::string>()});
      break;
    case TypeId::float64:
      if (have == TypeId::int64) {
        const int64_t i = v.as<int64_t>();
        const double d = static_cast<double>(i);
        if (d < 9.2233720368547758e18 && static_cast<int64_t>(d) == i) return Value(d);
        throw mismatch();
      }
      if (have == TypeId::decimal) return Value(std::strtod(v.as<Decimal>().text.c_str(), nullptr));
      break;
    case TypeId::decimal:
      if (have == TypeId::int64) return Value(Decimal{std::to_string(v.as<int64_t>())});
      if (have == TypeId::float64) {
        const double d = v.as<double>();
        if (!std::isfinite(d)) throw mismatch();
        char buf[400];
        auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
        return Value(Decimal{canonical_decimal(std::string_view(buf, r.ptr - buf))});
      }
      break;
    case TypeId::int64:
      if (have == TypeId::boolean) return Value(int64_t{v.as<bool>() ? 1 : 0});
      break;
    case TypeId::boolean:
      if (have == TypeId::int64 && (v.as<int64_t>() == 0 || v.as<int64_t>() == 1))
        return Value(v.as<int64_t>() == 1);
      break;
    case TypeId::timestamp_tz:
      if (have == TypeId::timestamp) return Value(TimestampTz{v.as<Timestamp>().micros});
      if (have == TypeId::date)
        return Value(TimestampTz{int64_t{v.as<Date>().days} * kMicrosPerDay});
      break;
    case TypeId::timestamp:
      if (have == TypeId::date) return Value(Timestamp{int64_t{v.as<Date>().days} * kMicrosPerDay});
      // Backends with only zoned timestamps (Firestore) read back what was
      // written as a plain timestamp taken as UTC: its UTC wall clock.
      if (have == TypeId::timestamp_tz) return Value(Timestamp{v.as<TimestampTz>().micros});
      break;
    default: break;
  }
  if (have == TypeId::string) return parse_value(v.as<std::string>(), type);
  throw mismatch();
}

}  // namespace polydb
