#include "connectors/dynamodb/types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <vector>

#include "core/encoding.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

[[noreturn]] void mismatch(std::string what) {
  throw Error(ErrorCode::type_mismatch, std::move(what), "dynamodb");
}

// DynamoDB numbers may come with an exponent ("1E+3"); polydb's decimal text
// has none. Returns canonical decimal text, or nullopt when `text` is not a number.
std::optional<std::string> canonical_number(std::string_view text) {
  bool neg = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  std::string digits;
  long point = -1;
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    if (text[i] == '.') {
      if (point >= 0) return std::nullopt;
      point = static_cast<long>(digits.size());
    } else if (text[i] >= '0' && text[i] <= '9') {
      digits += text[i];
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (point < 0) point = static_cast<long>(digits.size());
  if (i < text.size()) {
    long exp = 0;
    auto sv = text.substr(i + 1);
    if (!sv.empty() && sv[0] == '+') sv.remove_prefix(1);
    auto r = std::from_chars(sv.data(), sv.data() + sv.size(), exp);
    if (r.ec != std::errc{} || r.ptr != sv.data() + sv.size() || exp > 400 || exp < -400)
      return std::nullopt;
    point += exp;
  }
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (point > static_cast<long>(digits.size())) digits.append(point - digits.size(), '0');
  std::string ip = digits.substr(0, static_cast<size_t>(point));
  std::string fp = digits.substr(static_cast<size_t>(point));
  const size_t nz = ip.find_first_not_of('0');
  ip = nz == std::string::npos ? "0" : ip.substr(nz);
  std::string out = ip;
  if (!fp.empty()) out += "." + fp;
  const bool zero = out.find_first_not_of("0.") == std::string::npos;
  return (neg && !zero ? "-" : "") + out;
}

// Compares canonical decimal texts by value.
int compare_decimal_text(std::string_view a, std::string_view b) {
  const bool na = !a.empty() && a[0] == '-', nb = !b.empty() && b[0] == '-';
  if (na != nb) return na ? -1 : 1;
  if (na) a.remove_prefix(1), b.remove_prefix(1);
  auto split = [](std::string_view s) {
    const auto dot = s.find('.');
    std::string_view ip = s.substr(0, dot), fp = dot == s.npos ? "" : s.substr(dot + 1);
    while (ip.size() > 1 && ip[0] == '0') ip.remove_prefix(1);
    return std::pair{ip, fp};
  };
  auto [ai, af] = split(a);
  auto [bi, bf] = split(b);
  int c = 0;
  if (ai.size() != bi.size()) c = ai.size() < bi.size() ? -1 : 1;
  else if (int x = ai.compare(bi)) c = x < 0 ? -1 : 1;
  else {
    const size_t n = std::max(af.size(), bf.size());
    for (size_t k = 0; k < n && c == 0; ++k) {
      const char x = k < af.size() ? af[k] : '0', y = k < bf.size() ? bf[k] : '0';
      if (x != y) c = x < y ? -1 : 1;
    }
  }
  return na ? -c : c;
}

std::string dump_string(const std::string& s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void write_json(const Json& av, std::string& out);

// The canonical text of an N value or NS element, for JSON output: written
// as is, it must be a JSON number.
std::string number_text(const std::string& raw) {
  auto text = canonical_number(raw);
  if (!text)
    throw Error(
        ErrorCode::corruption,
        fmt::format("'{}' in a DynamoDB number attribute is not a number", raw.substr(0, 60)),
        "dynamodb");
  return *text;
}

void write_json(const Json& av, std::string& out) {
  const std::string_view kind = av_kind(av);
  const Json& v = av.begin().value();
  if (kind == "S") out += dump_string(v.get<std::string>());
  else if (kind == "N") out += number_text(v.get<std::string>());
  else if (kind == "B") out += dump_string(v.get<std::string>());
  else if (kind == "BOOL") out += v.get<bool>() ? "true" : "false";
  else if (kind == "NULL") out += "null";
  else if (kind == "M") {
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ',';
      first = false;
      out += dump_string(it.key());
      out += ':';
      write_json(it.value(), out);
    }
    out += '}';
  } else if (kind == "L") {
    out += '[';
    for (size_t k = 0; k < v.size(); ++k) {
      if (k) out += ',';
      write_json(v[k], out);
    }
    out += ']';
  } else if (kind == "SS" || kind == "BS" || kind == "NS") {
    out += '[';
    for (size_t k = 0; k < v.size(); ++k) {
      if (k) out += ',';
      const std::string s = v[k].get<std::string>();
      out += kind == "NS" ? number_text(s) : dump_string(s);
    }
    out += ']';
  } else {
    mismatch(fmt::format("unknown DynamoDB attribute type '{}'", kind));
  }
}

// Builds an attribute value from JSON text with exact numbers: the SAX
// interface hands over each number's own digits, which a parsed double would lose.
class AvBuilder final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return add({{"NULL", true}}); }
  bool boolean(bool v) override { return add({{"BOOL", v}}); }
  bool number_integer(number_integer_t v) override { return add({{"N", std::to_string(v)}}); }
  bool number_unsigned(number_unsigned_t v) override { return add({{"N", std::to_string(v)}}); }
  bool number_float(number_float_t, const string_t& s) override {
    return add({{"N", canonical_number(s).value_or(s)}});
  }
  bool string(string_t& s) override { return add({{"S", s}}); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override {
    stack_.push_back({{"M", Json::object()}});
    return true;
  }
  bool key(string_t& k) override {
    keys_.push_back(k);
    return true;
  }
  bool end_object() override { return pop(); }
  bool start_array(std::size_t) override {
    stack_.push_back({{"L", Json::array()}});
    return true;
  }
  bool end_array() override { return pop(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
  Json root;

 private:
  bool pop() {
    Json v = std::move(stack_.back());
    stack_.pop_back();
    return add(std::move(v));
  }
  bool add(Json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return true;
    }
    Json& top = stack_.back();
    if (top.contains("M")) {
      top["M"][keys_.back()] = std::move(v);
      keys_.pop_back();
    } else {
      top["L"].push_back(std::move(v));
    }
    return true;
  }
  std::vector<Json> stack_;
  std::vector<std::string> keys_;
};

}  // namespace

std::string_view av_kind(const Json& av) {
  const auto malformed = [&](std::string_view what) {
    return Error(ErrorCode::corruption,
                 fmt::format("{}: {}", what,
                             av.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 80)),
                 "dynamodb");
  };
  if (!av.is_object() || av.size() != 1) throw malformed("not a DynamoDB attribute value");
  // Check the value's shape here, where every reader of an attribute value
  // starts: a malformed response is Error(corruption), never a JSON library
  // exception. Unknown kinds are reported by the caller.
  const std::string& kind = av.begin().key();
  const Json& v = av.begin().value();
  bool ok = true;
  if (kind == "S" || kind == "N" || kind == "B")
    ok = v.is_string();
  else if (kind == "BOOL" || kind == "NULL")
    ok = v.is_boolean();
  else if (kind == "M")
    ok = v.is_object();
  else if (kind == "L")
    ok = v.is_array();
  else if (kind == "SS" || kind == "NS" || kind == "BS")
    ok = v.is_array() &&
         std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); });
  if (!ok) throw malformed(fmt::format("malformed DynamoDB {} attribute value", kind));
  return kind;
}

Value av_to_value(const Json& av) {
  const std::string_view kind = av_kind(av);
  const Json& v = av.begin().value();
  if (kind == "S") return Value(v.get<std::string>());
  if (kind == "N") {
    const std::string raw = v.get<std::string>();
    auto text = canonical_number(raw);
    if (!text) mismatch(fmt::format("'{}' is not a number", raw.substr(0, 60)));
    if (text->find('.') == std::string::npos) {
      int64_t i = 0;
      auto r = std::from_chars(text->data(), text->data() + text->size(), i);
      if (r.ec == std::errc{} && r.ptr == text->data() + text->size()) return Value(i);
    }
    return Value(Decimal{*text});
  }
  if (kind == "B") {
    try {
      return Value(Bytes{base64_decode(v.get<std::string>())});
    } catch (const Error&) {
      throw Error(ErrorCode::corruption, "a B attribute is not valid base64", "dynamodb");
    }
  }
  if (kind == "BOOL") return Value(v.get<bool>());
  if (kind == "NULL") return Value();
  return Value(polydb::Json{av_to_json_text(av)});
}

std::string av_to_json_text(const Json& av) {
  std::string out;
  write_json(av, out);
  return out;
}

Json value_to_av(const Value& v) {
  switch (v.type_id()) {
    case TypeId::null: return {{"NULL", true}};
    case TypeId::boolean: return {{"BOOL", v.as<bool>()}};
    case TypeId::int64: return {{"N", std::to_string(v.as<int64_t>())}};
    case TypeId::float64: {
      const double d = v.as<double>();
      if (!std::isfinite(d))
        mismatch(fmt::format("DynamoDB numbers cannot be {} (filter or convert such values)",
                             format_double(d)));
      return {{"N", format_double(d)}};
    }
    case TypeId::decimal: return {{"N", v.as<Decimal>().text}};
    case TypeId::string: return {{"S", v.as<std::string>()}};
    case TypeId::bytes: return {{"B", base64_encode(v.as<Bytes>().data)}};
    case TypeId::json: return json_text_to_av(v.as<polydb::Json>().text);
    default: return {{"S", v.to_text()}};  // date, time, timestamps, uuid: ISO text
  }
}

Json json_text_to_av(std::string_view text) {
  AvBuilder b;
  if (!Json::sax_parse(text, &b) || b.root.is_null()) return {{"S", std::string(text)}};
  return b.root;
}

std::optional<Json> json_text_to_set_av(std::string_view text, SetType type) {
  const Json list = json_text_to_av(text);
  if (av_kind(list) != "L")
    mismatch(
        fmt::format("a set column needs a JSON array, not '{}'", std::string(text.substr(0, 60))));
  const Json& elements = list.at("L");
  if (elements.empty()) return std::nullopt;
  if (type == SetType::infer) type = av_kind(elements.front()) == "N" ? SetType::NS : SetType::SS;
  const std::string_view want = type == SetType::NS ? "N" : "S";
  const std::string set_kind = type == SetType::NS ? "NS" : type == SetType::BS ? "BS" : "SS";
  Json out = Json::array();
  std::set<std::string> seen;  // to report duplicates, which DynamoDB refuses
  for (const Json& e : elements) {
    if (av_kind(e) != want)
      mismatch(fmt::format("{} elements must all be {}, not {}", set_kind,
                           want == "N" ? "numbers" : "strings", e.dump().substr(0, 60)));
    std::string v = e.begin().value().get<std::string>();
    std::string identity = v;
    if (type == SetType::BS) {
      try {
        identity = base64_decode(v);
      } catch (const Error&) {
        mismatch(fmt::format("BS elements are base64 strings; '{}' is not", v.substr(0, 60)));
      }
      v = base64_encode(identity);
    } else if (type == SetType::NS) {
      // Equal values are duplicates whatever their spelling: 1 and 1.0.
      identity = canonical_number(v).value_or(v);
      if (identity.find('.') != std::string::npos) {
        identity.erase(identity.find_last_not_of('0') + 1);
        if (identity.back() == '.') identity.pop_back();
      }
      if (identity == "-0") identity.erase(0, 1);  // "0" (assigning a literal trips GCC 12's -Wrestrict at -O2)
    }
    if (!seen.insert(std::move(identity)).second)
      mismatch(fmt::format("{} has the value '{}' twice (DynamoDB sets hold distinct values)",
                           set_kind, v.substr(0, 60)));
    out.push_back(std::move(v));
  }
  return Json{{set_kind, std::move(out)}};
}

std::optional<Json> cell_to_av(const Column& col, size_t row) {
  if (col.is_null(row)) return std::nullopt;
  switch (col.type().id) {
    case TypeId::int64: return Json{{"N", std::to_string(col.int64_at(row))}};
    case TypeId::string: return Json{{"S", std::string(col.var_at(row))}};
    case TypeId::decimal: return Json{{"N", std::string(col.var_at(row))}};
    default: return value_to_av(col.value_at(row));
  }
}

void append_av(Column& col, const Json* av) {
  if (!av || av_kind(*av) == "NULL") {
    col.append_null();
    return;
  }
  if (col.type().id == TypeId::json) {
    col.append_var(av_to_json_text(*av));
    return;
  }
  const Value v = av_to_value(*av);
  if (v.type_id() == col.type().id) {
    col.append(v);
    return;
  }
  try {
    col.append(coerce_value(v, col.type()));
  } catch (const Error& e) {
    mismatch(fmt::format("{} attribute '{}' does not fit a {} column ({})", av_kind(*av),
                         v.to_text().substr(0, 60), to_string(col.type()), e.message()));
  }
}

std::optional<Type> natural_type(const Json& av) {
  const std::string_view kind = av_kind(av);
  if (kind == "NULL") return std::nullopt;
  if (kind == "S") return Type(TypeId::string);
  if (kind == "B") return Type(TypeId::bytes);
  if (kind == "BOOL") return Type(TypeId::boolean);
  if (kind == "N") return Type(av_to_value(av).type_id());
  return Type(TypeId::json);
}

std::string key_attribute_type(Type type, std::string_view column) {
  switch (type.id) {
    case TypeId::int64:
    case TypeId::decimal:
    case TypeId::float64: return "N";
    case TypeId::bytes: return "B";
    case TypeId::string:
    case TypeId::date:
    case TypeId::time:
    case TypeId::timestamp:
    case TypeId::timestamp_tz:
    case TypeId::uuid: return "S";
    default:
      throw Error(ErrorCode::unsupported,
                  fmt::format("key column '{}' is {}: DynamoDB keys are strings, numbers or "
                              "binary (choose another key column)",
                              column, to_string(type)),
                  "dynamodb")
          .set_hint(Hint::key_columns);
  }
}

int compare_values(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return (a.is_null() ? 0 : 1) - (b.is_null() ? 0 : 1);
  auto number = [](const Value& v) -> std::optional<std::string> {
    switch (v.type_id()) {
      case TypeId::int64: return std::to_string(v.as<int64_t>());
      case TypeId::decimal: return v.as<Decimal>().text;
      case TypeId::float64:
        if (std::isfinite(v.as<double>())) return canonical_number(format_double(v.as<double>()));
        return std::nullopt;
      default: return std::nullopt;
    }
  };
  const auto na = number(a), nb = number(b);
  if (na && nb) return compare_decimal_text(*na, *nb);
  if (a.type_id() == TypeId::float64 || b.type_id() == TypeId::float64) {
    try {
      const double x = coerce_value(a, TypeId::float64).as<double>();
      const double y = coerce_value(b, TypeId::float64).as<double>();
      return x < y ? -1 : (y < x ? 1 : 0);
    } catch (const Error&) {
    }
  }
  if (a.type_id() == b.type_id()) {
    switch (a.type_id()) {
      case TypeId::boolean: return int(a.as<bool>()) - int(b.as<bool>());
      case TypeId::date: return a.as<Date>() < b.as<Date>() ? -1 : (b.as<Date>() < a.as<Date>());
      case TypeId::time: return a.as<Time>() < b.as<Time>() ? -1 : (b.as<Time>() < a.as<Time>());
      case TypeId::timestamp:
        return a.as<Timestamp>() < b.as<Timestamp>() ? -1 : (b.as<Timestamp>() < a.as<Timestamp>());
      case TypeId::timestamp_tz:
        return a.as<TimestampTz>() < b.as<TimestampTz>() ? -1
                                                         : (b.as<TimestampTz>() < a.as<TimestampTz>());
      default: break;
    }
  }
  const int c = a.to_text().compare(b.to_text());
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace polydb::dynamodb
