#include "connectors/dynamodb/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "connectors/common/document_schema.hpp"
#include "connectors/dynamodb/types.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "connectors/common/table_errors.hpp"
#include "net/aws_credentials.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// DescribeTable samples this many items to infer the attribute types.
constexpr int kSampleItems = 100;
// BatchGetItem takes at most 100 keys per call.
constexpr size_t kBatchGetMax = 100;
// CreateTable/DeleteTable are asynchronous: poll the status this long at most.
constexpr std::chrono::seconds kTableWait{300};

// Names and values of one expression: #n0.. and :v0.. placeholders, so that
// reserved words, dots and any character work in attribute names.
struct ExpressionParts {
  Json names = Json::object();
  Json values = Json::object();
  std::string name(const std::string& attribute) {
    for (auto it = names.begin(); it != names.end(); ++it)
      if (it.value() == attribute) return it.key();
    std::string ph = "#n" + std::to_string(names.size());
    names[ph] = attribute;
    return ph;
  }
  std::string value(Json av) {
    std::string ph = ":v" + std::to_string(values.size());
    values[ph] = std::move(av);
    return ph;
  }
};

// The attribute value of a filter literal when DynamoDB compares it exactly
// as polydb does: same attribute type as every item's attribute (a column
// inferred as pure "S"/"N", or a key), otherwise nullopt (filtered locally only).
std::optional<Json> comparable_literal(const Field& field, const Value& v, CompareOp op) {
  if (v.is_null()) return std::nullopt;
  if (field.native_type == "S" && field.type.id == TypeId::string &&
      v.type_id() == TypeId::string)
    return value_to_av(v);
  if (field.native_type == "N" &&
      (field.type.id == TypeId::int64 || field.type.id == TypeId::decimal ||
       field.type.id == TypeId::float64)) {
    if (v.type_id() == TypeId::int64 || v.type_id() == TypeId::decimal) return value_to_av(v);
    if (v.type_id() == TypeId::float64 && std::isfinite(v.as<double>())) return value_to_av(v);
  }
  if (field.native_type == "BOOL" && v.type_id() == TypeId::boolean &&
      (op == CompareOp::eq || op == CompareOp::ne))
    return value_to_av(v);
  return std::nullopt;
}

std::string_view op_text(CompareOp op) {
  switch (op) {
    case CompareOp::eq: return "=";
    case CompareOp::ne: return "<>";
    case CompareOp::lt: return "<";
    case CompareOp::le: return "<=";
    case CompareOp::gt: return ">";
    case CompareOp::ge: return ">=";
    default: return "";
  }
}

std::optional<std::string> to_expression(const Filter& f, const Schema& schema,
                                         ExpressionParts& parts) {
  switch (f.kind) {
    case Filter::Kind::all_of:
    case Filter::Kind::any_of: {
      if (f.children.empty()) return std::nullopt;
      std::string out = "(";
      for (size_t i = 0; i < f.children.size(); ++i) {
        auto part = to_expression(f.children[i], schema, parts);
        if (!part) return std::nullopt;
        if (i) out += f.kind == Filter::Kind::all_of ? " AND " : " OR ";
        out += *part;
      }
      return out + ")";
    }
    case Filter::Kind::negate: return std::nullopt;  // DynamoDB's NOT differs on missing/mistyped
    case Filter::Kind::compare: break;
  }
  const auto idx = schema.index_of(f.column);
  if (!idx) return std::nullopt;
  const Field& field = schema.fields[*idx];
  const std::string n = parts.name(field.name);
  // polydb's IS NULL: the attribute is missing or of type NULL.
  if (f.op == CompareOp::is_null)
    return fmt::format("(attribute_not_exists({0}) OR attribute_type({0}, {1}))", n,
                       parts.value({{"S", "NULL"}}));
  if (f.op == CompareOp::is_not_null)
    return fmt::format("(attribute_exists({0}) AND NOT attribute_type({0}, {1}))", n,
                       parts.value({{"S", "NULL"}}));
  std::vector<Json> literals;
  for (const auto& v : f.values) {
    auto av = comparable_literal(field, v, f.op);
    if (!av) return std::nullopt;
    literals.push_back(std::move(*av));
  }
  if (f.op == CompareOp::in) {
    if (literals.empty() || literals.size() > 100) return std::nullopt;
    std::string out = n + " IN (";
    for (size_t i = 0; i < literals.size(); ++i)
      out += (i ? ", " : "") + parts.value(std::move(literals[i]));
    return out + ")";
  }
  if (literals.size() != 1) return std::nullopt;
  return fmt::format("{} {} {}", n, op_text(f.op), parts.value(std::move(literals[0])));
}

// The attribute value of `v` as a key of attribute type `type` ("S", "N",
// "B"), when it is one.
std::optional<Json> key_value(const Value& v, const std::string& type) {
  if (v.is_null()) return std::nullopt;
  if (type == "N" && v.type_id() != TypeId::int64 && v.type_id() != TypeId::decimal)
    return std::nullopt;
  if (type == "S" && v.type_id() != TypeId::string) return std::nullopt;
  if (type == "B" && v.type_id() != TypeId::bytes) return std::nullopt;
  return value_to_av(v);
}

// A key condition term: `column op literal` on a key attribute with a literal of its type.
std::optional<Json> key_literal(const Filter& f, const std::string& key, const std::string& type) {
  if (f.kind != Filter::Kind::compare || f.column != key || f.values.size() != 1 ||
      f.op == CompareOp::ne || f.op == CompareOp::in || f.op == CompareOp::is_null ||
      f.op == CompareOp::is_not_null)
    return std::nullopt;
  return key_value(f.values[0], type);
}

// The distinct partition keys of `hash IN (...)`, in the order given, when
// every literal is a key of the partition key's type. Numbers are compared by
// value (1 and 1.0 are one key: BatchGetItem refuses duplicates).
std::optional<std::vector<Json>> key_list(const Filter& f, const KeySchema& keys) {
  if (f.kind != Filter::Kind::compare || f.column != keys.hash || f.op != CompareOp::in ||
      f.values.empty())
    return std::nullopt;
  auto less = [](const Value& a, const Value& b) { return compare_values(a, b) < 0; };
  std::set<Value, decltype(less)> seen(less);
  std::vector<Json> out;
  for (const Value& v : f.values) {
    auto av = key_value(v, keys.hash_type);
    if (!av) return std::nullopt;
    if (seen.insert(v).second) out.push_back(std::move(*av));
  }
  return out;
}

// Where the filter fixes the partition key: `hash = literal` (one Query) or
// `hash IN (literals)` (a key list). Equality wins: one partition is cheaper.
struct HashTerm {
  size_t conjunct = 0;
  std::vector<Json> values;  // distinct attribute values
  bool list = false;
};

std::optional<HashTerm> find_hash_term(const std::vector<Filter>& conjuncts,
                                       const KeySchema& keys) {
  for (size_t i = 0; i < conjuncts.size(); ++i)
    if (conjuncts[i].op == CompareOp::eq)
      if (auto av = key_literal(conjuncts[i], keys.hash, keys.hash_type))
        return HashTerm{i, {std::move(*av)}, false};
  for (size_t i = 0; i < conjuncts.size(); ++i)
    if (auto values = key_list(conjuncts[i], keys)) return HashTerm{i, std::move(*values), true};
  return std::nullopt;
}

// The first unused `range = literal` conjunct.
std::optional<size_t> range_equality(const std::vector<Filter>& conjuncts,
                                     const std::vector<bool>& used, const KeySchema& keys) {
  if (keys.range.empty()) return std::nullopt;
  for (size_t i = 0; i < conjuncts.size(); ++i)
    if (!used[i] && conjuncts[i].op == CompareOp::eq &&
        key_literal(conjuncts[i], keys.range, keys.range_type))
      return i;
  return std::nullopt;
}

// The sort key part of a key condition (" AND #n1 = :v1", " AND #n1 BETWEEN
// :v1 AND :v2", ...), marking the conjuncts it uses; "" without one.
std::string range_condition(const std::vector<Filter>& conjuncts, const KeySchema& keys,
                            ExpressionParts& parts, std::vector<bool>& used) {
  if (keys.range.empty()) return "";
  std::optional<size_t> lower, upper;
  const std::optional<size_t> exact = range_equality(conjuncts, used, keys);
  for (size_t i = 0; i < conjuncts.size(); ++i) {
    if (used[i] || !key_literal(conjuncts[i], keys.range, keys.range_type)) continue;
    const CompareOp op = conjuncts[i].op;
    if ((op == CompareOp::ge || op == CompareOp::gt) && !lower) lower = i;
    else if ((op == CompareOp::le || op == CompareOp::lt) && !upper) upper = i;
  }
  auto value = [&](size_t i) {
    used[i] = true;
    return parts.value(*key_literal(conjuncts[i], keys.range, keys.range_type));
  };
  if (!exact && !lower && !upper) return "";
  const std::string r = parts.name(keys.range);
  auto term = [&](size_t i) {
    const std::string v = value(i);
    return fmt::format(" AND {} {} {}", r, op_text(conjuncts[i].op), v);
  };
  if (exact) return term(*exact);
  if (lower && upper && conjuncts[*lower].op == CompareOp::ge &&
      conjuncts[*upper].op == CompareOp::le) {
    const std::string lo = value(*lower);
    const std::string hi = value(*upper);
    return fmt::format(" AND {} BETWEEN {} AND {}", r, lo, hi);
  }
  return term(lower ? *lower : *upper);
}

// Adds the unused conjuncts DynamoDB evaluates exactly as FilterExpression (a
// Query's may not name key attributes); true when there was any.
bool add_filter_expression(Json& body, bool query, const std::vector<Filter>& conjuncts,
                           const std::vector<bool>& used, const Schema& schema,
                           const KeySchema& keys, ExpressionParts& parts) {
  std::string expr;
  for (size_t i = 0; i < conjuncts.size(); ++i) {
    if (used[i]) continue;
    if (query) {
      const auto cols = conjuncts[i].columns();
      if (std::any_of(cols.begin(), cols.end(),
                      [&](const auto& c) { return c == keys.hash || c == keys.range; }))
        continue;
    }
    ExpressionParts attempt = parts;
    if (auto e = to_expression(conjuncts[i], schema, attempt)) {
      parts = std::move(attempt);
      expr += (expr.empty() ? "" : " AND ") + *e;
    }
  }
  if (!expr.empty()) body["FilterExpression"] = expr;
  return !expr.empty();
}

// ProjectionExpression for `columns` (none when empty: every attribute),
// then the expression's names and values.
void add_projection_and_parts(Json& body, const std::vector<std::string>& columns,
                              ExpressionParts& parts) {
  if (!columns.empty()) {
    std::string proj;
    for (const auto& c : columns) proj += (proj.empty() ? "" : ", ") + parts.name(c);
    body["ProjectionExpression"] = proj;
  }
  if (!parts.names.empty()) body["ExpressionAttributeNames"] = parts.names;
  if (!parts.values.empty()) body["ExpressionAttributeValues"] = parts.values;
}

// One BatchGetItem per 100 keys (the service's limit): each distinct
// partition key, with `range` as the sort key when the table has one.
ScanRequest batch_get_request(const std::string& table, const std::vector<Json>& hashes,
                              const std::optional<Json>& range, const KeySchema& keys,
                              const std::vector<std::string>& read_columns) {
  ScanRequest req;
  req.operation = "BatchGetItem";
  req.keys = hashes.size();
  req.filter_pushed = true;
  ExpressionParts parts;
  Json options = Json::object();  // BatchGetItem takes names, but no values
  add_projection_and_parts(options, read_columns, parts);
  for (size_t first = 0; first < hashes.size(); first += kBatchGetMax) {
    Json request = {{"Keys", Json::array()}};
    const size_t end = std::min(hashes.size(), first + kBatchGetMax);
    for (size_t i = first; i < end; ++i) {
      Json key = {{keys.hash, hashes[i]}};
      if (range) key[keys.range] = *range;
      request["Keys"].push_back(std::move(key));
    }
    request.update(options);
    Json body;
    body["RequestItems"][table] = std::move(request);
    req.calls.push_back(std::move(body));
  }
  return req;
}

std::vector<Filter> top_conjuncts(const std::optional<Filter>& filter) {
  if (!filter) return {};
  return filter->kind == Filter::Kind::all_of ? filter->children : std::vector<Filter>{*filter};
}

std::string plural(size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

Field key_field(const std::string& name, const std::string& type) {
  Field f;
  f.name = name;
  f.nullable = false;
  f.native_type = type;
  f.type = type == "N" ? Type(TypeId::decimal) : type == "B" ? Type(TypeId::bytes)
                                                             : Type(TypeId::string);
  return f;
}

}  // namespace

std::string ScanRequest::describe() const {
  const Json& first = calls.front();
  if (operation == "BatchGetItem") {
    const auto table = first.at("RequestItems").begin();
    Json options = table.value();
    options.erase("Keys");
    return fmt::format("BatchGetItem {} ({} in {}){}", table.key(), plural(keys, "key"),
                       plural(calls.size(), "request"),
                       options.empty() ? "" : " " + options.dump());
  }
  if (keys > 0) return fmt::format("Query x {} {}", plural(keys, "key"), first.dump());
  return operation + " " + first.dump();
}

ScanRequest build_scan_request(const ScanSpec& spec, const Schema& schema, const KeySchema& keys,
                               const std::vector<std::string>& read_columns) {
  const std::vector<Filter> conjuncts = top_conjuncts(spec.filter);
  std::vector<bool> used(conjuncts.size(), false);
  // A fixed partition key turns the Scan into Queries or key lookups (one
  // partition read instead of the whole table). Parallel scans stay Scans.
  const std::optional<HashTerm> hash =
      spec.partition.count <= 1 ? find_hash_term(conjuncts, keys) : std::nullopt;
  if (hash) used[hash->conjunct] = true;
  if (hash && hash->list) {
    const auto range_eq = range_equality(conjuncts, used, keys);
    if (keys.range.empty() || range_eq) {
      std::optional<Json> range;
      if (range_eq) range = key_literal(conjuncts[*range_eq], keys.range, keys.range_type);
      return batch_get_request(spec.table, hash->values, range, keys, read_columns);
    }
  }
  ScanRequest req;
  ExpressionParts parts;
  Json body = {{"TableName", spec.table}};
  std::string hash_ph;
  if (hash) {
    req.operation = "Query";
    hash_ph = parts.value(hash->values.front());
    const std::string cond = parts.name(keys.hash) + " = " + hash_ph;
    body["KeyConditionExpression"] = cond + range_condition(conjuncts, keys, parts, used);
  } else {
    req.operation = "Scan";
    if (spec.partition.count > 1) {
      body["Segment"] = spec.partition.index;
      body["TotalSegments"] = spec.partition.count;
    }
  }
  const bool filtered =
      add_filter_expression(body, hash.has_value(), conjuncts, used, schema, keys, parts);
  req.filter_pushed = filtered || hash.has_value();
  add_projection_and_parts(body, read_columns, parts);
  if (!hash || !hash->list) {
    req.calls.push_back(std::move(body));
    return req;
  }
  // A key list on a table with a sort key and no sort key equality: one
  // Query per partition key, alike but for the key's value.
  req.keys = hash->values.size();
  for (const Json& v : hash->values) {
    req.calls.push_back(body);
    req.calls.back()["ExpressionAttributeValues"][hash_ph] = v;
  }
  return req;
}

DynamoOptions dynamo_options_from_uri(const Uri& uri) {
  DynamoOptions o;
  if (auto v = uri.option("consistent-read")) {
    std::string t = *v;
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t == "true" || t == "1" || t == "yes" || t == "on")
      o.consistent_read = true;
    else if (!(t == "false" || t == "0" || t == "no" || t == "off"))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("consistent-read={} in {} is not true or false", *v, uri.to_string()),
                  "dynamodb");
  }
  if (auto v = uri.option("write-concurrency")) {
    unsigned n = 0;
    const auto r = std::from_chars(v->data(), v->data() + v->size(), n);
    if (r.ec != std::errc{} || r.ptr != v->data() + v->size() || n < 1 || n > 32)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("write-concurrency={} is not a number from 1 to 32", *v), "dynamodb");
    o.write_concurrency = n;
  }
  const std::string sets = uri.option("sets").value_or("");
  for (size_t i = 0; i < sets.size();) {
    const size_t end = std::min(sets.find(',', i), sets.size());
    const std::string item = sets.substr(i, end - i);
    i = end + 1;
    if (item.empty()) continue;
    const auto colon = item.rfind(':');
    const std::string name = item.substr(0, colon);
    const std::string type = colon == std::string::npos ? "" : item.substr(colon + 1);
    const SetType t = type.empty()   ? SetType::infer
                      : type == "SS" ? SetType::SS
                      : type == "NS" ? SetType::NS
                      : type == "BS" ? SetType::BS
                                     : SetType::infer;
    if (name.empty() || (!type.empty() && t == SetType::infer))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("sets={}: '{}' is not COLUMN or COLUMN:SS|NS|BS", sets, item),
                  "dynamodb");
    o.sets.emplace_back(name, t);
  }
  return o;
}

void apply_consistent_read(Json& body, const KeySchema& keys, bool by_option) {
  if (auto items = body.find("RequestItems"); items != body.end() && items->is_object()) {
    // BatchGetItem: per table; keys are read from the table, never an index.
    for (auto& request : *items)
      if (by_option && !request.contains("ConsistentRead")) request["ConsistentRead"] = true;
    return;
  }
  auto it = body.find("ConsistentRead");
  if (it == body.end() && by_option) it = body.emplace("ConsistentRead", true).first;
  if (it == body.end() || !it->is_boolean() || !it->get<bool>()) return;
  auto index = body.find("IndexName");
  if (index == body.end() || !index->is_string()) return;
  const std::string name = index->get<std::string>();
  if (std::find(keys.global_indexes.begin(), keys.global_indexes.end(), name) !=
      keys.global_indexes.end())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("'{}' is a global secondary index, where DynamoDB has no consistent "
                            "reads (drop consistent-read=true from the URL or ConsistentRead "
                            "from the request, or read the table or a local index)",
                            name),
                "dynamodb");
}

Schema infer_schema(const std::vector<const Json*>& items, const KeySchema& keys) {
  DocumentSchemaBuilder b({.prefix = "inferred:", .no_kind = "NULL"});
  for (const std::string* k : {&keys.hash, &keys.range})
    if (!k->empty()) b.lead(*k);
  // DynamoDB items have no column order: take the order of the fullest item
  // (the order it was written in, when the server keeps it), then newcomers.
  std::vector<size_t> sizes;
  for (const Json* item : items) sizes.push_back(item->size());
  for (size_t i : fullest_first(sizes))
    for (auto it = items[i]->begin(); it != items[i]->end(); ++it) {
      const std::string_view kind = av_kind(it.value());
      std::optional<SampleKind> k;
      std::string_view text;
      if (kind == "S") k = SampleKind::text, text = it.value().begin().value().get_ref<const std::string&>();
      else if (kind == "N")
        k = av_to_value(it.value()).type_id() == TypeId::int64 ? SampleKind::integer
                                                               : SampleKind::decimal;
      else if (kind == "B") k = SampleKind::bytes;
      else if (kind == "BOOL") k = SampleKind::boolean;
      else if (kind != "NULL") k = SampleKind::nested;
      b.add(it.key(), k, kind, text);
    }
  Schema schema = b.finish();
  for (const std::string* k : {&keys.hash, &keys.range}) {
    if (k->empty()) continue;
    schema.primary_key.push_back(*k);
    Field& f = schema.fields[*schema.index_of(*k)];
    f.nullable = false;
    if (f.native_type == "NULL") {
      // A key of an empty table: its declared type.
      Field kf = key_field(*k, *k == keys.hash ? keys.hash_type : keys.range_type);
      f.type = kf.type == Type(TypeId::decimal) ? Type(TypeId::int64) : kf.type;
      f.native_type = kf.native_type;
    }
  }
  return schema;
}

DynamoConnection::DynamoConnection(const Uri& uri, const ConnectOptions& options)
    : api_(endpoint_from_uri(uri),
           net::resolve_aws_credentials(net::aws_options_from_uri(uri)),
           net::connection_http_options(uri, options, "dynamodb"),
           net::RetryPolicy{}),
      options_(dynamo_options_from_uri(uri)),
      connect_options_(options) {
  connect_options_.config = nullptr;  // the URL is already resolved
  display_ = uri.to_string();
  logger("dynamodb")->info("opened {} ({})", display_, api_.endpoint().url);
}

Capabilities DynamoConnection::capabilities() const {
  Capabilities c;
  c.bulk_write = true;
  c.filter_pushdown = true;  // partly: key conditions and FilterExpression, re-checked locally
  // Parallel Scan segments, each on a connection of its own. DynamoDB has no
  // snapshots: one Scan shows each page as it is when read, and N segments
  // give the same guarantee, no more (shared_snapshot stays false).
  c.partitioned_scan = true;
  c.resume_points = true;  // ExclusiveStartKey: the key of the last item read
  // replace deletes the table's items, then writes (atomic_replace false).
  c.change_writes = true;
  return c;
}

std::vector<TableInfo> DynamoConnection::list_tables() {
  std::vector<TableInfo> out;
  Json body = Json::object();
  for (;;) {
    const Json r = api_.call("ListTables", body, "DynamoDB ListTables");
    for (const auto& n : r.value("TableNames", Json::array()))
      out.push_back({n.get<std::string>(), "table"});
    auto last = r.find("LastEvaluatedTableName");
    if (last == r.end() || last->is_null()) break;
    body["ExclusiveStartTableName"] = *last;
  }
  return out;
}

Json DynamoConnection::describe_table(std::string_view table) {
  try {
    Json r = api_.call("DescribeTable", {{"TableName", table}},
                       fmt::format("DynamoDB DescribeTable on {}", table));
    return std::move(r.at("Table"));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::not_found) throw;
    const Error missing = no_table_error(table, display_, "dynamodb");
    throw e.with_message(missing.message()).set_hint(missing.hint());
  }
}

KeySchema DynamoConnection::key_schema(std::string_view table) {
  const Json t = describe_table(table);
  KeySchema k;
  std::map<std::string, std::string> types;
  for (const auto& d : t.value("AttributeDefinitions", Json::array()))
    types[d.at("AttributeName").get<std::string>()] = d.at("AttributeType").get<std::string>();
  for (const auto& e : t.value("KeySchema", Json::array())) {
    const std::string name = e.at("AttributeName").get<std::string>();
    if (e.at("KeyType") == "HASH") k.hash = name, k.hash_type = types[name];
    else k.range = name, k.range_type = types[name];
  }
  for (const auto& g : t.value("GlobalSecondaryIndexes", Json::array()))
    k.global_indexes.push_back(g.at("IndexName").get<std::string>());
  return k;
}

bool DynamoConnection::exists(std::string_view table) {
  try {
    key_schema(table);
    return true;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::not_found) return false;
    throw;
  }
}

Schema DynamoConnection::describe(std::string_view table) {
  const KeySchema keys = key_schema(table);
  Json body = {{"TableName", table}, {"Limit", kSampleItems}};
  apply_consistent_read(body, keys, options_.consistent_read);
  const Json r = api_.call("Scan", body, fmt::format("DynamoDB Scan (sample) on {}", table));
  std::vector<const Json*> items;
  const Json& all = r.at("Items");
  for (const auto& item : all) items.push_back(&item);
  return infer_schema(items, keys);
}

std::unique_ptr<BatchReader> DynamoConnection::scan(const ScanSpec& spec) {
  const KeySchema keys = key_schema(spec.table);
  const Schema full = describe(spec.table);
  Schema output;
  if (spec.columns.empty()) {
    output = full;
  } else {
    for (const auto& c : spec.columns) output.fields.push_back(full.field(c));
    for (const auto& k : full.primary_key)
      for (const auto& f : output.fields)
        if (f.name == k) output.primary_key.push_back(k);
  }
  const DocumentColumns columns = document_columns(
      spec, std::move(output), [&](const std::string& c) { return full.field(c); });
  // A resume point names the last item read by its key: read the key
  // attributes even when the columns asked for leave them out.
  std::vector<std::string> select = columns.select;
  for (const std::string* k : {&keys.hash, &keys.range})
    if (!select.empty() && !k->empty() && std::find(select.begin(), select.end(), *k) == select.end())
      select.push_back(*k);
  ScanRequest req = build_scan_request(spec, full, keys, select);
  for (Json& call : req.calls) apply_consistent_read(call, keys, options_.consistent_read);

  ReaderSetup setup;
  setup.operation = req.operation;
  setup.plan.native = req.describe();
  // The key list, key condition or FilterExpression; re-checked locally.
  setup.plan.filter_pushed = req.keys > 0 || req.filter_pushed;
  setup.calls = std::move(req.calls);
  setup.what = fmt::format("DynamoDB {} on {}", req.operation, spec.table);
  take_scan(setup, spec, columns, full);
  setup.keys = keys;
  return make_reader(*this, std::move(setup));
}

namespace {

Json parse_request(std::string_view text, std::span<const Value> params) {
  Json body;
  try {
    body = Json::parse(text);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::invalid_argument,
                "DynamoDB queries are DynamoDB API requests in JSON, e.g. {\"TableName\": \"t\", "
                "\"KeyConditionExpression\": \"pk = :p1\"} with the parameter values bound to "
                ":p1, :p2, ...",
                "dynamodb", e.what())
        .set_hint(Hint::bind_params);
  }
  if (!body.is_object() || !body.contains("TableName") || !body["TableName"].is_string())
    throw Error(ErrorCode::invalid_argument,
                "a DynamoDB request must be a JSON object with a \"TableName\"", "dynamodb");
  // Parameters are values only: they are bound as :p1, :p2 ... and never
  // spliced into expression text.
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string ph = ":p" + std::to_string(i + 1);
    Json& values = body["ExpressionAttributeValues"];
    if (values.is_null()) values = Json::object();
    if (values.contains(ph))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} is given both in ExpressionAttributeValues and as parameter {}",
                              ph, i + 1),
                  "dynamodb");
    values[ph] = value_to_av(params[i]);
  }
  return body;
}

std::string take_operation(Json& body) {
  std::string op;
  if (auto it = body.find("Operation"); it != body.end()) {
    op = it->get<std::string>();
    body.erase("Operation");
  }
  return op;
}

}  // namespace

std::unique_ptr<BatchReader> DynamoConnection::query(std::string_view text,
                                                     std::span<const Value> params,
                                                     const QueryOptions& options) {
  Json body = parse_request(text, params);
  std::string op = take_operation(body);
  if (op.empty()) op = body.contains("KeyConditionExpression") ? "Query" : "Scan";
  if (op != "Query" && op != "Scan")
    throw Error(ErrorCode::invalid_argument,
                fmt::format("query() runs Query and Scan requests, not {} (use execute())", op),
                "dynamodb");
  const std::string table = body["TableName"].get<std::string>();
  ReaderSetup setup;
  setup.keys = key_schema(table);
  apply_consistent_read(body, setup.keys, options_.consistent_read);
  setup.operation = op;
  setup.what = fmt::format("DynamoDB {} on {}", op, table);
  if (auto l = body.find("Limit"); l != body.end() && l->is_number_unsigned()) {
    setup.limit = l->get<uint64_t>();
    setup.page_limit = false;
  }
  setup.plan.native = op + " " + body.dump();
  setup.calls.push_back(std::move(body));
  setup.batch_rows = std::max<size_t>(1, options.batch_rows);
  setup.batch_bytes = options.batch_bytes;
  return make_reader(*this, std::move(setup));
}

uint64_t DynamoConnection::execute(std::string_view text, std::span<const Value> params) {
  Json body = parse_request(text, params);
  std::string op = take_operation(body);
  if (op.empty())
    op = body.contains("Item")               ? "PutItem"
         : body.contains("UpdateExpression") ? "UpdateItem"
         : body.contains("Key")              ? "DeleteItem"
                                             : "";
  const std::string table = body["TableName"].get<std::string>();
  if (body.contains("ExpressionAttributeValues") && body["ExpressionAttributeValues"].empty())
    body.erase("ExpressionAttributeValues");
  if (op == "PutItem" || op == "UpdateItem") {
    api_.call(op, body, fmt::format("DynamoDB {} on {}", op, table));
    return 1;
  }
  if (op == "DeleteItem") {
    if (!body.contains("ReturnValues")) body["ReturnValues"] = "ALL_OLD";
    const Json r = api_.call(op, body, fmt::format("DynamoDB DeleteItem on {}", table));
    auto a = r.find("Attributes");
    return a != r.end() && !a->empty() ? 1 : 0;
  }
  throw Error(ErrorCode::invalid_argument,
              fmt::format("execute() runs PutItem, UpdateItem and DeleteItem requests{} (set "
                          "\"Operation\" or give Item / UpdateExpression / Key)",
                          op.empty() ? "" : ", not " + op),
              "dynamodb");
}

std::unique_ptr<BatchWriter> DynamoConnection::writer(std::string_view table,
                                                      const Schema& schema,
                                                      const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> DynamoConnection::change_writer(std::string_view table,
                                                              const Schema& schema,
                                                              const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

void DynamoConnection::create_table(std::string_view table, const Schema& schema) {
  if (schema.primary_key.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a DynamoDB table needs a key: '{}' has no primary key (name the key "
                            "columns: partition, then optionally sort)",
                            table),
                "dynamodb")
        .set_hint(Hint::key_columns);
  if (schema.primary_key.size() > 2)
    throw Error(ErrorCode::unsupported,
                fmt::format("DynamoDB keys have at most two attributes (partition and sort); "
                            "'{}' has {} (name the key columns: partition, then optionally "
                            "sort)",
                            table, schema.primary_key.size()),
                "dynamodb")
        .set_hint(Hint::key_columns);
  Json defs = Json::array(), key_schema_json = Json::array();
  for (size_t i = 0; i < schema.primary_key.size(); ++i) {
    const Field& f = schema.field(schema.primary_key[i]);
    defs.push_back({{"AttributeName", f.name}, {"AttributeType", key_attribute_type(f.type, f.name)}});
    key_schema_json.push_back({{"AttributeName", f.name}, {"KeyType", i == 0 ? "HASH" : "RANGE"}});
  }
  try {
    api_.call("CreateTable",
              {{"TableName", table},
               {"AttributeDefinitions", defs},
               {"KeySchema", key_schema_json},
               {"BillingMode", "PAY_PER_REQUEST"}},
              fmt::format("DynamoDB CreateTable {}", table));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::conflict) throw;
    throw table_exists_error(table, display_, "dynamodb", e.detail());
  }
  // Tables are CREATING for a while: wait for ACTIVE before writing.
  const auto deadline = std::chrono::steady_clock::now() + kTableWait;
  auto delay = std::chrono::milliseconds(20);
  for (;;) {
    const Json r = api_.call("DescribeTable", {{"TableName", table}},
                             fmt::format("DynamoDB DescribeTable on {}", table));
    if (r.at("Table").value("TableStatus", "") == "ACTIVE") break;
    if (std::chrono::steady_clock::now() + delay > deadline)
      throw Error(ErrorCode::timeout,
                  fmt::format("table '{}' was created but is not ACTIVE after {} s (check it "
                              "with `aws dynamodb describe-table`)",
                              table, kTableWait.count()),
                  "dynamodb");
    if (!sleep_unless_stopped(delay, connect_options_.stop))
      throw stop_requested_error("dynamodb", display_);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
  logger("dynamodb")->info("created table {}", table);
}

void DynamoConnection::drop_table(std::string_view table, bool if_exists) {
  try {
    api_.call("DeleteTable", {{"TableName", table}}, fmt::format("DynamoDB DeleteTable {}", table));
  } catch (const Error& e) {
    if (e.code() != ErrorCode::not_found) throw;
    if (if_exists) return;
    throw e.with_message(fmt::format("no table '{}' in {} to drop", table, display_));
  }
  // DELETING tables keep their name: wait until it is free again.
  const auto deadline = std::chrono::steady_clock::now() + kTableWait;
  auto delay = std::chrono::milliseconds(20);
  while (exists(table)) {
    if (std::chrono::steady_clock::now() + delay > deadline)
      throw Error(ErrorCode::timeout,
                  fmt::format("table '{}' is still being deleted after {} s", table,
                              kTableWait.count()),
                  "dynamodb");
    if (!sleep_unless_stopped(delay, connect_options_.stop))
      throw stop_requested_error("dynamodb", display_);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

std::optional<uint64_t> DynamoConnection::count_rows(std::string_view table) {
  const KeySchema keys = key_schema(table);  // not_found with a clear message
  uint64_t n = 0;
  Json body = {{"TableName", table}, {"Select", "COUNT"}};
  apply_consistent_read(body, keys, options_.consistent_read);
  for (;;) {
    const Json r = api_.call("Scan", body, fmt::format("DynamoDB Scan (count) on {}", table));
    n += r.value("Count", uint64_t{0});
    auto last = r.find("LastEvaluatedKey");
    if (last == r.end() || last->empty()) break;
    body["ExclusiveStartKey"] = *last;
  }
  return n;
}

std::optional<uint64_t> DynamoConnection::estimate_rows(std::string_view table) {
  const Json t = describe_table(table);
  auto n = t.find("ItemCount");
  // DynamoDB refreshes ItemCount about every six hours: 0 on a table just
  // loaded says nothing.
  if (n == t.end() || !n->is_number_unsigned() || n->get<uint64_t>() == 0) return std::nullopt;
  return n->get<uint64_t>();
}

void DynamoConnection::delete_all_items(std::string_view table, const KeySchema& keys) {
  ExpressionParts parts;
  std::string proj = parts.name(keys.hash);
  if (!keys.range.empty()) proj += ", " + parts.name(keys.range);
  Json body = {{"TableName", table},
               {"ProjectionExpression", proj},
               {"ExpressionAttributeNames", parts.names}};
  for (;;) {
    const Json r = api_.call("Scan", body, fmt::format("DynamoDB Scan (keys) on {}", table));
    std::vector<Json> deletes;
    for (const auto& item : r.at("Items")) deletes.push_back({{"DeleteRequest", {{"Key", item}}}});
    batch_write(api_.caller(), table, std::move(deletes), api_.policy(), nullptr, {},
                api_.stop());
    auto last = r.find("LastEvaluatedKey");
    if (last == r.end() || last->empty()) break;
    body["ExclusiveStartKey"] = *last;
  }
}

PingResult DynamoConnection::ping() {
  const auto start = std::chrono::steady_clock::now();
  api_.call("ListTables", {{"Limit", 1}}, "DynamoDB ListTables (ping)");
  PingResult r;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.server_version = "DynamoDB API 2012-08-10";
  r.role = "service";
  return r;
}

}  // namespace polydb::dynamodb
