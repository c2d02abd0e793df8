#include "connectors/firestore/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include "connectors/common/document_schema.hpp"
#include "connectors/common/key_boundaries.hpp"
#include "connectors/firestore/errors.hpp"
#include "connectors/firestore/types.hpp"
#include "core/log.hpp"
#include "connectors/common/pushdown.hpp"
#include "connectors/common/table_errors.hpp"
#include "connectors/common/text_types.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// describe() infers the fields from this many documents, or fewer when they
// take more than kSampleBytes (documents of up to 1 MiB each would otherwise
// hold 200 MiB for a describe); the first page is small, as the reader's is.
constexpr size_t kSampleDocuments = 200;
constexpr size_t kSampleBytes = 16u << 20;
constexpr size_t kFirstSamplePage = 10;
// batchWrite and commit take at most 500 writes, and a request of at most
// 10 MiB in production; the emulator refuses requests over 4 MiB (its gRPC
// limit), so a chunk stays below that with room for the envelope. A single
// write larger than this goes alone (a document is at most 1 MiB anyway).
constexpr size_t kMaxWrites = 500;
constexpr size_t kMaxRequestBytes = 4 * 1024 * 1024 - 64 * 1024;
// Documents listed per page when deleting a collection.
constexpr int kDeletePage = 500;
// Document names per page when reading the names for segment boundaries.
constexpr int kNamesPage = 1000;

bool holds_document_id(const Json& v, std::string_view id) {
  const std::string_view kind = value_kind(v);
  if (kind == "stringValue") return to_value(v).as<std::string>() == id;
  if (kind == "integerValue") return to_value(v).to_text() == id;
  return false;
}

// The kind of a Firestore value for schema inference; nullopt for NULL.
std::optional<SampleKind> sample_kind(std::string_view kind) {
  if (kind == "nullValue") return std::nullopt;
  if (kind == "booleanValue") return SampleKind::boolean;
  if (kind == "integerValue") return SampleKind::integer;
  if (kind == "doubleValue") return SampleKind::floating;
  if (kind == "timestampValue") return SampleKind::timestamp_tz;
  if (kind == "stringValue") return SampleKind::text;
  if (kind == "referenceValue") return SampleKind::plain_text;
  if (kind == "bytesValue") return SampleKind::bytes;
  return SampleKind::nested;  // arrayValue, mapValue, geoPointValue
}

Field id_field() {
  return Field{std::string(kIdColumn), TypeId::string, false, "document id"};
}

}  // namespace

std::string_view document_id(std::string_view name) noexcept {
  const auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

Schema infer_schema(const std::vector<Json>& documents) {
  DocumentSchemaBuilder b({.text = {.decimal = true}, .no_kind = "nullValue"});
  std::map<std::string, bool, std::less<>> holds_id;  // equals the document id wherever seen
  std::vector<size_t> sizes;
  for (const auto& d : documents) sizes.push_back(d.value("fields", Json::object()).size());
  // Fields have no order in Firestore: take the fullest document's, then newcomers.
  for (size_t i : fullest_first(sizes)) {
    const Json& doc = documents[i];
    const std::string name = doc.value("name", "");
    const std::string_view id = document_id(name);
    const Json fields = doc.value("fields", Json::object());
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const std::string_view kind = value_kind(it.value());
      const std::optional<SampleKind> k = sample_kind(kind);
      std::string text;
      if (k == SampleKind::text) text = to_value(it.value()).as<std::string>();
      b.add(it.key(), k, kind, text);
      auto [pos, fresh] = holds_id.try_emplace(it.key(), true);
      pos->second = pos->second && holds_document_id(it.value(), id);
    }
  }
  Schema inferred = b.finish();
  // A field that holds the document id in every document is the key.
  std::optional<std::string> key;
  for (const auto& f : inferred.fields) {
    const auto* seen = b.seen(f.name);
    if (seen && seen->present == documents.size() && holds_id[f.name]) {
      key = f.name;
      break;
    }
  }
  Schema schema;
  if (key) {
    Field f = inferred.field(*key);
    f.nullable = false;
    schema.fields.push_back(std::move(f));
    schema.primary_key = {*key};
  } else {
    schema.fields.push_back(id_field());
    schema.primary_key = {std::string(kIdColumn)};
  }
  for (auto& f : inferred.fields)
    if (f.name != key) schema.fields.push_back(std::move(f));
  return schema;
}

void batch_write(const BatchCaller& call, std::vector<Json> writes, const net::RetryPolicy& policy,
                 std::string_view what, net::RetryClock* clock, std::stop_token stop) {
  net::RetryClock& c = clock ? *clock : net::system_retry_clock();
  std::mt19937_64 rng(std::random_device{}());
  auto name_of = [](const Json& w) {
    if (auto u = w.find("update"); u != w.end()) return u->value("name", "");
    return w.value("delete", "");
  };
  auto send = [&](std::vector<Json> chunk) {
    for (int attempt = 1;; ++attempt) {
      const Json r = call({{"writes", chunk}});
      const Json status = r.value("status", Json::array());
      std::vector<Json> again;
      std::string last_status, last_message;
      for (size_t i = 0; i < chunk.size(); ++i) {
        const Json s = i < status.size() ? status[i] : Json::object();
        const int code = s.value("code", 0);
        if (code == 0) continue;
        const std::string name(status_name(code));
        const std::string message = s.value("message", "");
        if (!is_retryable_status(name))
          throw make_status_error(name, message,
                                  fmt::format("{}: writing {}", what, document_id(name_of(chunk[i]))));
        again.push_back(std::move(chunk[i]));
        last_status = name, last_message = message;
      }
      if (again.empty()) return;
      if (attempt >= policy.max_attempts)
        throw make_status_error(last_status, last_message,
                                fmt::format("{}: {} write(s) still failing after {} attempts", what,
                                            again.size(), attempt))
            .set_retryable(true);
      const auto delay =
          net::backoff_delay(policy, attempt, std::uniform_real_distribution<double>(0, 1)(rng));
      logger("firestore")->warn("{}: {} write(s) failed with {}, retrying in {} ms", what,
                                again.size(), last_status, delay.count());
      if (!c.sleep_for(delay, stop))
        throw Error(ErrorCode::cancelled, fmt::format("{}: cancelled", what), "firestore");
      chunk = std::move(again);
    }
  };
  std::vector<Json> chunk;
  std::set<std::string> names;
  size_t chunk_bytes = 0;
  for (auto& w : writes) {
    std::string name = name_of(w);
    const size_t bytes = w.dump().size() + 1;
    if (chunk.size() == kMaxWrites || names.count(name) ||
        (!chunk.empty() && chunk_bytes + bytes > kMaxRequestBytes)) {
      send(std::move(chunk));
      chunk.clear();
      names.clear();
      chunk_bytes = 0;
    }
    chunk.push_back(std::move(w));
    names.insert(std::move(name));
    chunk_bytes += bytes;
  }
  if (!chunk.empty()) send(std::move(chunk));
}

FirestoreConnection::FirestoreConnection(const Uri& uri, const ConnectOptions& options)
    : api_(endpoint_from_uri(uri),
           net::connection_http_options(uri, options, "firestore"),
           net::RetryPolicy{}) {
  display_ = uri.to_string();
  logger("firestore")->info("opened {} ({})", display_, api_.endpoint().base_url);
}

Capabilities FirestoreConnection::capabilities() const {
  Capabilities c;
  c.bulk_write = true;
  c.filter_pushdown = true;  // partly: see build_scan_query; always re-checked locally
  c.limit_pushdown = true;   // when the whole filter is pushed
  c.change_writes = true;
  c.partitioned_scan = true;  // ranges of document names (segment_boundaries)
  c.resume_points = true;     // a cursor after the last document read
  return c;
}

std::string FirestoreConnection::not_found_message(std::string_view table) const {
  return fmt::format(
      "no collection '{}' in {}: it has no documents (the connection's collection "
      "list shows the names; subcollections are COLLECTION/DOCUMENT/SUBCOLLECTION)",
      table, display_);
}

std::vector<TableInfo> FirestoreConnection::list_tables() {
  std::vector<TableInfo> out;
  Json body = {{"pageSize", 300}};
  const std::string path = encode_path(api_.endpoint().root()) + ":listCollectionIds";
  for (;;) {
    const Json r = api_.call("POST", path, &body, "Firestore listCollectionIds");
    for (const auto& id : r.value("collectionIds", Json::array()))
      out.push_back({id.get<std::string>(), "table"});
    const std::string token = r.value("nextPageToken", "");
    if (token.empty()) break;
    body["pageToken"] = token;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

bool FirestoreConnection::exists(const CollectionPath& collection) {
  Json q = {{"from", Json::array({{{"collectionId", collection.id}}})},
            {"select", {{"fields", Json::array({{{"fieldPath", kNameColumn}}})}}},
            {"limit", 1}};
  return !api_.run_query(collection.parent, q,
                         fmt::format("Firestore runQuery on {}", collection.path()))
              .documents.empty();
}

Schema FirestoreConnection::describe(std::string_view table) {
  const CollectionPath cp = parse_collection(table);
  std::vector<Json> docs;
  size_t bytes = 0, want = kFirstSamplePage;
  while (true) {
    Json q = {{"from", Json::array({{{"collectionId", cp.id}}})}, {"limit", want}};
    if (!docs.empty()) q["offset"] = docs.size();
    auto page = api_.run_query(cp.parent, q, fmt::format("Firestore runQuery (sample) on {}", table));
    const size_t got = page.documents.size();
    bytes += page.bytes;
    std::move(page.documents.begin(), page.documents.end(), std::back_inserter(docs));
    if (got < want || docs.size() >= kSampleDocuments || bytes >= kSampleBytes) break;
    want = std::clamp<size_t>((kSampleBytes - bytes) / std::max<size_t>(1, bytes / docs.size()), 1,
                              kSampleDocuments - docs.size());
  }
  if (docs.empty())
    throw Error(ErrorCode::not_found, not_found_message(table), "firestore")
        .set_hint(Hint::list_tables);
  logger("firestore")->debug("schema of {} inferred from {} sampled documents ({} bytes)", table,
                             docs.size(), bytes);
  return infer_schema(docs);
}

std::optional<std::vector<std::string>> FirestoreConnection::partition_query(
    const CollectionPath& collection, uint32_t count) {
  if (partition_query_unimplemented_) return std::nullopt;
  // partitionQuery takes a collection group query from the database root,
  // ordered by name: its points cover every collection of that id (the
  // points outside this one are dropped).
  Json body = {{"structuredQuery",
                {{"from", Json::array({{{"collectionId", collection.id}, {"allDescendants", true}}})},
                 {"orderBy", Json::array({{{"field", {{"fieldPath", kNameColumn}}},
                                           {"direction", "ASCENDING"}}})}}},
               {"partitionCount", std::to_string(count - 1)}};  // an int64 in the JSON mapping
  const std::string path = encode_path(api_.endpoint().root()) + ":partitionQuery";
  const std::string what = fmt::format("Firestore partitionQuery on {}", collection.path());
  std::vector<Json> pages;
  try {
    for (;;) {
      pages.push_back(api_.call("POST", path, &body, what));
      const std::string token = pages.back().value("nextPageToken", "");
      if (token.empty()) break;
      body["pageToken"] = token;
    }
  } catch (const Error& e) {
    // The emulator answers 501 UNIMPLEMENTED; a server may refuse the
    // query (an index it wants): the names are read instead.
    if (e.code() != ErrorCode::unsupported && e.code() != ErrorCode::invalid_argument) throw;
    logger("firestore")->debug("{}: {}; reading the collection's document names instead", what,
                               e.message());
    if (e.code() == ErrorCode::unsupported) partition_query_unimplemented_ = true;
    return std::nullopt;
  }
  return partition_boundaries(pages, api_.endpoint().name(collection.path()));
}

std::vector<std::string> FirestoreConnection::segment_boundaries(const CollectionPath& collection,
                                                                 uint32_t count) {
  const std::string cache_key = fmt::format("{}\n{}", collection.path(), count);
  if (auto it = segment_boundaries_.find(cache_key); it != segment_boundaries_.end())
    return it->second;
  std::optional<std::vector<std::string>> bounds = partition_query(collection, count);
  if (!bounds) {
    // Every count-th name of the collection, read in name order without the
    // documents' fields; the step from a count() aggregation.
    const std::string what =
        fmt::format("Firestore runQuery of the document names of {} (segment boundaries)",
                    collection.path());
    KeyBoundaries picker(count, count_documents(collection.path(), kEstimateUpTo));
    Json q = {{"from", Json::array({{{"collectionId", collection.id}}})},
              {"select", {{"fields", Json::array({{{"fieldPath", kNameColumn}}})}}},
              {"orderBy", Json::array({{{"field", {{"fieldPath", kNameColumn}}},
                                        {"direction", "ASCENDING"}}})},
              {"limit", kNamesPage}};
    for (;;) {
      const auto page = api_.run_query(collection.parent, q, what);
      for (const auto& d : page.documents) picker.add(d.value("name", ""));
      if (page.documents.size() < static_cast<size_t>(kNamesPage)) break;
      q["startAt"] = cursor_after(q, page.documents.back());
    }
    bounds = picker.finish();
  }
  logger("firestore")->debug("{}: {} segment boundaries for {} segments", collection.path(),
                             bounds->size(), count);
  return segment_boundaries_.emplace(cache_key, std::move(*bounds)).first->second;
}

std::unique_ptr<BatchReader> FirestoreConnection::scan(const ScanSpec& spec) {
  check_partition(spec.partition);
  const CollectionPath cp = parse_collection(spec.table);
  Schema full = describe(spec.table);
  // __id__ and __name__ can be read from every collection, listed or not.
  auto field_of = [&](const std::string& name) -> Field {
    if (auto i = full.index_of(name)) return full.fields[*i];
    if (name == kIdColumn) return id_field();
    if (name == kNameColumn) return Field{std::string(kNameColumn), TypeId::string, false, "document name"};
    return full.field(name);  // Error(not_found) naming the columns
  };
  Schema output;
  if (spec.columns.empty()) {
    output = full;
  } else {
    for (const auto& c : spec.columns) output.fields.push_back(field_of(c));
    for (const auto& k : full.primary_key)
      if (output.index_of(k)) output.primary_key.push_back(k);
  }
  const DocumentColumns columns = document_columns(spec, std::move(output), field_of);
  ScanQuery sq =
      build_scan_query(spec, full, cp.id, columns.select, api_.endpoint().name(cp.path()));

  ReaderSetup setup;
  setup.parent = cp.parent;
  setup.collection = api_.endpoint().name(cp.path());
  if (spec.partition.count > 1) {
    // Segment k reads the names in [boundary k-1, boundary k); a resumed
    // segment keeps the names it started with.
    setup.segment = Json::array({spec.partition.index, spec.partition.count});
    std::optional<KeySpan> names =
        recorded_span(resume_position(spec.resume_from), setup.segment, "names");
    if (!names)
      names = piece_span(segment_boundaries(cp, spec.partition.count), spec.partition.index);
    if (names) {
      restrict_names(sq.query, *names);
      setup.names = names->to_json();
    }
    setup.skip = !names;  // fewer documents than segments: nothing left for this one
  }
  setup.query = sq.query;
  setup.what = fmt::format("Firestore runQuery on {}", spec.table);
  take_scan(setup, spec, columns, full);
  setup.resumable = true;
  if (sq.order_pushed) setup.order_by.clear();
  const bool exact = (!spec.filter || sq.filter_complete) && (spec.order_by.empty() || sq.order_pushed);
  if (exact) setup.query_limit = spec.limit;
  setup.plan.native = "runQuery " + sq.query.dump();
  setup.plan.filter_pushed = sq.filter_complete && spec.filter.has_value();
  setup.plan.limit_pushed = exact && spec.limit.has_value();
  setup.plan.order_pushed = sq.order_pushed;
  return make_reader(*this, std::move(setup));
}

std::unique_ptr<BatchReader> FirestoreConnection::query(std::string_view text,
                                                        std::span<const Value> params,
                                                        const QueryOptions& options) {
  NativeQuery nq = parse_native_query(text, params);
  complete_order(nq.query);
  ReaderSetup setup;
  setup.parent = nq.parent;
  setup.what = "Firestore runQuery";
  setup.query = std::move(nq.query);
  setup.query_limit = nq.limit;
  setup.offset = nq.offset;
  setup.batch_rows = std::max<size_t>(1, options.batch_rows);
  setup.batch_bytes = options.batch_bytes;
  setup.plan.native = "runQuery " + setup.query.dump();
  return make_reader(*this, std::move(setup));
}

uint64_t FirestoreConnection::execute(std::string_view text, std::span<const Value> params) {
  const Json body = parse_native_writes(text, params, api_.endpoint().root());
  const size_t n = body["writes"].size();
  if (n > kMaxWrites)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a commit takes at most {} writes, the statement has {}", kMaxWrites, n),
                "firestore");
  // commit: all writes or none.
  api_.call("POST", encode_path(api_.endpoint().root()) + ":commit", &body, "Firestore commit");
  return n;
}

std::unique_ptr<BatchWriter> FirestoreConnection::writer(std::string_view table,
                                                         const Schema& schema,
                                                         const WriteOptions& options) {
  return make_writer(*this, table, schema, options);
}

std::unique_ptr<ChangeWriter> FirestoreConnection::change_writer(std::string_view table,
                                                                 const Schema& schema,
                                                                 const ChangeOptions& options) {
  return make_change_writer(*this, table, schema, options);
}

void FirestoreConnection::create_table(std::string_view table, const Schema& schema) {
  check_schema_creatable(table, schema);
  // Collections exist while they hold documents: creating one only checks
  // that it is empty; it appears with its first document.
  if (exists(parse_collection(table))) throw table_exists_error(table, display_, "firestore");
}

void FirestoreConnection::drop_table(std::string_view table, bool if_exists) {
  const uint64_t n = delete_all(parse_collection(table));
  if (n == 0 && !if_exists)
    throw Error(ErrorCode::not_found, not_found_message(table) + " to drop", "firestore")
        .set_hint(Hint::list_tables);
}

uint64_t FirestoreConnection::delete_all(const CollectionPath& collection) {
  uint64_t deleted = 0;
  const std::string what = fmt::format("Firestore delete documents of {}", collection.path());
  for (;;) {
    // Deleted documents are gone from the next page: always read the first one.
    Json q = {{"from", Json::array({{{"collectionId", collection.id}}})},
              {"select", {{"fields", Json::array({{{"fieldPath", kNameColumn}}})}}},
              {"limit", kDeletePage}};
    auto page = api_.run_query(collection.parent, q, what);
    if (page.documents.empty()) break;
    std::vector<Json> deletes;
    for (const auto& d : page.documents) deletes.push_back({{"delete", d.value("name", "")}});
    deleted += deletes.size();
    write_all(std::move(deletes), what);
  }
  return deleted;
}

void FirestoreConnection::write_all(std::vector<Json> writes, std::string_view what) {
  const std::string path = encode_path(api_.endpoint().root()) + ":batchWrite";
  batch_write([&](const Json& body) { return api_.call("POST", path, &body, what); },
              std::move(writes), api_.policy(), what, nullptr, api_.stop());
}

uint64_t FirestoreConnection::count_documents(std::string_view table,
                                             std::optional<uint64_t> up_to) {
  const CollectionPath cp = parse_collection(table);
  Json count = Json::object();
  if (up_to) count["upTo"] = std::to_string(*up_to);  // an int64 in the JSON mapping
  const Json body = {
      {"structuredAggregationQuery",
       {{"structuredQuery", {{"from", Json::array({{{"collectionId", cp.id}}})}}},
        {"aggregations", Json::array({{{"alias", "n"}, {"count", count}}})}}}};
  const Json r = api_.call("POST", encode_path(api_.endpoint().name(cp.parent)) + ":runAggregationQuery",
                           &body, fmt::format("Firestore count on {}", table));
  for (const auto& element : r)
    if (auto res = element.find("result"); res != element.end())
      return static_cast<uint64_t>(to_value(res->at("aggregateFields").at("n")).as<int64_t>());
  return 0;
}

std::optional<uint64_t> FirestoreConnection::count_rows(std::string_view table) {
  return count_documents(table, std::nullopt);
}

std::optional<uint64_t> FirestoreConnection::estimate_rows(std::string_view table) {
  // Firestore keeps no document counts: a count() aggregation, bounded by
  // upTo so that its cost (one read per 1,000 index entries) stays bounded
  // whatever the collection's size. A result of kEstimateUpTo means "at
  // least that many".
  return count_documents(table, kEstimateUpTo);
}

PingResult FirestoreConnection::ping() {
  const auto start = std::chrono::steady_clock::now();
  const Json body = {{"pageSize", 1}};
  api_.call("POST", encode_path(api_.endpoint().root()) + ":listCollectionIds", &body,
            "Firestore listCollectionIds (ping)");
  PingResult r;
  r.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  r.server_version = api_.endpoint().emulator.empty() ? "Firestore API v1"
                                                      : "Firestore API v1 (emulator)";
  r.role = api_.endpoint().emulator.empty() ? "service" : "emulator";
  return r;
}

}  // namespace polydb::firestore
