#include "connectors/firestore/query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "connectors/firestore/api.hpp"
#include "connectors/firestore/types.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// Firestore's limits on one query.
constexpr size_t kMaxIn = 30;         // values of an IN
constexpr size_t kMaxNotIn = 10;      // values of a NOT_IN
constexpr size_t kMaxDisjuncts = 30;  // disjunctions once the filter is in normal form

Json field_ref(std::string_view path) { return {{"fieldPath", path}}; }

Json field_filter(std::string_view path, std::string_view op, Json value) {
  return {{"fieldFilter", {{"field", field_ref(path)}, {"op", op}, {"value", std::move(value)}}}};
}

Json composite(std::string_view op, std::vector<Json> filters) {
  if (filters.size() == 1) return std::move(filters[0]);
  return {{"compositeFilter", {{"op", op}, {"filters", std::move(filters)}}}};
}

// What the pushed part of a filter already uses, for Firestore's
// per-query restrictions.
struct PushContext {
  std::string inequality_field;  // the one field with inequalities ("" none)
  bool disjunction = false;      // IN or OR used
  bool negative = false;         // != or NOT_IN used (one per query)
};

struct Pushed {
  Json filter;
  size_t disjuncts = 1;
};

CompareOp flip(CompareOp op) {
  switch (op) {
    case CompareOp::eq: return CompareOp::ne;
    case CompareOp::ne: return CompareOp::eq;
    case CompareOp::lt: return CompareOp::ge;
    case CompareOp::le: return CompareOp::gt;
    case CompareOp::gt: return CompareOp::le;
    case CompareOp::ge: return CompareOp::lt;
    case CompareOp::is_null: return CompareOp::is_not_null;
    case CompareOp::is_not_null: return CompareOp::is_null;
    default: return op;  // in: handled by the caller (NOT_IN)
  }
}

std::string_view op_name(CompareOp op) {
  switch (op) {
    case CompareOp::eq: return "EQUAL";
    case CompareOp::ne: return "NOT_EQUAL";
    case CompareOp::lt: return "LESS_THAN";
    case CompareOp::le: return "LESS_THAN_OR_EQUAL";
    case CompareOp::gt: return "GREATER_THAN";
    case CompareOp::ge: return "GREATER_THAN_OR_EQUAL";
    default: return "";
  }
}

bool is_numeric_native(std::string_view native) {
  return native == "integerValue" || native == "doubleValue" ||
         native == "integerValue|doubleValue" || native == "doubleValue|integerValue";
}

// A decimal literal ("100.5" from a --where) as a doubleValue when the
// double is exactly that number; nullopt otherwise (0.1 is not a double:
// Firestore and polydb would compare it differently).
std::optional<Json> exact_double(const Decimal& d) {
  double value = 0;
  try {
    value = coerce_value(Value(d), TypeId::float64).as<double>();
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!std::isfinite(value)) return std::nullopt;
  // Every double has a finite decimal expansion (at most 1074 fraction digits).
  std::string exact(1500, '\0');
  auto r = std::to_chars(exact.data(), exact.data() + exact.size(), value,
                         std::chars_format::fixed, 1074);
  exact.resize(static_cast<size_t>(r.ptr - exact.data()));
  auto trim = [](std::string t) {
    if (t.find('.') != std::string::npos) {
      while (t.back() == '0') t.pop_back();
      if (t.back() == '.') t.pop_back();
    }
    return t == "-0" ? std::string("0") : t;
  };
  if (trim(exact) != trim(d.text)) return std::nullopt;
  return from_value(Value(value));
}

// The Firestore literal for comparing `field` with `v` when Firestore's
// comparison agrees with polydb's, else nullopt (see build_scan_query).
std::optional<Json> literal(const Field& field, const Value& v) {
  if (v.is_null()) return std::nullopt;
  const std::string& native = field.native_type;
  if (native == "stringValue" && field.type.id == TypeId::string && v.holds<std::string>())
    return from_value(v);
  if (is_numeric_native(native) &&
      (field.type.id == TypeId::int64 || field.type.id == TypeId::float64)) {
    if (v.holds<int64_t>()) return from_value(v);
    if (v.holds<double>() && std::isfinite(v.as<double>())) return from_value(v);
    if (v.holds<Decimal>()) return exact_double(v.as<Decimal>());
  }
  if (native == "booleanValue" && v.holds<bool>()) return from_value(v);
  return std::nullopt;
}

class FilterPusher {
 public:
  FilterPusher(const Schema& full, std::string_view collection_name)
      : full_(full), collection_name_(collection_name) {}

  std::optional<Pushed> push(const Filter& f, bool negated, bool in_or, PushContext& ctx) const {
    switch (f.kind) {
      case Filter::Kind::negate:
        if (f.children.size() != 1) return std::nullopt;
        return push(f.children[0], !negated, in_or, ctx);
      case Filter::Kind::all_of:
      case Filter::Kind::any_of: {
        const bool is_or = (f.kind == Filter::Kind::any_of) != negated;
        if (f.children.empty() || (is_or && ctx.negative)) return std::nullopt;
        std::vector<Json> parts;
        size_t disjuncts = is_or ? 0 : 1;
        for (const auto& c : f.children) {
          auto p = push(c, negated, in_or || is_or, ctx);
          if (!p) return std::nullopt;
          disjuncts = is_or ? disjuncts + p->disjuncts : disjuncts * p->disjuncts;
          parts.push_back(std::move(p->filter));
        }
        if (disjuncts > kMaxDisjuncts) return std::nullopt;
        if (is_or) ctx.disjunction = true;
        return Pushed{composite(is_or ? "OR" : "AND", std::move(parts)), disjuncts};
      }
      case Filter::Kind::compare: return leaf(f, negated, in_or, ctx);
    }
    return std::nullopt;
  }

 private:
  std::optional<Pushed> id_leaf(const Filter& f, bool negated) const {
    if (negated || (f.op != CompareOp::eq && f.op != CompareOp::in)) return std::nullopt;
    if (f.values.empty() || f.values.size() > kMaxIn) return std::nullopt;
    Json refs = Json::array();
    for (const auto& v : f.values) {
      if (!v.holds<std::string>() || v.as<std::string>().empty() ||
          v.as<std::string>().find('/') != std::string::npos)
        return std::nullopt;
      refs.push_back({{"referenceValue", std::string(collection_name_) + "/" + v.as<std::string>()}});
    }
    if (f.op == CompareOp::eq)
      return Pushed{field_filter(kNameColumn, "EQUAL", std::move(refs[0])), 1};
    const size_t n = refs.size();
    return Pushed{field_filter(kNameColumn, "IN", {{"arrayValue", {{"values", std::move(refs)}}}}), n};
  }

  // Claims `path` as the query's one inequality field.
  static bool claim_inequality(PushContext& ctx, bool in_or, const std::string& path) {
    if (in_or || (!ctx.inequality_field.empty() && ctx.inequality_field != path)) return false;
    ctx.inequality_field = path;
    return true;
  }

  std::optional<Pushed> leaf(const Filter& f, bool negated, bool in_or, PushContext& ctx) const {
    if (f.column == kIdColumn) return id_leaf(f, negated);
    const auto idx = full_.index_of(f.column);
    if (!idx || full_.fields[*idx].name == kIdColumn) return std::nullopt;
    const Field& field = full_.fields[*idx];
    const std::string path = field_path(field.name);
    if (f.op == CompareOp::in) {
      if (f.values.empty() || f.values.size() > (negated ? kMaxNotIn : kMaxIn)) return std::nullopt;
      Json values = Json::array();
      for (const auto& v : f.values) {
        auto lit = literal(field, v);
        if (!lit) return std::nullopt;
        values.push_back(std::move(*lit));
      }
      const size_t n = values.size();
      Json array = {{"arrayValue", {{"values", std::move(values)}}}};
      if (!negated) {
        if (ctx.negative) return std::nullopt;
        ctx.disjunction = true;
        return Pushed{field_filter(path, "IN", std::move(array)), n};
      }
      if (ctx.negative || ctx.disjunction || !claim_inequality(ctx, in_or, path)) return std::nullopt;
      ctx.negative = true;
      return Pushed{field_filter(path, "NOT_IN", std::move(array)), 1};
    }
    const CompareOp op = negated ? flip(f.op) : f.op;
    if (op == CompareOp::is_null) return std::nullopt;  // Firestore skips missing fields
    if (op == CompareOp::is_not_null) {
      if (!claim_inequality(ctx, in_or, path)) return std::nullopt;
      return Pushed{{{"unaryFilter", {{"op", "IS_NOT_NULL"}, {"field", field_ref(path)}}}}, 1};
    }
    if (f.values.size() != 1) return std::nullopt;
    if (field.native_type == "timestampValue") return timestamp_leaf(op, f.values[0], path, in_or, ctx);
    auto lit = literal(field, f.values[0]);
    if (!lit) return std::nullopt;
    if (field.native_type == "booleanValue" && op != CompareOp::eq && op != CompareOp::ne)
      return std::nullopt;
    if (op != CompareOp::eq) {
      if (op == CompareOp::ne && (ctx.negative || ctx.disjunction)) return std::nullopt;
      if (!claim_inequality(ctx, in_or, path)) return std::nullopt;
      if (op == CompareOp::ne) ctx.negative = true;
    }
    return Pushed{field_filter(path, op_name(op), std::move(*lit)), 1};
  }

  // Firestore keeps nanoseconds, polydb reads microseconds (cut toward the
  // past): range bounds are shifted so that both select the same documents.
  static std::optional<Pushed> timestamp_leaf(CompareOp op, const Value& v, const std::string& path,
                                              bool in_or, PushContext& ctx) {
    int64_t micros = 0;
    if (v.holds<TimestampTz>()) micros = v.as<TimestampTz>().micros;
    else if (v.holds<Timestamp>()) micros = v.as<Timestamp>().micros;
    else return std::nullopt;
    std::string_view name;
    switch (op) {
      case CompareOp::lt: name = "LESS_THAN"; break;
      case CompareOp::le: name = "LESS_THAN", ++micros; break;
      case CompareOp::gt: name = "GREATER_THAN_OR_EQUAL", ++micros; break;
      case CompareOp::ge: name = "GREATER_THAN_OR_EQUAL"; break;
      default: return std::nullopt;
    }
    if (!claim_inequality(ctx, in_or, path)) return std::nullopt;
    return Pushed{field_filter(path, name, from_value(Value(TimestampTz{micros}))), 1};
  }

  const Schema& full_;
  std::string_view collection_name_;
};

void collect_inequalities(const Json& filter, std::set<std::string>& out) {
  if (!filter.is_object()) return;
  if (auto c = filter.find("compositeFilter"); c != filter.end()) {
    for (const auto& f : c->value("filters", Json::array())) collect_inequalities(f, out);
  } else if (auto ff = filter.find("fieldFilter"); ff != filter.end()) {
    static const std::set<std::string> kOps = {"LESS_THAN", "LESS_THAN_OR_EQUAL", "GREATER_THAN",
                                               "GREATER_THAN_OR_EQUAL", "NOT_EQUAL", "NOT_IN"};
    if (kOps.count(ff->value("op", ""))) out.insert((*ff)["field"].value("fieldPath", ""));
  } else if (auto u = filter.find("unaryFilter"); u != filter.end()) {
    const std::string op = u->value("op", "");
    if (op == "IS_NOT_NULL" || op == "IS_NOT_NAN") out.insert((*u)["field"].value("fieldPath", ""));
  }
}

[[noreturn]] void bad_query(std::string what, std::string detail = {}) {
  throw Error(ErrorCode::invalid_argument,
              what + " (Firestore queries are StructuredQuery JSON, not SQL, e.g. "
                     "{\"from\": [{\"collectionId\": \"users\"}], \"where\": {\"fieldFilter\": "
                     "{\"field\": {\"fieldPath\": \"age\"}, \"op\": \"GREATER_THAN\", \"value\": "
                     "{\"param\": 1}}}}; see docs/firestore.md)",
              "firestore", std::move(detail));
}

Json parse_object(std::string_view text, std::string_view what) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::exception& e) {
    bad_query(fmt::format("the {} is not JSON", what), e.what());
  }
  if (!doc.is_object()) bad_query(fmt::format("the {} must be a JSON object", what));
  return doc;
}

void substitute(Json& j, std::span<const Value> params) {
  if (j.is_object()) {
    if (j.size() == 1 && j.contains("param") && j["param"].is_number_integer()) {
      const int64_t n = j["param"].get<int64_t>();
      if (n < 1 || static_cast<uint64_t>(n) > params.size())
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("the query refers to {{\"param\": {}}} but {} parameter(s) were "
                                "given (parameters are numbered from 1)",
                                n, params.size()),
                    "firestore")
            .set_hint(Hint::bind_params);
      j = from_value(params[static_cast<size_t>(n - 1)]);
      return;
    }
    for (auto& [k, v] : j.items()) substitute(v, params);
  } else if (j.is_array()) {
    for (auto& v : j) substitute(v, params);
  }
}

// A document or collection path relative to the database: full resource
// names ("projects/p/databases/d/documents/users/u1") lose their prefix.
std::string relative_path(std::string path) {
  if (path.rfind("projects/", 0) == 0) {
    const auto pos = path.find("/documents");
    path = pos == std::string::npos ? "" : path.substr(std::min(path.size(), pos + 11));
  }
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  return path;
}

std::optional<uint64_t> take_number(Json& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end()) return std::nullopt;
  Json v = *it;
  q.erase(key);
  if (v.is_object() && v.contains("value")) v = v["value"];  // Int32Value wrapper
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    bad_query(fmt::format("\"{}\" must be a non-negative integer", key));
  return v.get<uint64_t>();
}

}  // namespace

CollectionPath parse_collection(std::string_view table) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    const size_t slash = table.find('/', start);
    segments.emplace_back(table.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  const bool empty_segment =
      std::any_of(segments.begin(), segments.end(), [](const auto& s) { return s.empty(); });
  if (empty_segment || segments.size() % 2 == 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("'{}' is not a collection path: write COLLECTION or "
                            "COLLECTION/DOCUMENT/SUBCOLLECTION (an odd number of non-empty "
                            "segments)",
                            table),
                "firestore");
  CollectionPath p;
  p.id = segments.back();
  for (size_t i = 0; i + 1 < segments.size(); ++i) p.parent += (i ? "/" : "") + segments[i];
  return p;
}

ScanQuery build_scan_query(const ScanSpec& spec, const Schema& full,
                           std::string_view collection_id, const std::vector<std::string>& select,
                           std::string_view collection_name) {
  ScanQuery out;
  Json& q = out.query;
  q["from"] = Json::array({{{"collectionId", collection_id}}});
  if (!select.empty()) {
    Json fields = Json::array();
    for (const auto& c : select)
      if (c != kIdColumn && c != kNameColumn) fields.push_back(field_ref(field_path(c)));
    if (fields.empty()) fields.push_back(field_ref(kNameColumn));
    q["select"] = {{"fields", std::move(fields)}};
  }
  // ORDER BY the document id is Firestore's own order; any other order is
  // sorted by polydb (Firestore drops documents that lack an ordered field).
  const bool order_by_id = spec.order_by.size() == 1 && spec.order_by[0].column == kIdColumn;
  PushContext ctx;
  // No other inequality: the order is on __name__, or a segment's range is.
  if (order_by_id || spec.partition.count > 1) ctx.inequality_field = std::string(kNameColumn);
  std::vector<Json> pushed;
  size_t disjuncts = 1;
  if (spec.filter) {
    const FilterPusher pusher(full, collection_name);
    const bool conjunction = spec.filter->kind == Filter::Kind::all_of;
    const std::vector<Filter> conjuncts =
        conjunction ? spec.filter->children : std::vector<Filter>{*spec.filter};
    for (const auto& c : conjuncts) {
      PushContext attempt = ctx;
      auto p = pusher.push(c, false, false, attempt);
      if (!p || disjuncts * p->disjuncts > kMaxDisjuncts) continue;
      ctx = attempt;
      disjuncts *= p->disjuncts;
      pushed.push_back(std::move(p->filter));
    }
    out.filter_pushed = !pushed.empty();
    out.filter_complete = pushed.size() == conjuncts.size();
  }
  if (!pushed.empty()) q["where"] = composite("AND", std::move(pushed));
  if (order_by_id) {
    q["orderBy"] = Json::array(
        {{{"field", field_ref(kNameColumn)},
          {"direction", spec.order_by[0].descending ? "DESCENDING" : "ASCENDING"}}});
    out.order_pushed = true;
  }
  complete_order(q);
  return out;
}

void restrict_names(Json& q, const KeySpan& names) {
  std::vector<Json> filters;
  if (auto w = q.find("where"); w != q.end()) {
    auto c = w->find("compositeFilter");
    if (c != w->end() && c->value("op", "") == "AND")
      for (auto& f : (*c)["filters"]) filters.push_back(std::move(f));
    else
      filters.push_back(std::move(*w));
  }
  if (names.from)
    filters.push_back(field_filter(kNameColumn, "GREATER_THAN_OR_EQUAL",
                                   {{"referenceValue", *names.from}}));
  if (names.to)
    filters.push_back(field_filter(kNameColumn, "LESS_THAN", {{"referenceValue", *names.to}}));
  if (filters.empty()) return;
  q["where"] = composite("AND", std::move(filters));
}

int compare_document_names(std::string_view a, std::string_view b) noexcept {
  // The id inside "__id<digits>__", or nullopt.
  auto numeric = [](std::string_view s) -> std::optional<int64_t> {
    if (s.size() < 7 || !s.starts_with("__id") || !s.ends_with("__")) return std::nullopt;
    const std::string_view digits = s.substr(4, s.size() - 6);
    int64_t n = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
    return n;
  };
  size_t pa = 0, pb = 0;
  while (pa < a.size() && pb < b.size()) {
    const size_t ea = std::min(a.find('/', pa), a.size());
    const size_t eb = std::min(b.find('/', pb), b.size());
    const std::string_view sa = a.substr(pa, ea - pa), sb = b.substr(pb, eb - pb);
    const auto na = numeric(sa), nb = numeric(sb);
    int c = 0;
    if (na && nb) c = *na < *nb ? -1 : (*nb < *na ? 1 : 0);
    else if (na || nb) c = na ? -1 : 1;
    else c = sa < sb ? -1 : (sb < sa ? 1 : 0);
    if (c != 0) return c;
    pa = ea + 1;
    pb = eb + 1;
  }
  // A path that ends first (an ancestor) comes first.
  const bool a_more = pa < a.size(), b_more = pb < b.size();
  return a_more == b_more ? 0 : (a_more ? 1 : -1);
}

std::vector<std::string> partition_boundaries(std::span<const Json> responses,
                                              std::string_view collection_name) {
  const std::string prefix = std::string(collection_name) + "/";
  std::vector<std::string> names;
  for (const auto& r : responses) {
    if (!r.is_object()) continue;
    for (const auto& cursor : r.value("partitions", Json::array())) {
      const Json values = cursor.is_object() ? cursor.value("values", Json::array()) : Json();
      if (!values.is_array() || values.empty() || !values[0].is_object()) continue;
      const Json& ref = values[0].value("referenceValue", Json());
      if (!ref.is_string()) continue;
      const std::string& name = ref.get_ref<const std::string&>();
      if (name.size() > prefix.size() && name.starts_with(prefix)) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end(), [](const std::string& x, const std::string& y) {
    return compare_document_names(x, y) < 0;
  });
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void complete_order(Json& q) {
  std::set<std::string> inequalities;
  if (auto w = q.find("where"); w != q.end()) collect_inequalities(*w, inequalities);
  Json order = q.value("orderBy", Json::array());
  std::set<std::string> ordered;
  for (const auto& o : order) ordered.insert(o["field"].value("fieldPath", ""));
  for (const auto& f : inequalities)
    if (!ordered.count(f) && f != kNameColumn)
      order.push_back({{"field", field_ref(f)}, {"direction", "ASCENDING"}});
  if (order.empty() || order.back()["field"].value("fieldPath", "") != kNameColumn) {
    const std::string dir = order.empty() ? "ASCENDING" : order.back().value("direction", "ASCENDING");
    order.push_back({{"field", field_ref(kNameColumn)}, {"direction", dir}});
  }
  q["orderBy"] = std::move(order);
}

const Json* lookup_field(const Json& document, std::string_view path) {
  auto fields = document.find("fields");
  if (fields == document.end()) return nullptr;
  const Json* map = &*fields;
  const Json* value = nullptr;
  size_t i = 0;
  while (i <= path.size()) {
    std::string segment;
    if (i < path.size() && path[i] == '`') {
      for (++i; i < path.size() && path[i] != '`'; ++i) {
        if (path[i] == '\\' && i + 1 < path.size()) ++i;
        segment += path[i];
      }
      ++i;  // closing backtick
    } else {
      while (i < path.size() && path[i] != '.') segment += path[i++];
    }
    if (!map) return nullptr;
    auto it = map->find(segment);
    if (it == map->end()) return nullptr;
    value = &*it;
    if (i >= path.size()) return value;
    ++i;  // '.'
    auto mv = value->find("mapValue");
    map = mv == value->end() ? nullptr : &*mv;
    if (map) {
      auto f = map->find("fields");
      map = f == map->end() ? nullptr : &*f;
    }
  }
  return value;
}

Json cursor_after(const Json& q, const Json& document) {
  Json values = Json::array();
  for (const auto& o : q.value("orderBy", Json::array())) {
    const std::string path = o["field"].value("fieldPath", "");
    if (path == kNameColumn) {
      values.push_back({{"referenceValue", document.value("name", "")}});
    } else {
      const Json* v = lookup_field(document, path);
      values.push_back(v ? *v : Json{{"nullValue", nullptr}});
    }
  }
  return {{"values", std::move(values)}, {"before", false}};
}

NativeQuery parse_native_query(std::string_view text, std::span<const Value> params) {
  Json doc = parse_object(text, "query");
  NativeQuery out;
  if (auto sq = doc.find("structuredQuery"); sq != doc.end()) {
    out.parent = doc.value("parent", "");
    out.query = *sq;
  } else {
    out.parent = doc.value("parent", "");
    doc.erase("parent");
    if (auto c = doc.find("collection"); c != doc.end() && c->is_string()) {
      const CollectionPath p = parse_collection(c->get<std::string>());
      doc["from"] = Json::array({{{"collectionId", p.id}}});
      out.parent = p.parent;
      doc.erase("collection");
    }
    out.query = std::move(doc);
  }
  if (!out.query.is_object() || !out.query.contains("from"))
    bad_query("the query has no \"from\" (or \"collection\")");
  out.parent = relative_path(out.parent);
  substitute(out.query, params);
  out.limit = take_number(out.query, "limit");
  out.offset = take_number(out.query, "offset").value_or(0);
  return out;
}

Json parse_native_writes(std::string_view text, std::span<const Value> params,
                         std::string_view root) {
  Json doc = parse_object(text, "statement");
  Json writes = doc.contains("writes") ? doc["writes"] : Json::array({doc});
  if (!writes.is_array() || writes.empty())
    bad_query("the statement needs \"writes\": [...] or one write (update/delete)");
  auto full = [&](const std::string& path) {
    return path.rfind("projects/", 0) == 0 ? path : std::string(root) + "/" + path;
  };
  for (auto& w : writes) {
    if (!w.is_object()) bad_query("each write must be a JSON object");
    if (auto u = w.find("update"); u != w.end() && u->is_object() && u->contains("name"))
      (*u)["name"] = full((*u)["name"].get<std::string>());
    else if (auto d = w.find("delete"); d != w.end() && d->is_string())
      *d = full(d->get<std::string>());
    else
      bad_query("a write is {\"update\": {\"name\": \"coll/id\", \"fields\": {...}}} or "
                "{\"delete\": \"coll/id\"}");
    substitute(w, params);
  }
  return {{"writes", std::move(writes)}};
}

}  // namespace polydb::firestore
