#include "polydb/filter.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <optional>

#include "core/collation_error.hpp"
#include "polydb/error.hpp"

namespace polydb {

std::string_view to_sql(CompareOp op) noexcept {
  switch (op) {
    case CompareOp::eq: return "=";
    case CompareOp::ne: return "<>";
    case CompareOp::lt: return "<";
    case CompareOp::le: return "<=";
    case CompareOp::gt: return ">";
    case CompareOp::ge: return ">=";
    case CompareOp::in: return "IN";
    case CompareOp::is_null: return "IS NULL";
    case CompareOp::is_not_null: return "IS NOT NULL";
  }
  return "=";
}

Filter Filter::compare(std::string column, CompareOp op, Value v) {
  Filter f;
  f.kind = Kind::compare;
  f.column = std::move(column);
  f.op = op;
  f.values.push_back(std::move(v));
  return f;
}

Filter Filter::in(std::string column, std::vector<Value> values) {
  Filter f;
  f.column = std::move(column);
  f.op = CompareOp::in;
  f.values = std::move(values);
  return f;
}

Filter Filter::is_null(std::string column, bool negated) {
  Filter f;
  f.column = std::move(column);
  f.op = negated ? CompareOp::is_not_null : CompareOp::is_null;
  return f;
}

Filter Filter::all_of(std::vector<Filter> children) {
  Filter f;
  f.kind = Kind::all_of;
  f.children = std::move(children);
  return f;
}

Filter Filter::any_of(std::vector<Filter> children) {
  Filter f;
  f.kind = Kind::any_of;
  f.children = std::move(children);
  return f;
}

Filter Filter::negate(Filter child) {
  Filter f;
  f.kind = Kind::negate;
  f.children.push_back(std::move(child));
  return f;
}

namespace {

std::string literal_text(const Value& v) {
  if (v.is_null()) return "NULL";
  switch (v.type_id()) {
    case TypeId::boolean:
    case TypeId::int64:
    case TypeId::float64:
    case TypeId::decimal: return v.to_text();
    default: {
      std::string s = "'";
      for (char c : v.to_text()) {
        if (c == '\'') s += '\'';
        s += c;
      }
      return s + "'";
    }
  }
}

void collect_columns(const Filter& f, std::vector<std::string>& out) {
  if (f.kind == Filter::Kind::compare) {
    for (const auto& c : out)
      if (c == f.column) return;
    out.push_back(f.column);
    return;
  }
  for (const auto& c : f.children) collect_columns(c, out);
}

// ---- evaluation -------------------------------------------------------------

bool is_numeric(TypeId t) {
  return t == TypeId::int64 || t == TypeId::float64 || t == TypeId::decimal;
}

// Exact comparison of two canonical decimal texts.
int compare_decimal_text(std::string_view a, std::string_view b) {
  bool na = !a.empty() && a[0] == '-', nb = !b.empty() && b[0] == '-';
  if (na) a.remove_prefix(1);
  if (nb) b.remove_prefix(1);
  auto split = [](std::string_view s, std::string_view& ip, std::string_view& fp) {
    auto d = s.find('.');
    ip = s.substr(0, d);
    fp = d == std::string_view::npos ? std::string_view{} : s.substr(d + 1);
    while (ip.size() > 1 && ip[0] == '0') ip.remove_prefix(1);
    while (!fp.empty() && fp.back() == '0') fp.remove_suffix(1);
  };
  std::string_view ai, af, bi, bf;
  split(a, ai, af);
  split(b, bi, bf);
  bool za = ai == "0" && af.empty(), zb = bi == "0" && bf.empty();
  if (za) na = false;
  if (zb) nb = false;
  if (na != nb) return na ? -1 : 1;
  int mag;
  if (ai.size() != bi.size()) mag = ai.size() < bi.size() ? -1 : 1;
  else if (int c = ai.compare(bi)) mag = c < 0 ? -1 : 1;
  else {
    const int f = af.compare(bf);
    mag = f < 0 ? -1 : (f > 0 ? 1 : 0);
  }
  return na ? -mag : mag;
}

std::string numeric_text(const Value& v) {
  if (v.holds<int64_t>()) return std::to_string(v.as<int64_t>());
  return v.as<Decimal>().text;
}

// <0, 0, >0, or nullopt when the two cannot be compared. Strings compare as
// `field`'s collation says (the column's: a literal has none of its own).
std::optional<int> compare_values(const Value& a, const Value& b, const Field* field = nullptr) {
  const TypeId ta = a.type_id(), tb = b.type_id();
  if (is_numeric(ta) && is_numeric(tb)) {
    if (ta == TypeId::float64 || tb == TypeId::float64) {
      auto to_d = [](const Value& v) {
        if (v.holds<double>()) return v.as<double>();
        if (v.holds<int64_t>()) return static_cast<double>(v.as<int64_t>());
        return std::strtod(v.as<Decimal>().text.c_str(), nullptr);
      };
      double x = to_d(a), y = to_d(b);
      if (std::isnan(x) || std::isnan(y)) return std::nullopt;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (ta == TypeId::int64 && tb == TypeId::int64) {
      int64_t x = a.as<int64_t>(), y = b.as<int64_t>();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return compare_decimal_text(numeric_text(a), numeric_text(b));
  }
  if (ta != tb) {
    // A string literal against a typed column: read the literal as that type.
    if (tb == TypeId::string && ta != TypeId::null) {
      try {
        return compare_values(a, parse_value(b.as<std::string>(), Type(ta)));
      } catch (const Error&) {
        return std::nullopt;
      }
    }
    if (ta == TypeId::timestamp_tz && tb == TypeId::timestamp)
      return compare_values(a, Value(TimestampTz{b.as<Timestamp>().micros}));
    return std::nullopt;
  }
  auto cmp = [](const auto& x, const auto& y) -> int { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (ta) {
    case TypeId::boolean: return cmp(a.as<bool>(), b.as<bool>());
    case TypeId::string: {
      const std::string_view x = a.as<std::string>(), y = b.as<std::string>();
      if (!field) return cmp(x, y);
      auto c = compare_text(x, y, field->collation);
      if (!c) throw refused_comparison(*field, collation_key(x, field->collation) ? y : x);
      return *c;
    }
    case TypeId::bytes: return cmp(a.as<Bytes>().data, b.as<Bytes>().data);
    case TypeId::json: return cmp(a.as<Json>().text, b.as<Json>().text);
    case TypeId::date: return cmp(a.as<Date>(), b.as<Date>());
    case TypeId::time: return cmp(a.as<Time>(), b.as<Time>());
    case TypeId::timestamp: return cmp(a.as<Timestamp>(), b.as<Timestamp>());
    case TypeId::timestamp_tz: return cmp(a.as<TimestampTz>(), b.as<TimestampTz>());
    case TypeId::uuid: return cmp(a.as<Uuid>(), b.as<Uuid>());
    default: return std::nullopt;
  }
}

// Three-valued logic: nullopt is SQL's unknown.
std::optional<bool> eval(const Filter& f, const Batch& batch, size_t row) {
  switch (f.kind) {
    case Filter::Kind::all_of: {
      bool unknown = false;
      for (const auto& c : f.children) {
        auto r = eval(c, batch, row);
        if (r.has_value() && !*r) return false;
        if (!r) unknown = true;
      }
      if (unknown) return std::nullopt;
      return true;
    }
    case Filter::Kind::any_of: {
      bool unknown = false;
      for (const auto& c : f.children) {
        auto r = eval(c, batch, row);
        if (r.has_value() && *r) return true;
        if (!r) unknown = true;
      }
      if (unknown) return std::nullopt;
      return false;
    }
    case Filter::Kind::negate: {
      auto r = eval(f.children.at(0), batch, row);
      if (!r) return std::nullopt;
      return !*r;
    }
    case Filter::Kind::compare: break;
  }
  auto idx = batch.schema().index_of(f.column);
  if (!idx) batch.schema().field(f.column);  // throws not_found with the column list
  const Column& col = batch.column(*idx);
  const Field& field = batch.schema().fields[*idx];
  if (f.op == CompareOp::is_null) return col.is_null(row);
  if (f.op == CompareOp::is_not_null) return !col.is_null(row);
  if (col.is_null(row)) return std::nullopt;
  const Value cell = col.value_at(row);
  if (f.op == CompareOp::in) {
    bool unknown = false;
    for (const auto& v : f.values) {
      if (v.is_null()) {
        unknown = true;
        continue;
      }
      auto c = compare_values(cell, v, &field);
      if (c && *c == 0) return true;
    }
    if (unknown) return std::nullopt;
    return false;
  }
  if (f.values.empty() || f.values[0].is_null()) return std::nullopt;
  auto c = compare_values(cell, f.values[0], &field);
  if (!c) {
    if (f.op == CompareOp::eq) return false;
    if (f.op == CompareOp::ne) return true;
    throw Error(ErrorCode::type_mismatch,
                fmt::format("cannot compare column '{}' ({}) with {}", f.column,
                            to_string(col.type()), literal_text(f.values[0])));
  }
  switch (f.op) {
    case CompareOp::eq: return *c == 0;
    case CompareOp::ne: return *c != 0;
    case CompareOp::lt: return *c < 0;
    case CompareOp::le: return *c <= 0;
    case CompareOp::gt: return *c > 0;
    case CompareOp::ge: return *c >= 0;
    default: return std::nullopt;
  }
}

// ---- parsing ----------------------------------------------------------------

class FilterParser {
 public:
  explicit FilterParser(std::string_view text) : s_(text) {}

  Filter parse() {
    Filter f = parse_or();
    skip_ws();
    if (i_ < s_.size()) fail(fmt::format("unexpected '{}'", s_.substr(i_, 20)));
    return f;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(ErrorCode::invalid_argument,
                fmt::format("cannot parse filter '{}': {} (expected e.g. \"qty > 5 AND "
                            "status IN ('new', 'paid')\")",
                            s_, why));
  }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool keyword(std::string_view kw) {
    skip_ws();
    if (s_.size() - i_ < kw.size()) return false;
    for (size_t k = 0; k < kw.size(); ++k)
      if (std::toupper(static_cast<unsigned char>(s_[i_ + k])) != kw[k]) return false;
    size_t end = i_ + kw.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_'))
      return false;
    i_ = end;
    return true;
  }
  bool symbol(std::string_view sym) {
    skip_ws();
    if (s_.substr(i_, sym.size()) == sym) {
      i_ += sym.size();
      return true;
    }
    return false;
  }
  Filter parse_or() {
    std::vector<Filter> parts{parse_and()};
    while (keyword("OR")) parts.push_back(parse_and());
    return parts.size() == 1 ? std::move(parts[0]) : Filter::any_of(std::move(parts));
  }
  Filter parse_and() {
    std::vector<Filter> parts{parse_not()};
    while (keyword("AND")) parts.push_back(parse_not());
    return parts.size() == 1 ? std::move(parts[0]) : Filter::all_of(std::move(parts));
  }
  Filter parse_not() {
    // Each NOT and '(' is a level of recursion here and in every walk over
    // the tree: bound it, so that deep nesting is an error, not a stack overflow.
    if (keyword("NOT")) {
      nest();
      Filter f = Filter::negate(parse_not());
      --depth_;
      return f;
    }
    if (symbol("(")) {
      nest();
      Filter f = parse_or();
      if (!symbol(")")) fail("missing ')'");
      --depth_;
      return f;
    }
    return parse_comparison();
  }
  void nest() {
    if (++depth_ > kMaxDepth)
      fail(fmt::format("more than {} nested parentheses or NOTs", kMaxDepth));
  }
  std::string identifier() {
    skip_ws();
    if (i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '`')) {
      char q = s_[i_++];
      std::string out;
      while (i_ < s_.size()) {
        if (s_[i_] == q) {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == q) {
            out += q;
            i_ += 2;
            continue;
          }
          ++i_;
          return out;
        }
        out += s_[i_++];
      }
      fail("unterminated quoted column name");
    }
    size_t b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                              s_[i_] == '.' || static_cast<unsigned char>(s_[i_]) >= 0x80))
      ++i_;
    if (b == i_) fail("expected a column name");
    return std::string(s_.substr(b, i_ - b));
  }
  Value literal() {
    skip_ws();
    if (i_ >= s_.size()) fail("expected a value");
    if (s_[i_] == '\'') {
      ++i_;
      std::string out;
      while (i_ < s_.size()) {
        if (s_[i_] == '\'') {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == '\'') {
            out += '\'';
            i_ += 2;
            continue;
          }
          ++i_;
          return Value(std::move(out));
        }
        out += s_[i_++];
      }
      fail("unterminated string literal");
    }
    if (keyword("NULL")) return Value();
    if (keyword("TRUE")) return Value(true);
    if (keyword("FALSE")) return Value(false);
    size_t b = i_;
    if (s_[i_] == '-' || s_[i_] == '+') ++i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' ||
                              s_[i_] == 'e' || s_[i_] == 'E' ||
                              ((s_[i_] == '-' || s_[i_] == '+') &&
                               (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E'))))
      ++i_;
    std::string_view num = s_.substr(b, i_ - b);
    if (num.empty()) fail("expected a value");
    try {
      return parse_value(num, TypeId::int64);
    } catch (const Error&) {
    }
    if (num.find_first_of("eE") == std::string_view::npos) {
      try {
        return parse_value(num, TypeId::decimal);
      } catch (const Error&) {
      }
    }
    try {
      return parse_value(num, TypeId::float64);
    } catch (const Error&) {
      fail(fmt::format("'{}' is not a number", num));
    }
  }
  Filter parse_comparison() {
    std::string col = identifier();
    if (keyword("IS")) {
      bool neg = keyword("NOT");
      if (!keyword("NULL")) fail("expected NULL after IS");
      return Filter::is_null(col, neg);
    }
    bool neg_in = false;
    size_t save = i_;
    if (keyword("NOT")) {
      if (!keyword("IN")) {
        i_ = save;
        fail("expected IN after NOT");
      }
      neg_in = true;
    }
    if (neg_in || keyword("IN")) {
      if (!symbol("(")) fail("expected '(' after IN");
      std::vector<Value> vals{literal()};
      while (symbol(",")) vals.push_back(literal());
      if (!symbol(")")) fail("missing ')' after the IN list");
      Filter f = Filter::in(col, std::move(vals));
      return neg_in ? Filter::negate(std::move(f)) : f;
    }
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        {"<=", CompareOp::le}, {">=", CompareOp::ge}, {"<>", CompareOp::ne},
        {"!=", CompareOp::ne}, {"==", CompareOp::eq}, {"=", CompareOp::eq},
        {"<", CompareOp::lt},  {">", CompareOp::gt}};
    for (const auto& [sym, op] : kOps)
      if (symbol(sym)) return Filter::compare(col, op, literal());
    fail(fmt::format("expected a comparison after '{}'", col));
  }

  static constexpr int kMaxDepth = 100;
  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

std::string Filter::to_string() const {
  switch (kind) {
    case Kind::all_of:
    case Kind::any_of: {
      std::string out = "(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i) out += kind == Kind::all_of ? " AND " : " OR ";
        out += children[i].to_string();
      }
      return out + ")";
    }
    case Kind::negate: return "NOT " + children.at(0).to_string();
    case Kind::compare: break;
  }
  if (op == CompareOp::is_null || op == CompareOp::is_not_null)
    return fmt::format("{} {}", column, to_sql(op));
  if (op == CompareOp::in) {
    std::string out = column + " IN (";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + literal_text(values[i]);
    return out + ")";
  }
  return fmt::format("{} {} {}", column, to_sql(op),
                     values.empty() ? std::string("NULL") : literal_text(values[0]));
}

std::vector<std::string> Filter::columns() const {
  std::vector<std::string> out;
  collect_columns(*this, out);
  return out;
}

Filter parse_filter(std::string_view text) { return FilterParser(text).parse(); }

Batch apply_filter(const Filter& filter, const Batch& batch) {
  Batch out(batch.schema_ptr());
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    auto keep = eval(filter, batch, r);
    if (keep && *keep) {
      for (size_t c = 0; c < batch.num_columns(); ++c)
        out.column(c).append(batch.column(c).value_at(r));
      out.commit_row();
    }
  }
  return out;
}

}  // namespace polydb
