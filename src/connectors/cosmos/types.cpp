#include "connectors/cosmos/types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "connectors/common/document_schema.hpp"
#include "connectors/common/text_types.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

// Integers beyond +-2^53 are not all representable as doubles.
constexpr int64_t kMaxExactInt = int64_t{1} << 53;

// "1.50" -> "1.5", "-0.0" -> "0": the canonical form of a decimal's value.
std::string strip_decimal(std::string t) {
  if (t.find('.') != std::string::npos) {
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t.pop_back();
  }
  if (t == "-0") t = "0";
  return t;
}

// The shortest fixed-notation text of a finite double ("1e-10" -> "0.0000000001").
std::string fixed_text(double d) {
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return strip_decimal(std::string(buf, r.ptr));
}

// The double of a decimal when it holds the decimal's value exactly.
std::optional<double> exact_double(const std::string& text) {
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (!std::isfinite(d) || fixed_text(d) != strip_decimal(text)) return std::nullopt;
  return d;
}

// The integer a canonical integer text holds ("12", "-3"; not "012", "+1", "1.0").
std::optional<int64_t> canonical_int(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || std::to_string(v) != s)
    return std::nullopt;
  return v;
}

std::string iso(std::string text) {
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  return text;
}

}  // namespace

bool is_system_property(std::string_view name) noexcept {
  return std::find(std::begin(kSystemProperties), std::end(kSystemProperties), name) !=
         std::end(kSystemProperties);
}

std::optional<Json> value_to_json(const Value& v) {
  switch (v.type_id()) {
    case TypeId::null: return std::nullopt;
    case TypeId::boolean: return Json(v.as<bool>());
    case TypeId::int64: {
      const int64_t i = v.as<int64_t>();
      if (i >= -kMaxExactInt && i <= kMaxExactInt) return Json(i);
      return Json(std::to_string(i));
    }
    case TypeId::float64: {
      const double d = v.as<double>();
      if (!std::isfinite(d))
        throw Error(ErrorCode::type_mismatch,
                    fmt::format("{} cannot be stored: JSON numbers are finite (store it as text "
                                "or NULL)",
                                v.to_text()),
                    "cosmos");
      return Json(d);
    }
    case TypeId::decimal: {
      const std::string& t = v.as<Decimal>().text;
      if (auto i = canonical_int(t); i && *i >= -kMaxExactInt && *i <= kMaxExactInt)
        return Json(*i);
      if (auto d = exact_double(t)) return Json(*d);
      return Json(t);
    }
    case TypeId::string: return Json(v.as<std::string>());
    case TypeId::bytes: return Json(format_hex(v.as<Bytes>().data));
    case TypeId::timestamp:
    case TypeId::timestamp_tz: return Json(iso(v.to_text()));
    case TypeId::json: {
      const std::string& text = v.as<polydb::Json>().text;
      Json parsed = Json::parse(text, nullptr, false);
      if (parsed.is_discarded()) return Json(text);
      return parsed;
    }
    default: return Json(v.to_text());
  }
}

Value json_to_value(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded: return Value();
    case Json::value_t::boolean: return Value(j.get<bool>());
    case Json::value_t::number_integer: return Value(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case Json::value_t::number_float: {
      const double d = j.get<double>();
      if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return Value(static_cast<int64_t>(d));
      return Value(d);
    }
    case Json::value_t::string: return Value(j.get<std::string>());
    default: return Value(polydb::Json{j.dump()});
  }
}

std::string_view json_kind(const Json& j) noexcept {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::string: return "string";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number";
    default: return "null";
  }
}

void append_json(Column& col, const Json* j) {
  if (!j || j->is_null()) return col.append_null();
  const TypeId want = col.type().id;
  if (want == TypeId::json) return col.append_var(j->dump());
  if (want == TypeId::string && (j->is_object() || j->is_array())) return col.append_var(j->dump());
  Value v = json_to_value(*j);
  if (want == TypeId::string && v.type_id() == TypeId::float64)
    return col.append_var(format_double(v.as<double>()));
  if (want == TypeId::int64 && v.type_id() == TypeId::float64)
    throw Error(ErrorCode::type_mismatch,
                fmt::format("{} is not an integer", format_double(v.as<double>())), "cosmos");
  if (want == TypeId::decimal && v.type_id() == TypeId::float64)
    return col.append(Value(Decimal{fixed_text(v.as<double>())}));
  col.append(coerce_value(v, col.type()));
}

Schema infer_schema(const std::vector<const Json*>& docs, const std::vector<std::string>& key_paths,
                    const std::vector<std::string>& keep_system, bool item_keys) {
  DocumentSchemaBuilder b({.text = {.hex_bytes = true, .iso_8601 = true},
                           .exact_numbers_as_text = true,
                           .prefix = "inferred:",
                           .prefix_single = true,
                           .no_kind = "inferred:null"});
  if (item_keys) {
    for (const auto& k : key_paths) b.lead(k);
    b.lead("id");
  }
  std::vector<size_t> sizes;
  for (const Json* doc : docs) sizes.push_back(doc->size());
  for (size_t i : fullest_first(sizes))
    for (auto it = docs[i]->begin(); it != docs[i]->end(); ++it) {
      const std::string& name = it.key();
      if (is_system_property(name) &&
          std::find(keep_system.begin(), keep_system.end(), name) == keep_system.end())
        continue;
      const Json& v = it.value();
      std::optional<SampleKind> k;
      std::string_view text;
      if (v.is_string()) k = SampleKind::text, text = v.get_ref<const std::string&>();
      else if (v.is_number())
        k = json_to_value(v).type_id() == TypeId::int64 ? SampleKind::integer : SampleKind::floating;
      else if (v.is_boolean()) k = SampleKind::boolean;
      else if (!v.is_null()) k = SampleKind::nested;
      b.add(name, k, json_kind(v), text);
    }
  Schema schema = b.finish();
  if (item_keys) {
    for (const auto& k : key_paths) schema.primary_key.push_back(k);
    if (std::find(key_paths.begin(), key_paths.end(), "id") == key_paths.end())
      schema.primary_key.push_back("id");
    for (const auto& k : schema.primary_key) schema.fields[*schema.index_of(k)].nullable = false;
  }
  if (auto i = schema.index_of("id")) {
    // Ids are strings; polydb writes an integer key as its canonical text.
    Field& f = schema.fields[*i];
    const auto* seen = b.seen("id");
    if (f.native_type == "inferred:null") f.native_type = "inferred:string";
    else if (f.native_type == "inferred:string" && seen && seen->text_int) f.type = TypeId::int64;
  }
  return schema;
}

}  // namespace polydb::cosmos
