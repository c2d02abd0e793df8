#include "core/value_order.hpp"

#include <cmath>
#include <compare>
#include <string_view>

namespace polydb {

namespace {

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : b < a ? 1 : 0;
}

bool is_number(TypeId t) {
  return t == TypeId::int64 || t == TypeId::float64 || t == TypeId::decimal;
}

// Canonical decimal texts ("-12.50") by value.
int compare_decimal_text(std::string_view a, std::string_view b) {
  const bool na = !a.empty() && a[0] == '-', nb = !b.empty() && b[0] == '-';
  if (na != nb) return na ? -1 : 1;
  if (na) a.remove_prefix(1), b.remove_prefix(1);
  const auto da = a.find('.'), db = b.find('.');
  std::string_view ia = a.substr(0, da), ib = b.substr(0, db);
  std::string_view fa = da == a.npos ? "" : a.substr(da + 1), fb = db == b.npos ? "" : b.substr(db + 1);
  while (ia.size() > 1 && ia[0] == '0') ia.remove_prefix(1);
  while (ib.size() > 1 && ib[0] == '0') ib.remove_prefix(1);
  int c = ia.size() != ib.size() ? three_way(ia.size(), ib.size()) : three_way(ia, ib);
  for (size_t k = 0; c == 0 && k < std::max(fa.size(), fb.size()); ++k)
    c = three_way(k < fa.size() ? fa[k] : '0', k < fb.size() ? fb[k] : '0');
  return na ? -c : c;
}

// A number as canonical decimal text, or nullopt for NaN (sorted last).
std::string number_text(const Value& v) {
  switch (v.type_id()) {
    case TypeId::int64: return std::to_string(v.as<int64_t>());
    case TypeId::decimal: return v.as<Decimal>().text;
    default: return coerce_value(v, TypeId::decimal).as<Decimal>().text;
  }
}

int compare_numbers(const Value& a, const Value& b) {
  if (a.type_id() == TypeId::int64 && b.type_id() == TypeId::int64)
    return three_way(a.as<int64_t>(), b.as<int64_t>());
  auto special = [](const Value& v) {  // 0 finite, 1 NaN, -2/+2 infinities
    if (v.type_id() != TypeId::float64) return 0;
    const double d = v.as<double>();
    return std::isnan(d) ? 1 : std::isinf(d) ? (d < 0 ? -2 : 2) : 0;
  };
  const int sa = special(a), sb = special(b);
  if (sa || sb) {
    auto rank = [](int s) { return s == 1 ? 3 : s; };  // -inf < finite < +inf < NaN
    return three_way(rank(sa), rank(sb));
  }
  return compare_decimal_text(number_text(a), number_text(b));
}

}  // namespace

int compare_for_order(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return three_way(!a.is_null(), !b.is_null());
  const TypeId ta = a.type_id(), tb = b.type_id();
  if (is_number(ta) && is_number(tb)) return compare_numbers(a, b);
  if (ta != tb) return three_way(static_cast<int>(ta), static_cast<int>(tb));
  switch (ta) {
    case TypeId::boolean: return three_way(a.as<bool>(), b.as<bool>());
    case TypeId::string: return three_way(a.as<std::string>(), b.as<std::string>());
    case TypeId::bytes: return three_way(a.as<Bytes>().data, b.as<Bytes>().data);
    case TypeId::json: return three_way(a.as<Json>().text, b.as<Json>().text);
    case TypeId::date: return three_way(a.as<Date>(), b.as<Date>());
    case TypeId::time: return three_way(a.as<Time>(), b.as<Time>());
    case TypeId::timestamp: return three_way(a.as<Timestamp>(), b.as<Timestamp>());
    case TypeId::timestamp_tz: return three_way(a.as<TimestampTz>(), b.as<TimestampTz>());
    case TypeId::uuid: return three_way(a.as<Uuid>(), b.as<Uuid>());
    default: return 0;
  }
}

}  // namespace polydb
