#include "connectors/firestore/types.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "core/encoding.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

[[noreturn]] void mismatch(std::string what) {
  throw Error(ErrorCode::type_mismatch, std::move(what), "firestore");
}

[[noreturn]] void malformed(const Json& v, std::string_view what) {
  throw Error(ErrorCode::corruption,
              fmt::format("{}: {}", what,
                          v.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 80)),
              "firestore");
}

bool number_or_absent(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_number();
}

bool holds_or_absent(const Json& object, const char* key, Json::value_t type) {
  const auto it = object.find(key);
  return it == object.end() || it->type() == type;
}

// The payload of a Firestore value ({"integerValue": "1"} -> "1") after
// checking that it has the shape its kind needs, so that a malformed
// response is Error(corruption) rather than a JSON library exception or a
// read past the end. Unknown kinds are left to the caller.
const Json& payload(const Json& v) {
  const std::string_view kind = value_kind(v);
  if (kind.empty()) malformed(v, "not a Firestore value");
  const Json& p = v.begin().value();
  bool ok = true;
  if (kind == "booleanValue")
    ok = p.is_boolean();
  else if (kind == "integerValue")
    ok = p.is_string() || p.is_number_integer();
  else if (kind == "doubleValue")
    ok = p.is_string() || p.is_number();
  else if (kind == "stringValue" || kind == "referenceValue" || kind == "bytesValue" ||
           kind == "timestampValue")
    ok = p.is_string();
  else if (kind == "geoPointValue")
    ok = p.is_object() && number_or_absent(p, "latitude") && number_or_absent(p, "longitude");
  else if (kind == "arrayValue")
    ok = p.is_object() && holds_or_absent(p, "values", Json::value_t::array);
  else if (kind == "mapValue")
    ok = p.is_object() && holds_or_absent(p, "fields", Json::value_t::object);
  if (!ok) malformed(v, fmt::format("malformed Firestore {}", kind));
  return p;
}

int64_t parse_int64(const Json& v) {
  // integerValue is a string on the wire; accept a JSON number as well.
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX})
    throw Error(ErrorCode::corruption, fmt::format("integerValue {} is not an int64", v.dump()),
                "firestore");
  if (v.is_number_integer()) return v.get<int64_t>();
  const std::string& s = v.get_ref<const std::string&>();
  int64_t out = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
    throw Error(ErrorCode::corruption, fmt::format("integerValue '{}' is not an int64", s),
                "firestore");
  return out;
}

double parse_double(const Json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();  // "NaN", "Infinity", "-Infinity"
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  return parse_value(s, TypeId::float64).as<double>();
}

Json double_json(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return d;
}

void write_json(const Json& v, std::string& out) {
  const std::string_view kind = value_kind(v);
  const Json& p = payload(v);
  if (kind == "nullValue") {
    out += "null";
  } else if (kind == "booleanValue") {
    out += p.get<bool>() ? "true" : "false";
  } else if (kind == "integerValue") {
    out += std::to_string(parse_int64(p));
  } else if (kind == "doubleValue") {
    const double d = parse_double(p);
    if (std::isfinite(d)) out += format_double(d);
    else append_json_quoted(format_double(d), out);
  } else if (kind == "stringValue" || kind == "referenceValue" || kind == "bytesValue" ||
             kind == "timestampValue") {
    // Bytes stay base64 and timestamps keep every digit the server sent.
    append_json_quoted(p.get<std::string>(), out);
  } else if (kind == "geoPointValue") {
    out += fmt::format("{{\"latitude\":{},\"longitude\":{}}}",
                       format_double(p.value("latitude", 0.0)),
                       format_double(p.value("longitude", 0.0)));
  } else if (kind == "arrayValue") {
    out += '[';
    bool first = true;
    for (const auto& e : p.value("values", Json::array())) {
      if (!first) out += ',';
      first = false;
      write_json(e, out);
    }
    out += ']';
  } else if (kind == "mapValue") {
    out += '{';
    bool first = true;
    const Json fields = p.value("fields", Json::object());
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (!first) out += ',';
      first = false;
      append_json_quoted(it.key(), out);
      out += ':';
      write_json(it.value(), out);
    }
    out += '}';
  } else {
    malformed(v, "not a Firestore value");
  }
}

Json from_plain_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return {{"nullValue", nullptr}};
    case nlohmann::json::value_t::boolean: return {{"booleanValue", j.get<bool>()}};
    case nlohmann::json::value_t::number_integer:
      return {{"integerValue", std::to_string(j.get<int64_t>())}};
    case nlohmann::json::value_t::number_unsigned:
      if (j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return {{"integerValue", std::to_string(j.get<uint64_t>())}};
      return {{"doubleValue", double_json(j.get<double>())}};
    case nlohmann::json::value_t::number_float:
      return {{"doubleValue", double_json(j.get<double>())}};
    case nlohmann::json::value_t::string: return {{"stringValue", j.get<std::string>()}};
    case nlohmann::json::value_t::array: {
      Json values = Json::array();
      for (const auto& e : j) values.push_back(from_plain_json(e));
      return {{"arrayValue", {{"values", std::move(values)}}}};
    }
    case nlohmann::json::value_t::object: {
      Json fields = Json::object();
      for (auto it = j.begin(); it != j.end(); ++it) fields[it.key()] = from_plain_json(it.value());
      return {{"mapValue", {{"fields", std::move(fields)}}}};
    }
    default: mismatch("binary JSON values have no Firestore form");
  }
}

}  // namespace

std::string_view value_kind(const Json& v) noexcept {
  if (!v.is_object() || v.size() != 1) return {};
  return v.begin().key();
}

std::string format_rfc3339(TimestampTz t) {
  // Firestore timestamps run from 0001-01-01 to 9999-12-31; RFC 3339 has
  // four-digit years (a wider year also broke the 'T' at index 10).
  constexpr int64_t kMicrosPerDay = 86'400'000'000;
  static const int64_t first = int64_t{days_from_civil(1, 1, 1)} * kMicrosPerDay;
  static const int64_t end = (int64_t{days_from_civil(9999, 12, 31)} + 1) * kMicrosPerDay;
  if (t.micros < first || t.micros >= end)
    mismatch(fmt::format("Firestore timestamps hold years 0001-9999, not {}",
                         format_timestamp_tz(t)));
  char buf[kMaxTemporalText];
  std::string s(buf, write_timestamp_tz(buf, t));  // "2024-01-31 12:34:56.123456+00:00"
  s[10] = 'T';
  if (s.size() > 6 && s.compare(s.size() - 6, 6, "+00:00") == 0) s.replace(s.size() - 6, 6, "Z");
  return s;
}

std::optional<TimestampTz> parse_rfc3339(std::string_view text) {
  std::string t(text);
  // polydb keeps microseconds: cut longer fractions (the fraction is always
  // positive in RFC 3339, so cutting rounds toward the past).
  if (const auto dot = t.find('.'); dot != std::string::npos) {
    size_t end = dot + 1;
    while (end < t.size() && t[end] >= '0' && t[end] <= '9') ++end;
    if (end - dot - 1 > 6) t.erase(dot + 7, end - dot - 7);
  }
  TimestampTz out;
  if (!read_timestamp_tz(t, out)) return std::nullopt;
  return out;
}

Value to_value(const Json& v) {
  const std::string_view kind = value_kind(v);
  if (kind == "nullValue") return Value();
  const Json& p = payload(v);
  if (kind == "booleanValue") return Value(p.get<bool>());
  if (kind == "integerValue") return Value(parse_int64(p));
  if (kind == "doubleValue") return Value(parse_double(p));
  if (kind == "stringValue" || kind == "referenceValue") return Value(p.get<std::string>());
  if (kind == "bytesValue") return Value(Bytes{base64_decode(p.get<std::string>())});
  if (kind == "timestampValue") {
    if (auto ts = parse_rfc3339(p.get<std::string>())) return Value(*ts);
    throw Error(ErrorCode::corruption,
                fmt::format("timestampValue '{}' is not RFC 3339", p.get<std::string>()),
                "firestore");
  }
  return Value(polydb::Json{to_json_text(v)});
}

std::string to_json_text(const Json& v) {
  std::string out;
  write_json(v, out);
  return out;
}

Json from_json_text(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::type_mismatch, "a json value is not valid JSON", "firestore", e.what());
  }
  return from_plain_json(j);
}

Json from_value(const Value& v) {
  switch (v.type_id()) {
    case TypeId::null: return {{"nullValue", nullptr}};
    case TypeId::boolean: return {{"booleanValue", v.as<bool>()}};
    case TypeId::int64: return {{"integerValue", std::to_string(v.as<int64_t>())}};
    case TypeId::float64: return {{"doubleValue", double_json(v.as<double>())}};
    case TypeId::string: return {{"stringValue", v.as<std::string>()}};
    case TypeId::bytes: return {{"bytesValue", base64_encode(v.as<Bytes>().data)}};
    case TypeId::timestamp_tz: return {{"timestampValue", format_rfc3339(v.as<TimestampTz>())}};
    case TypeId::timestamp:
      return {{"timestampValue", format_rfc3339(TimestampTz{v.as<Timestamp>().micros})}};
    case TypeId::json: return from_json_text(v.as<polydb::Json>().text);
    default: return {{"stringValue", v.to_text()}};  // decimal, date, time, uuid: exact text
  }
}

void append_value(Column& col, const Json* v) {
  if (!v || value_kind(*v) == "nullValue") {
    col.append_null();
    return;
  }
  if (col.type().id == TypeId::json) {
    col.append_var(to_json_text(*v));
    return;
  }
  const Value value = to_value(*v);
  if (value.type_id() == col.type().id) {
    col.append(value);
    return;
  }
  try {
    if (col.type().id == TypeId::string && value.type_id() == TypeId::json)
      col.append_var(value.as<polydb::Json>().text);
    else
      col.append(coerce_value(value, col.type()));
  } catch (const Error& e) {
    mismatch(fmt::format("{} '{}' does not fit a {} column ({})", value_kind(*v),
                         value.to_text().substr(0, 60), to_string(col.type()), e.message()));
  }
}

}  // namespace polydb::firestore
