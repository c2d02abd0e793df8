#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <thread>

#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/errors.hpp"
#include "connectors/cosmos/types.hpp"
#include "core/encoding.hpp"
#include "core/log.hpp"
#include "net/retry.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

// Parallel workers, each with its own HTTP client. The clients stay for the
// next run(), so their connections (and TLS sessions) are reused from one
// batch to the next instead of being opened again per write().
class ApiPool {
 public:
  ApiPool(const CosmosConnection& conn, unsigned workers)
      : conn_(conn), workers_(std::max(workers, 1u)) {}

  // Runs op(api, i) for i in [0, count) on up to `workers` threads. The first
  // error stops the others and is rethrown.
  void run(size_t count, const std::function<void(Api&, size_t)>& op) {
    if (count == 0) return;
    const size_t n = std::min<size_t>(workers_, count);
    while (apis_.size() < n) apis_.push_back(conn_.new_api());
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto work = [&](Api& api) {
      try {
        for (size_t i; !failed.load() && (i = next.fetch_add(1)) < count;) op(api, i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    };
    {
      std::vector<std::jthread> threads;
      for (size_t t = 1; t < n; ++t) threads.emplace_back(work, std::ref(*apis_[t]));
      work(*apis_[0]);
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  const CosmosConnection& conn_;
  unsigned workers_;
  std::vector<std::unique_ptr<Api>> apis_;
};

std::string random_id() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  Uuid u;
  for (auto& b : u.bytes) b = static_cast<uint8_t>(rng());
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | 0x40);  // version 4
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3f) | 0x80);
  return format_uuid(u);
}

// The partition key header value of a document ([{}] for a missing value, as the SDKs send).
std::string partition_header(const Json& doc, const PartitionKey& key) {
  Json values = Json::array();
  for (const auto& p : key.paths) {
    auto it = doc.find(p);
    values.push_back(it == doc.end() ? Json::object() : *it);
  }
  return values.dump();
}

// One item to write: serialised once, sent as is.
struct Item {
  std::string id;
  std::string partition;  // the partition key header value
  std::string body;
};

// Bulk requests hold at most 100 operations (the service's limit) and stay
// under its 2 MB request size.
constexpr size_t kBulkItems = 100;
constexpr size_t kBulkBytes = 1'500'000;

// Requests of at most kBulkItems items and about kBulkBytes, grouped into
// tasks whose requests are sent one after the other: the items of a
// partition key share a request (or a task), in row order.
using BulkTask = std::vector<std::vector<size_t>>;
std::vector<BulkTask> plan_bulk(const std::vector<Item>& items,
                                const std::map<std::string, std::vector<size_t>>& groups) {
  auto cost = [&](size_t r) { return items[r].body.size() + items[r].partition.size() + 64; };
  std::vector<BulkTask> tasks;
  std::vector<size_t> shared;  // whole small groups packed together
  size_t shared_bytes = 0;
  auto flush = [&] {
    if (!shared.empty()) tasks.push_back({std::move(shared)});
    shared.clear();
    shared_bytes = 0;
  };
  for (const auto& [partition, rows] : groups) {
    size_t bytes = 0;
    for (size_t r : rows) bytes += cost(r);
    if (rows.size() <= kBulkItems && bytes <= kBulkBytes) {
      if (shared.size() + rows.size() > kBulkItems || shared_bytes + bytes > kBulkBytes) flush();
      shared.insert(shared.end(), rows.begin(), rows.end());
      shared_bytes += bytes;
      continue;
    }
    BulkTask own(1);  // a big group: consecutive requests of its own
    size_t own_bytes = 0;
    for (size_t r : rows) {
      if (!own.back().empty() &&
          (own.back().size() == kBulkItems || own_bytes + cost(r) > kBulkBytes)) {
        own.emplace_back();
        own_bytes = 0;
      }
      own.back().push_back(r);
      own_bytes += cost(r);
    }
    tasks.push_back(std::move(own));
  }
  flush();
  return tasks;
}

}  // namespace

std::string item_id(const std::vector<const Value*>& key_values) {
  std::string id;
  for (size_t i = 0; i < key_values.size(); ++i) {
    if (key_values[i]->is_null()) return {};
    const std::string text = key_values[i]->to_text();
    if (key_values.size() == 1 && text.find_first_of("/\\?#") == std::string::npos) return text;
    if (i) id += '|';
    for (char c : text) {
      if (c == '%' || c == '|' || c == '/' || c == '\\' || c == '?' || c == '#')
        id += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      else id += c;
    }
  }
  return id;
}

void CosmosConnection::delete_all_items(std::string_view container, const PartitionKey& key) {
  std::string proj = R"(SELECT VALUE {"id": c["id"])";
  for (size_t i = 0; i < key.paths.size(); ++i)
    proj += fmt::format(", {}: {}", Json(key.paths[i]).dump(), property_ref(key.paths[i]));
  const Json body = {{"query", proj + "} FROM c WHERE c.id != @marker"},
                     {"parameters", Json::array({{{"name", "@marker"}, {"value", kReplaceMarkerId}}})}};
  Request req = query_request(container, body, std::nullopt);
  req.headers.set("x-ms-max-item-count", "1000");
  ApiPool pool(*this, endpoint_.concurrency);
  for (;;) {
    const net::HttpResponse r = api_.call(req, fmt::format("Cosmos DB query (ids) on {}", container));
    const Json docs = Json::parse(r.body, nullptr, false).value("Documents", Json::array());
    pool.run(docs.size(), [&](Api& api, size_t i) {
      const std::string id = docs[i].value("id", "");
      Request del{.method = "DELETE", .path = item_path(container, id), .resource_type = "docs",
                  .resource_link = item_link(container, id)};
      del.headers.set("x-ms-documentdb-partitionkey", partition_header(docs[i], key));
      api.call(del, fmt::format("Cosmos DB delete of item '{}' in {}", id, container), {404});
    });
    auto next = r.headers.get("x-ms-continuation");
    if (!next || next->empty()) break;
    req.headers.set("x-ms-continuation", std::string(*next));
  }
}

namespace {

// Bulk writer: each write() converts the whole batch first (a value that
// does not fit fails the call with nothing of the batch written), groups
// the items by partition key value and sends them with `concurrency`
// parallel requests, one partition's items in row order: bulk requests of up
// to 100 items when the container has a single partition key range, else one
// request per item. Cosmos DB has no transactions across partitions: what
// write() sent stays (docs/cosmos.md).
//
// replace: a marker item (id kReplaceMarkerId) is written first, then the
// old items are deleted and the new ones written; commit() deletes the
// marker. An interrupted replace leaves the marker, so the container does
// not look complete: readers warn about it, and the SDKs see it too.
class CosmosWriter final : public BatchWriter {
 public:
  CosmosWriter(CosmosConnection& conn, std::string_view table, const Schema& schema,
               const WriteOptions& options)
      : conn_(conn),
        pool_(conn, conn.endpoint().concurrency),
        table_(table),
        source_(schema),
        mode_(options.mode) {
    if (source_.fields.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("nothing to write into '{}': the source has no columns", table));
    Schema create_schema = source_;
    if (!options.key.empty()) create_schema.primary_key = options.key;
    const bool existed = conn_.exists(table_);
    if (options.mode == WriteMode::create || !existed) conn_.create_table(table_, create_schema);
    key_ = conn_.partition_key(table_);
    for (const auto& p : key_.paths)
      if (!source_.index_of(p) && p != "id")
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("the rows for '{}' have no column '{}', which is the container's "
                                "partition key",
                                table, p),
                    "cosmos");
    id_column_ = source_.index_of("id");
    for (const auto& k : create_schema.primary_key)
      if (auto i = source_.index_of(k)) key_columns_.push_back(*i);
    if (existed && options.mode == WriteMode::replace) {
      write_marker();
      conn_.delete_all_items(table_, key_);
    }
    // Existing properties keep their JSON kind: convert source values to the
    // inferred type ("12" into a number property is written as 12; "abc" is refused).
    Schema target;
    if (existed && (options.mode == WriteMode::append || options.mode == WriteMode::upsert))
      target = conn_.describe(table_);
    for (const auto& f : source_.fields) {
      std::optional<Type> to;
      if (auto idx = target.index_of(f.name); idx && f.name != "id") {
        const Field& t = target.fields[*idx];
        const bool pure = t.native_type.find('|') == std::string::npos &&
                          t.native_type.find("null") == std::string::npos;
        if (pure && t.type.id != f.type.id && t.type.id != TypeId::json) to = t.type;
      }
      convert_to_.push_back(to);
    }
    // Bulk requests go to one partition key range, and polydb does not hash
    // partition keys to ranges: they are used when the container has only
    // one (every container below about 50 GB and 10,000 RU/s).
    if (const auto ranges = conn_.partition_key_ranges(table_); ranges.size() == 1)
      bulk_range_ = ranges[0];
  }

  void write(const Batch& batch) override {
    if (done_) throw Error(ErrorCode::invalid_argument, "write() after commit()", "cosmos");
    if (batch.num_columns() != source_.fields.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("batch has {} columns, the writer was opened with {}",
                              batch.num_columns(), source_.fields.size()),
                  "cosmos");
    std::vector<Item> items(batch.num_rows());
    std::map<std::string, std::vector<size_t>> groups;  // partition key -> rows in order
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      Json doc = to_document(batch, r);
      items[r].id = doc["id"].get<std::string>();
      items[r].partition = partition_header(doc, key_);
      items[r].body = doc.dump();  // serialised once, sent as is
      groups[items[r].partition].push_back(r);
    }
    if (bulk_range_ && !bulk_gone_) {
      const auto tasks = plan_bulk(items, groups);
      pool_.run(tasks.size(), [&](Api& api, size_t t) {
        for (const auto& chunk : tasks[t]) send_bulk(api, items, chunk);
      });
    } else {
      std::vector<const std::vector<size_t>*> work;
      for (const auto& g : groups) work.push_back(&g.second);
      pool_.run(work.size(), [&](Api& api, size_t i) {
        for (size_t r : *work[i]) send_item(api, items[r]);
      });
    }
    rows_ += batch.num_rows();
  }

  WriteResult commit() override {
    if (done_) throw Error(ErrorCode::invalid_argument, "commit() called twice", "cosmos");
    done_ = true;
    if (marker_) {
      Request del{.method = "DELETE", .path = conn_.item_path(table_, kReplaceMarkerId),
                  .resource_type = "docs", .resource_link = conn_.item_link(table_, kReplaceMarkerId)};
      del.headers.set("x-ms-documentdb-partitionkey", marker_header_);
      conn_.api().call(del, fmt::format("Cosmos DB delete of the replace marker in {}", table_),
                       {404});
    }
    logger("cosmos")->info("wrote {} items into {}", rows_, table_);
    return {rows_};
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    if (rows_ > 0 || marker_)
      logger("cosmos")->warn(
          "writer into {} aborted: {} item(s) already written stay (Cosmos DB has no "
          "transactions across partitions){}",
          table_, rows_,
          marker_ ? fmt::format("; the container is incomplete and keeps the marker item '{}'",
                                kReplaceMarkerId)
                  : "");
  }

  ~CosmosWriter() override { abort(); }

 private:
  void send_item(Api& api, Item& item) {
    const bool upsert = mode_ == WriteMode::upsert;
    Request req{.method = "POST",
                .path = conn_.docs_path(table_),
                .resource_type = "docs",
                .resource_link = conn_.docs_link(table_),
                .body = std::move(item.body)};
    req.headers.set("x-ms-documentdb-partitionkey", item.partition);
    if (upsert) req.headers.set("x-ms-documentdb-is-upsert", "True");
    api.call(req, fmt::format("Cosmos DB {} of item '{}' in {}", upsert ? "upsert" : "create",
                              item.id, table_));
  }

  // Sends `rows` in bulk requests until all are written: items refused with a
  // retryable status (429 ...) are sent again after the server's delay or a
  // backoff, from the first refused one on, so a partition's items keep
  // their order.
  void send_bulk(Api& api, std::vector<Item>& items, std::span<const size_t> rows) {
    const std::string what = fmt::format("Cosmos DB bulk {} in {}", op_name(), table_);
    for (size_t done = 0; done < rows.size();) {
      std::optional<std::chrono::milliseconds> wait;
      net::retry(
          retry_policy_,
          [&](const Error& e) {
            return net::RetryAdvice{e.retryable(), wait};
          },
          [&] { done += send_bulk_request(api, items, rows.subspan(done), wait); },
          {.what = what, .log_name = "cosmos"});
    }
  }

  // One bulk request (not atomic, stopping at the first refused item) to the
  // container's only partition key range. Returns how many items of `rows`
  // were written, in order: all, or those before one refused with a retryable
  // status. When the first item is refused retryably, throws a retryable
  // Error and sets `wait` to the server's delay; any other refusal throws.
  size_t send_bulk_request(Api& api, std::vector<Item>& items, std::span<const size_t> rows,
                           std::optional<std::chrono::milliseconds>& wait) {
    std::string body = "[";
    for (size_t r : rows) {
      if (body.size() > 1) body += ',';
      body += mode_ == WriteMode::upsert ? R"({"operationType":"Upsert","partitionKey":)"
                                         : R"({"operationType":"Create","partitionKey":)";
      append_json_quoted(items[r].partition, body);
      body += R"(,"resourceBody":)";
      body += items[r].body;
      body += '}';
    }
    body += ']';
    Request req{.method = "POST",
                .path = conn_.docs_path(table_),
                .resource_type = "docs",
                .resource_link = conn_.docs_link(table_),
                .body = std::move(body)};
    req.headers.set("x-ms-cosmos-is-batch-request", "True");
    req.headers.set("x-ms-cosmos-batch-atomic", "False");
    req.headers.set("x-ms-cosmos-batch-continue-on-error", "False");
    req.headers.set("x-ms-documentdb-partitionkeyrangeid", *bulk_range_);
    const std::string what =
        fmt::format("Cosmos DB bulk {} of {} items in {}", op_name(), rows.size(), table_);
    const net::HttpResponse r = api.call(req, what, {410});
    if (r.status == 410) return send_each_after_split(api, items, rows);
    const Json results = Json::parse(r.body, nullptr, false);
    if (!results.is_array() || results.size() != rows.size())
      throw Error(ErrorCode::connection,
                  fmt::format("{}: the response does not hold {} results", what, rows.size()),
                  "cosmos", r.body.substr(0, 200));
    for (size_t i = 0; i < rows.size(); ++i) {
      const Json& result = results[i];
      const long status = result.value("statusCode", 0L);
      if (status >= 200 && status < 300) continue;
      if (status == 410) return i + send_each_after_split(api, items, rows.subspan(i));
      if (i > 0 && is_retryable_status(status)) return i;
      if (auto ms = result.find("retryAfterMilliseconds"); ms != result.end() && ms->is_number())
        wait = std::chrono::milliseconds(ms->get<int64_t>());
      throw make_error(net::HttpResponse{.status = status, .body = result.dump()},
                       fmt::format("Cosmos DB {} of item '{}' in {} (in a bulk request)", op_name(),
                                   items[rows[i]].id, table_));
    }
    return rows.size();
  }

  // 410 Gone: the partition key range split since the writer looked, so
  // bulk requests by range no longer apply. These items, and the next
  // batches, go one request per item.
  size_t send_each_after_split(Api& api, std::vector<Item>& items, std::span<const size_t> rows) {
    if (!bulk_gone_.exchange(true))
      logger("cosmos")->info("{} has more than one partition key range now: writing item by item",
                             table_);
    for (size_t r : rows) send_item(api, items[r]);
    return rows.size();
  }

  std::string_view op_name() const { return mode_ == WriteMode::upsert ? "upsert" : "create"; }

  void write_marker() {
    Json marker = {{"id", kReplaceMarkerId}};
    for (const auto& p : key_.paths)
      if (p != "id") marker[p] = kReplaceMarkerId;
    marker["polydb_replace_started"] = static_cast<int64_t>(std::time(nullptr));
    marker_header_ = partition_header(marker, key_);
    Request req{.method = "POST", .path = conn_.docs_path(table_), .resource_type = "docs",
                .resource_link = conn_.docs_link(table_), .body = marker.dump()};
    req.headers.set("x-ms-documentdb-partitionkey", marker_header_);
    req.headers.set("x-ms-documentdb-is-upsert", "True");
    conn_.api().call(req, fmt::format("Cosmos DB write of the replace marker in {}", table_));
    marker_ = true;
  }

  Json to_document(const Batch& batch, size_t r) const {
    Json doc = Json::object();
    for (size_t c = 0; c < source_.fields.size(); ++c) {
      const Column& col = batch.column(c);
      try {
        Value v = col.value_at(r);
        if (convert_to_[c] && !v.is_null()) v = coerce_value(v, *convert_to_[c]);
        if (auto j = value_to_json(v)) doc[source_.fields[c].name] = std::move(*j);
      } catch (const Error& e) {
        throw Error(e.code(),
                    fmt::format("row {}, column '{}' of '{}': {}", rows_ + r + 1,
                                source_.fields[c].name, table_, e.message()),
                    "cosmos", e.detail());
      }
    }
    std::string id;
    if (id_column_) {
      const Value v = batch.column(*id_column_).value_at(r);
      id = v.is_null() ? std::string() : v.to_text();
    } else if (!key_columns_.empty()) {
      std::vector<Value> values;
      for (size_t c : key_columns_) values.push_back(batch.column(c).value_at(r));
      std::vector<const Value*> ptrs;
      for (const auto& v : values) ptrs.push_back(&v);
      id = item_id(ptrs);
    } else {
      id = random_id();
    }
    if (id.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("row {} of '{}': the id (or a key column) is NULL", rows_ + r + 1,
                              table_),
                  "cosmos");
    doc["id"] = id;
    return doc;
  }

  CosmosConnection& conn_;
  ApiPool pool_;
  net::RetryPolicy retry_policy_;
  std::optional<std::string> bulk_range_;  // the only partition key range: bulk requests
  std::atomic<bool> bulk_gone_{false};     // it split while writing
  std::string table_;
  Schema source_;
  WriteMode mode_;
  PartitionKey key_;
  std::optional<size_t> id_column_;
  std::vector<size_t> key_columns_;
  std::vector<std::optional<Type>> convert_to_;
  bool marker_ = false;
  std::string marker_header_;
  bool done_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(CosmosConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<CosmosWriter>(conn, table, schema, options);
}

}  // namespace polydb::cosmos
