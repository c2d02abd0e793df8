#include "connectors/cosmos/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "connectors/common/document_schema.hpp"
#include "connectors/cosmos/errors.hpp"
#include "connectors/cosmos/partition_hash.hpp"
#include "core/encoding.hpp"
#include "core/log.hpp"
#include "connectors/common/pushdown.hpp"
#include "connectors/common/table_errors.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

// describe() infers the schema from this many documents,
constexpr size_t kSampleDocs = 100;
// ... or fewer when they take more than this (items of up to 2 MB each), read
// in pages whose first is small.
constexpr size_t kSampleBytes = 16u << 20;
constexpr size_t kFirstSamplePage = 10;
// Hierarchical partition keys have at most three levels.
constexpr size_t kMaxKeyPaths = 3;

bool is_loopback(std::string_view url) {
  for (std::string_view h : {"://127.", "://localhost", "://[::1]"})
    if (url.find(h) != std::string_view::npos) return true;
  return false;
}

// A literal's JSON when Cosmos compares it with the column's stored values as
// polydb does: the column holds one JSON kind (by the sample) and the literal
// is of that kind. "id" columns inferred as int64 hold strings: equality only.
std::optional<Json> comparable_literal(const Field& f, const Value& v, CompareOp op) {
  if (v.is_null()) return std::nullopt;
  const bool equality = op == CompareOp::eq || op == CompareOp::ne || op == CompareOp::in;
  const std::string& native = f.native_type;
  const bool pure_string = native == "inferred:string";
  if (f.name == "id" && f.type.id == TypeId::int64 && pure_string) {
    if (!equality || v.type_id() != TypeId::int64) return std::nullopt;
    return Json(std::to_string(v.as<int64_t>()));
  }
  if (native == "inferred:number" && (f.type.id == TypeId::int64 || f.type.id == TypeId::float64)) {
    const TypeId t = v.type_id();
    if (t != TypeId::int64 && t != TypeId::float64 && t != TypeId::decimal) return std::nullopt;
    auto j = value_to_json(v);
    if (!j || !j->is_number()) return std::nullopt;  // not exact as a double
    return j;
  }
  if (pure_string && f.type.id == TypeId::string && v.type_id() == TypeId::string) {
    const std::string& s = v.as<std::string>();
    // Cosmos orders strings by UTF-16 code units, polydb by UTF-8 bytes: the
    // orders agree against an ASCII literal only.
    const bool ascii = std::all_of(s.begin(), s.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!equality && !ascii) return std::nullopt;
    return Json(s);
  }
  if (native == "inferred:boolean" && v.type_id() == TypeId::boolean &&
      (op == CompareOp::eq || op == CompareOp::ne))
    return Json(v.as<bool>());
  return std::nullopt;
}

std::string_view op_text(CompareOp op) {
  switch (op) {
    case CompareOp::eq: return "=";
    case CompareOp::ne: return "!=";
    case CompareOp::lt: return "<";
    case CompareOp::le: return "<=";
    case CompareOp::gt: return ">";
    case CompareOp::ge: return ">=";
    default: return "";
  }
}

// Adds a parameter and returns its name.
std::string bind(Json& parameters, Json value) {
  std::string name = "@p" + std::to_string(parameters.size());
  parameters.push_back({{"name", name}, {"value", std::move(value)}});
  return name;
}

std::optional<std::string> leaf_sql(const Filter& f, const Schema& schema, Json& parameters) {
  const auto idx = schema.index_of(f.column);
  if (!idx) return std::nullopt;
  const Field& field = schema.fields[*idx];
  const std::string ref = property_ref(field.name);
  if (f.op == CompareOp::is_null)
    return fmt::format("(NOT IS_DEFINED({0}) OR IS_NULL({0}))", ref);
  if (f.op == CompareOp::is_not_null)
    return fmt::format("(IS_DEFINED({0}) AND NOT IS_NULL({0}))", ref);
  std::vector<Json> literals;
  for (const auto& v : f.values) {
    auto j = comparable_literal(field, v, f.op);
    if (!j) return std::nullopt;
    literals.push_back(std::move(*j));
  }
  if (f.op == CompareOp::in) {
    if (literals.empty()) return std::nullopt;
    std::string out = ref + " IN (";
    for (size_t i = 0; i < literals.size(); ++i)
      out += (i ? ", " : "") + bind(parameters, std::move(literals[i]));
    return out + ")";
  }
  if (literals.size() != 1) return std::nullopt;
  return fmt::format("{} {} {}", ref, op_text(f.op), bind(parameters, std::move(literals[0])));
}

// The partition key value when equality conjuncts fix every key property.
std::optional<Json> fixed_partition(const std::vector<Filter>& conjuncts, const Schema& schema,
                                    const PartitionKey& key) {
  Json values = Json::array();
  for (const auto& path : key.paths) {
    std::optional<Json> found;
    for (const auto& c : conjuncts) {
      if (c.kind != Filter::Kind::compare || c.op != CompareOp::eq || c.column != path ||
          c.values.size() != 1)
        continue;
      const auto idx = schema.index_of(path);
      if (idx) found = comparable_literal(schema.fields[*idx], c.values[0], c.op);
      if (found) break;
    }
    if (!found) return std::nullopt;
    values.push_back(std::move(*found));
  }
  if (values.empty()) return std::nullopt;
  return values;
}

std::string projection(const std::vector<std::string>& columns) {
  if (columns.empty()) return "*";
  std::string out = "VALUE {";
  for (size_t i = 0; i < columns.size(); ++i)
    out += fmt::format("{}{}: {}", i ? ", " : "", json_quote(columns[i]), property_ref(columns[i]));
  return out + "}";
}

PartitionKey parse_partition_key(const Json& coll) {
  PartitionKey k;
  const Json pk = coll.value("partitionKey", Json::object());
  k.kind = pk.value("kind", "Hash");
  if (auto v = pk.find("version"); v != pk.end() && v->is_number_integer())
    k.version = v->get<int>();
  if (k.kind == "MultiHash") k.version = 2;
  for (const auto& p : pk.value("paths", Json::array())) {
    std::string path = p.get<std::string>();
    if (!path.empty() && path[0] == '/') path.erase(0, 1);
    k.paths.push_back(path);
  }
  return k;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_keyword(std::string_view text, std::string_view kw) {
  if (text.size() < kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != kw[i]) return false;
  return text.size() == kw.size() || !std::isalnum(static_cast<unsigned char>(text[kw.size()]));
}

// The identifier after the first FROM keyword: the container the query names.
std::string from_identifier(std::string_view text) {
  for (size_t i = 0; i + 4 < text.size(); ++i) {
    if ((i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_')) ||
        !starts_with_keyword(text.substr(i), "FROM"))
      continue;
    size_t j = i + 4;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    size_t k = j;
    while (k < text.size() && (std::isalnum(static_cast<unsigned char>(text[k])) || text[k] == '_'))
      ++k;
    return std::string(text.substr(j, k - j));
  }
  return {};
}

}  // namespace

Json PartitionKey::definition() const {
  Json paths_json = Json::array();
  for (const auto& p : paths) paths_json.push_back("/" + p);
  Json d = {{"paths", paths_json}, {"kind", kind}};
  if (kind == "MultiHash" || version >= 2) d["version"] = 2;
  return d;
}

std::string property_ref(std::string_view name) { return "c[" + json_quote(name) + "]"; }

std::string ScanQuery::describe() const {
  std::string out = text;
  if (!parameters.empty()) out += " " + parameters.dump();
  if (partition_key) out += " partition " + partition_key->dump();
  return out;
}

ScanQuery build_scan_query(const ScanSpec& spec, const Schema& schema, const PartitionKey& key,
                           const std::vector<std::string>& read_columns, const KeySpan& ids) {
  ScanQuery q;
  std::vector<Filter> conjuncts;
  std::vector<std::string> where;
  if (spec.filter) {
    conjuncts = spec.filter->kind == Filter::Kind::all_of ? spec.filter->children
                                                          : std::vector<Filter>{*spec.filter};
    Json params = Json::array();
    // Parameters are added by the leaves; a conjunct that fails midway
    // leaves unused parameters behind, so build each one on a copy.
    size_t pushed = 0;
    for (const auto& c : conjuncts) {
      Json attempt = params;
      auto sql = filter_to_sql(c, [&](const Filter& leaf) { return leaf_sql(leaf, schema, attempt); });
      if (!sql) continue;
      params = std::move(attempt);
      where.push_back(std::move(*sql));
      ++pushed;
    }
    q.parameters = std::move(params);
    q.filter_pushed = pushed == conjuncts.size();
    q.partition_key = fixed_partition(conjuncts, schema, key);
  }
  // A segment's share of its partition key range, in the server's order of
  // ids (the order its boundaries were read in).
  if (ids.from)
    where.push_back(fmt::format("{} >= {}", property_ref("id"), bind(q.parameters, Json(*ids.from))));
  if (ids.to)
    where.push_back(fmt::format("{} < {}", property_ref("id"), bind(q.parameters, Json(*ids.to))));
  std::string top;
  if (spec.limit && q.partition_key && spec.order_by.empty() && q.filter_pushed) {
    top = fmt::format("TOP {} ", *spec.limit);
    q.limit_pushed = true;
  }
  q.text = fmt::format("SELECT {}{} FROM c", top, projection(read_columns));
  for (size_t i = 0; i < where.size(); ++i) q.text += (i ? " AND " : " WHERE ") + where[i];
  return q;
}

namespace {
net::HttpOptions cosmos_http_options(const Uri& uri, const ConnectOptions& options,
                                     const Endpoint& endpoint) {
  net::HttpOptions http = net::connection_http_options(uri, options, "cosmos");
  http.insecure_skip_tls_verify = endpoint.insecure_skip_tls_verify;
  return http;
}
}  // namespace

CosmosConnection::CosmosConnection(const Uri& uri, const ConnectOptions& options)
    : endpoint_(endpoint_from_uri(uri)),
      meter_(std::make_shared<CostMeter>()),
      http_(cosmos_http_options(uri, options, endpoint_)),
      api_(endpoint_, http_, meter_),
      display_(uri.to_string()) {
  if (endpoint_.insecure_skip_tls_verify)
    logger("cosmos")->warn("TLS VERIFICATION IS OFF for {} (insecure-skip-tls-verify){}",
                           endpoint_.url,
                           is_loopback(endpoint_.url)
                               ? ""
                               : ": this is not a local emulator, the connection can be "
                                 "intercepted");
  const std::string db_link = "dbs/" + endpoint_.database;
  const auto r = api_.call({.method = "GET", .path = encode_path({"dbs", endpoint_.database}),
                            .resource_type = "dbs", .resource_link = db_link},
                           fmt::format("Cosmos DB read of database {}", endpoint_.database), {404});
  if (r.status == 404) {
    if (!options.create_if_missing)
      throw Error(ErrorCode::not_found,
                  fmt::format("no database '{}' in {} (create it, or connect with "
                              "create_if_missing to have it created)",
                              endpoint_.database, display_),
                  "cosmos")
          .set_hint(Hint::create_if_missing);
    api_.call({.method = "POST", .path = "/dbs", .resource_type = "dbs", .resource_link = "",
               .body = Json{{"id", endpoint_.database}}.dump()},
              fmt::format("Cosmos DB create of database {}", endpoint_.database), {409});
    logger("cosmos")->info("created database {}", endpoint_.database);
  }
  logger("cosmos")->info("opened {} ({})", display_, endpoint_.url);
}

CosmosConnection::~CosmosConnection() {
  logger("cosmos")->info("{}: {} requests, request charge {:.2f} RU", display_,
                         meter_->requests.load(), meter_->total());
}

Capabilities CosmosConnection::capabilities() const {
  Capabilities c;
  c.bulk_write = true;
  c.filter_pushdown = true;  // partly: what Cosmos compares as polydb does; re-checked locally
  c.limit_pushdown = true;   // TOP in single-partition scans, early stop otherwise
  c.partitioned_scan = true;
  c.named_parameters = true;
  c.change_writes = true;
  c.resume_points = true;  // x-ms-continuation, and the items of its page already read
  return c;
}

std::unique_ptr<Api> CosmosConnection::new_api() const {
  return std::make_unique<Api>(endpoint_, http_, meter_);
}

std::string CosmosConnection::docs_link(std::string_view container) const {
  return fmt::format("dbs/{}/colls/{}", endpoint_.database, container);
}
std::string CosmosConnection::docs_path(std::string_view container) const {
  return encode_path({"dbs", endpoint_.database, "colls", container, "docs"});
}
std::string CosmosConnection::item_link(std::string_view container, std::string_view id) const {
  return fmt::format("dbs/{}/colls/{}/docs/{}", endpoint_.database, container, id);
}
std::string CosmosConnection::item_path(std::string_view container, std::string_view id) const {
  return encode_path({"dbs", endpoint_.database, "colls", container, "docs", id});
}

std::vector<TableInfo> CosmosConnection::list_tables() {
  std::vector<TableInfo> out;
  Request req{.method = "GET", .path = encode_path({"dbs", endpoint_.database, "colls"}),
              .resource_type = "colls", .resource_link = "dbs/" + endpoint_.database};
  for (;;) {
    const net::HttpResponse r = api_.call(req, "Cosmos DB list of containers");
    const Json j = Json::parse(r.body, nullptr, false);
    for (const auto& c : j.value("DocumentCollections", Json::array()))
      out.push_back({c.at("id").get<std::string>(), "table"});
    auto next = r.headers.get("x-ms-continuation");
    if (!next || next->empty()) break;
    req.headers.set("x-ms-continuation", std::string(*next));
  }
  return out;
}

net::HttpResponse CosmosConnection::read_container(std::string_view container, bool quota) {
  Request req{.method = "GET",
              .path = encode_path({"dbs", endpoint_.database, "colls", container}),
              .resource_type = "colls", .resource_link = docs_link(container)};
  if (quota) req.headers.set("x-ms-documentdb-populatequotainfo", "True");
  net::HttpResponse r =
      api_.call(req, fmt::format("Cosmos DB read of container {}", container), {404});
  if (r.status == 404)
    throw Error(ErrorCode::not_found,
                fmt::format("no container '{}' in {} (the connection's container list shows "
                            "the names)",
                            container, display_),
                "cosmos")
        .set_hint(Hint::list_tables);
  return r;
}

PartitionKey CosmosConnection::partition_key(std::string_view container) {
  return parse_partition_key(Json::parse(read_container(container, false).body, nullptr, false));
}

std::optional<uint64_t> documents_count(std::string_view resource_usage) {
  // "documentSize=0;documentsSize=1;documentsCount=42;collectionSize=3"
  constexpr std::string_view kKey = "documentsCount=";
  for (size_t start = 0; start <= resource_usage.size();) {
    size_t end = resource_usage.find(';', start);
    if (end == std::string_view::npos) end = resource_usage.size();
    std::string_view part = trim(resource_usage.substr(start, end - start));
    if (part.starts_with(kKey)) {
      part.remove_prefix(kKey.size());
      uint64_t n = 0;
      const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
      if (ec != std::errc() || ptr != part.data() + part.size()) return std::nullopt;
      return n;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> CosmosConnection::estimate_rows(std::string_view table) {
  // The service reports a container's document count in the usage header
  // of a container read that asks for quota information (no query, 1 RU).
  // Without it (the emulator sends none) there is no estimate: a COUNT
  // query's cost grows with the container, which a planner's guess should not.
  const net::HttpResponse r = read_container(table, true);
  const auto usage = r.headers.get("x-ms-resource-usage");
  return usage ? documents_count(*usage) : std::nullopt;
}

bool CosmosConnection::exists(std::string_view container) {
  try {
    partition_key(container);
    return true;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::not_found) return false;
    throw;
  }
}

bool CosmosConnection::create_container(std::string_view container, const PartitionKey& key) {
  const Json body = {{"id", container}, {"partitionKey", key.definition()}};
  const auto r = api_.call({.method = "POST",
                            .path = encode_path({"dbs", endpoint_.database, "colls"}),
                            .resource_type = "colls",
                            .resource_link = "dbs/" + endpoint_.database,
                            .body = body.dump()},
                           fmt::format("Cosmos DB create of container {}", container), {409});
  if (r.status == 409) return false;
  logger("cosmos")->info("created container {} (partition key {})", container,
                         key.definition().dump());
  return true;
}

void CosmosConnection::create_table(std::string_view table, const Schema& schema) {
  check_schema_creatable(table, schema);
  PartitionKey key;
  key.paths = schema.primary_key.empty() ? std::vector<std::string>{"id"} : schema.primary_key;
  if (key.paths.size() > kMaxKeyPaths)
    throw Error(ErrorCode::unsupported,
                fmt::format("a Cosmos DB partition key has at most {} paths (hierarchical keys); "
                            "'{}' has a key of {} columns (name up to three key columns)",
                            kMaxKeyPaths, table, key.paths.size()),
                "cosmos")
        .set_hint(Hint::key_columns);
  for (const auto& p : key.paths)
    if (p.find('/') != std::string::npos || p.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("key column '{}' cannot be a partition key path (no '/' allowed)", p),
                  "cosmos");
  key.kind = key.paths.size() > 1 ? "MultiHash" : "Hash";
  if (!create_container(table, key)) throw table_exists_error(table, display_, "cosmos");
}

void CosmosConnection::drop_table(std::string_view table, bool if_exists) {
  const auto r = api_.call({.method = "DELETE",
                            .path = encode_path({"dbs", endpoint_.database, "colls", table}),
                            .resource_type = "colls", .resource_link = docs_link(table)},
                           fmt::format("Cosmos DB delete of container {}", table), {404});
  if (r.status == 404 && !if_exists)
    throw Error(ErrorCode::not_found,
                fmt::format("no container '{}' in {} to drop", table, display_), "cosmos");
}

Request CosmosConnection::query_request(std::string_view container, const Json& body,
                                        const std::optional<Json>& partition_key) const {
  Request req{.method = "POST", .path = docs_path(container), .resource_type = "docs",
              .resource_link = docs_link(container), .body = body.dump()};
  req.headers.set("Content-Type", "application/query+json");
  req.headers.set("x-ms-documentdb-isquery", "True");
  if (partition_key) req.headers.set("x-ms-documentdb-partitionkey", partition_key->dump());
  else req.headers.set("x-ms-documentdb-query-enablecrosspartition", "True");
  return req;
}

std::vector<KeyRange> CosmosConnection::key_ranges(std::string_view container) {
  const Json r = api_.call_json(
      {.method = "GET",
       .path = encode_path({"dbs", endpoint_.database, "colls", container, "pkranges"}),
       .resource_type = "pkranges", .resource_link = docs_link(container)},
      fmt::format("Cosmos DB read of the partition key ranges of {}", container));
  std::vector<KeyRange> ranges;
  for (const auto& range : r.value("PartitionKeyRanges", Json::array())) {
    const Json& id = range.at("id");  // the emulator's ids are numbers
    ranges.push_back({.id = id.is_string() ? id.get<std::string>() : id.dump(),
                      .min = range.value("minInclusive", ""),
                      .max = range.value("maxExclusive", "FF")});
  }
  if (ranges.empty()) ranges.push_back({.id = "0", .min = "", .max = "FF"});
  std::sort(ranges.begin(), ranges.end(),
            [](const KeyRange& a, const KeyRange& b) { return a.min < b.min; });
  return ranges;
}

std::vector<std::string> CosmosConnection::partition_key_ranges(std::string_view container) {
  std::vector<std::string> ids;
  for (auto& range : key_ranges(container)) ids.push_back(std::move(range.id));
  return ids;
}

std::vector<Json> CosmosConnection::sample(std::string_view container, size_t n) {
  Request req = query_request(container, {{"query", "SELECT * FROM c"}, {"parameters", Json::array()}},
                              std::nullopt);
  std::vector<Json> docs;
  size_t bytes = 0, seen = 0;
  // Pages until `n` items or kSampleBytes; the first is small (an item may
  // take 2 MB). A page may come back empty while later partitions hold
  // items: the continuation is followed until the query ends.
  for (size_t want = std::min(n, kFirstSamplePage);;) {
    req.headers.set("x-ms-max-item-count", std::to_string(want));
    const net::HttpResponse r = api_.call(req, fmt::format("Cosmos DB query (sample) on {}", container));
    Json j = Json::parse(r.body, nullptr, false);
    bytes += r.body.size();
    for (auto& d : j.value("Documents", Json::array())) {
      ++seen;
      if (d.is_object() && d.value("id", "") != kReplaceMarkerId) docs.push_back(std::move(d));
    }
    auto next = r.headers.get("x-ms-continuation");
    if (!next || next->empty() || docs.size() >= n || bytes >= kSampleBytes) break;
    req.headers.set("x-ms-continuation", std::string(*next));
    if (seen > 0)
      want = std::clamp<size_t>((kSampleBytes - bytes) / std::max<size_t>(1, bytes / seen), 1,
                                n - docs.size());
  }
  if (docs.size() > n) docs.resize(n);
  return docs;
}

Schema CosmosConnection::describe(std::string_view table) {
  const PartitionKey key = partition_key(table);
  const std::vector<Json> docs = sample(table, kSampleDocs);
  std::vector<const Json*> ptrs;
  for (const auto& d : docs) ptrs.push_back(&d);
  std::vector<std::string> keep;
  if (endpoint_.system_properties) keep = {"_etag", "_ts"};
  return infer_schema(ptrs, key.paths, keep);
}

std::vector<std::string> CosmosConnection::id_boundaries(std::string_view container,
                                                         std::string_view range,
                                                         uint32_t pieces) {
  const std::string cache_key = fmt::format("{}\n{}\n{}", container, range, pieces);
  if (auto it = id_boundaries_.find(cache_key); it != id_boundaries_.end()) return it->second;
  // The ids of one range in the server's order, streamed: a filter on ids
  // compares them in that same order. (One range: the gateway runs ORDER BY
  // within a partition key range for REST clients.)
  Request req = query_request(
      container, {{"query", "SELECT VALUE c.id FROM c ORDER BY c.id"}, {"parameters", Json::array()}},
      std::nullopt);
  req.headers.set("x-ms-documentdb-partitionkeyrangeid", std::string(range));
  req.headers.set("x-ms-max-item-count", "1000");
  const std::string what =
      fmt::format("Cosmos DB query of the ids of range {} of {} (segment boundaries)", range,
                  container);
  KeyBoundaries picker(pieces, std::nullopt);
  uint64_t ids = 0;
  for (;;) {
    const net::HttpResponse r = api_.call(req, what);
    const Json j = Json::parse(r.body, nullptr, false);
    for (const auto& id : j.value("Documents", Json::array()))
      if (id.is_string()) picker.add(id.get_ref<const std::string&>()), ++ids;
    auto next = r.headers.get("x-ms-continuation");
    if (!next || next->empty()) break;
    req.headers.set("x-ms-continuation", std::string(*next));
  }
  std::vector<std::string> bounds = picker.finish();
  logger("cosmos")->debug("{}: {} boundaries among {} ids", what, bounds.size(), ids);
  return id_boundaries_.emplace(cache_key, std::move(bounds)).first->second;
}

std::unique_ptr<BatchReader> CosmosConnection::scan(const ScanSpec& spec) {
  check_partition(spec.partition);
  const PartitionKey key = partition_key(spec.table);
  const Schema full = describe(spec.table);
  const DocumentColumns columns = document_columns(
      spec, project(full, spec.columns), [&](const std::string& c) { return full.field(c); });
  // A projection keeps the items' _rid: resume points check by it that the
  // item they end after is still where they say.
  std::vector<std::string> select = columns.select;
  if (!select.empty() && std::find(select.begin(), select.end(), "_rid") == select.end())
    select.push_back("_rid");
  ScanQuery q = build_scan_query(spec, full, key, select);

  ReaderSetup setup;
  setup.container = spec.table;
  const uint32_t index = spec.partition.index, count = spec.partition.count;
  if (count > 1) {
    setup.segment = Json::array({index, count});
    if (q.partition_key) {
      setup.skip = index != 0;  // one logical partition: part 0 reads it
    } else {
      const auto ranges = partition_key_ranges(spec.table);
      const auto n_ranges = static_cast<uint32_t>(ranges.size());
      if (count <= n_ranges) {
        for (size_t i = index; i < ranges.size(); i += count) setup.ranges.push_back(ranges[i]);
      } else {
        // More segments than ranges (a container below ~50 GB has one):
        // the segments i, i + R, i + 2R, ... share range i mod R, each
        // reading one run of its ids.
        const uint32_t range = index % n_ranges;
        const uint32_t pieces = (count - range + n_ranges - 1) / n_ranges;
        const uint32_t piece = index / n_ranges;
        setup.ranges = {ranges[range]};
        std::optional<KeySpan> ids =
            recorded_span(resume_position(spec.resume_from), setup.segment, "ids");
        if (!ids) ids = piece_span(id_boundaries(spec.table, ranges[range], pieces), piece);
        if (ids) {
          q = build_scan_query(spec, full, key, select, *ids);
          setup.ids = ids->to_json();
        }
        setup.skip = !ids;  // fewer items than pieces: nothing left for this one
      }
      setup.skip = setup.skip || setup.ranges.empty();
    }
  }
  setup.body = {{"query", q.text}, {"parameters", q.parameters}};
  setup.partition_key = q.partition_key;
  setup.what = fmt::format("Cosmos DB query on {}", spec.table);
  take_scan(setup, spec, columns, full);
  setup.warn_incomplete = true;
  setup.resumable = true;
  setup.plan.native = q.describe();
  setup.plan.filter_pushed = q.filter_pushed;
  setup.plan.limit_pushed = q.limit_pushed;
  return make_reader(*this, std::move(setup));
}

std::unique_ptr<BatchReader> CosmosConnection::query(std::string_view text,
                                                     std::span<const Value> params,
                                                     const QueryOptions& options) {
  const std::string_view sql = trim(text);
  if (!starts_with_keyword(sql, "SELECT"))
    throw Error(ErrorCode::invalid_argument,
                "Cosmos DB queries are Cosmos SQL SELECT statements, e.g. SELECT * FROM c WHERE "
                "c.status = @status (parameters bind by name: a value for @status)",
                "cosmos")
        .set_hint(Hint::bind_params);
  std::string container = endpoint_.container;
  if (container.empty()) container = from_identifier(sql);
  if (container.empty())
    throw Error(ErrorCode::invalid_argument,
                "name the container in FROM (SELECT * FROM orders o WHERE o.x = @x) or in the URL "
                "(cosmos://HOST/DATABASE/CONTAINER)",
                "cosmos");
  if (!options.param_names.empty() && options.param_names.size() != params.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} parameter names for {} parameters", options.param_names.size(),
                            params.size()),
                "cosmos");
  Json parameters = Json::array();
  for (size_t i = 0; i < params.size(); ++i) {
    std::string name = options.param_names.empty() ? "@p" + std::to_string(i + 1)
                                                   : options.param_names[i];
    if (name.empty() || name[0] != '@') name = "@" + name;
    parameters.push_back({{"name", name}, {"value", value_to_json(params[i]).value_or(nullptr)}});
  }
  PartitionKey key;
  try {
    key = partition_key(container);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::not_found || !endpoint_.container.empty()) throw;
    throw Error(ErrorCode::not_found,
                fmt::format("no container '{}' in {}: name the container in FROM (SELECT * FROM "
                            "orders o ...) or in the URL (cosmos://HOST/DATABASE/CONTAINER)",
                            container, display_),
                "cosmos");
  }
  ReaderSetup setup;
  setup.container = container;
  setup.body = {{"query", std::string(sql)}, {"parameters", parameters}};
  setup.key_paths = key.paths;
  setup.what = fmt::format("Cosmos DB query on {}", container);
  setup.batch_rows = std::max<size_t>(1, options.batch_rows);
  setup.batch_bytes = options.batch_bytes;
  setup.plan.native = setup.body.dump();
  return make_reader(*this, std::move(setup));
}

uint64_t CosmosConnection::execute(std::string_view, std::span<const Value>) {
  throw Error(ErrorCode::unsupported,
              "Cosmos SQL has no INSERT, UPDATE or DELETE: read with query(), write with a "
              "writer (modes create, append, upsert, replace)",
              "cosmos")
      .set_hint(Hint::read_and_write);
}

std::optional<uint64_t> CosmosConnection::count_rows(std::string_view table) {
  partition_key(table);  // not_found with a clear message
  // The gateway cannot aggregate across partitions for REST clients: count
  // each partition key range and add up.
  const Json body = {{"query", "SELECT VALUE COUNT(1) FROM c WHERE c.id != @marker"},
                     {"parameters", Json::array({{{"name", "@marker"}, {"value", kReplaceMarkerId}}})}};
  uint64_t n = 0;
  for (const auto& range : partition_key_ranges(table)) {
    Request req = query_request(table, body, std::nullopt);
    req.headers.set("x-ms-documentdb-partitionkeyrangeid", range);
    for (;;) {
      const net::HttpResponse r = api_.call(req, fmt::format("Cosmos DB count on {}", table));
      const Json j = Json::parse(r.body, nullptr, false);
      for (const auto& v : j.value("Documents", Json::array()))
        if (v.is_number()) n += v.get<uint64_t>();
      auto next = r.headers.get("x-ms-continuation");
      if (!next || next->empty()) break;
      req.headers.set("x-ms-continuation", std::string(*next));
    }
  }
  return n;
}

PingResult CosmosConnection::ping() {
  const auto start = std::chrono::steady_clock::now();
  api_.call({.method = "GET", .path = "/", .resource_type = "", .resource_link = ""},
            "Cosmos DB read of the account (ping)");
  PingResult r;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.server_version = fmt::format("Cosmos DB REST API {}", kApiVersion);
  r.role = "service";
  return r;
}

std::optional<RequestCost> CosmosConnection::request_cost() const {
  return RequestCost{meter_->total(), "RU", meter_->requests.load()};
}

std::unique_ptr<BatchWriter> CosmosConnection::writer(std::string_view table, const Schema& schema,
                                                      const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> CosmosConnection::change_writer(std::string_view table,
                                                              const Schema& schema,
                                                              const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

}  // namespace polydb::cosmos
