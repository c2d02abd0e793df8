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

#include "connectors/common/document_schema.hpp"
#include "connectors/common/write_plan.hpp"
#include "connectors/cosmos/bulk.hpp"
#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/documents.hpp"
#include "connectors/cosmos/errors.hpp"
#include "connectors/cosmos/types.hpp"
#include "core/encoding.hpp"
#include "core/log.hpp"
#include "net/retry.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

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
  // The ids of a page are deleted with bulk requests before the next page is
  // read: memory stays at one page whatever the container's size.
  BulkSender sender(*this, container, key, BulkKind::remove);
  for (;;) {
    const net::HttpResponse r = api_.call(req, fmt::format("Cosmos DB query (ids) on {}", container));
    const Json docs = Json::parse(r.body, nullptr, false).value("Documents", Json::array());
    std::vector<BulkOp> ops;
    ops.reserve(docs.size());
    for (const auto& d : docs)
      ops.push_back(sender.op(d.value("id", ""), partition_values(d, key), {}));
    sender.send(ops);
    auto next = r.headers.get("x-ms-continuation");
    if (!next || next->empty()) break;
    req.headers.set("x-ms-continuation", std::string(*next));
  }
}

namespace {

// Bulk writer: each write() converts the whole batch first (a value that
// does not fit fails the call with nothing of the batch written), then a
// BulkSender sends the items with `concurrency` parallel bulk requests of up
// to 100 items, grouped by partition key range (by the hash of each item's
// partition key value), one partition's items in row order. Cosmos DB has
// no transactions across partitions: what write() sent stays (docs/cosmos.md).
//
// replace: a marker item (id kReplaceMarkerId) is written first, then the
// old items are deleted and the new ones written; commit() deletes the
// marker. An interrupted replace leaves the marker, so the container does
// not look complete: readers warn about it, and the SDKs see it too.
class CosmosWriter final : public BatchWriter {
 public:
  CosmosWriter(CosmosConnection& conn, std::string_view table, const Schema& schema,
               const WriteOptions& options)
      : conn_(conn), table_(table), source_(schema) {
    check_writable_source(source_, table, "cosmos");
    const Schema create_schema = schema_to_create(source_, options);
    const DirectTarget plan =
        direct_target(options.mode, conn_.exists(table_), table, conn_.display_url(), "cosmos");
    if (plan.create) conn_.create_table(table_, create_schema);
    key_ = conn_.partition_key(table_);
    for (const auto& p : key_.paths)
      if (!source_.index_of(p) && p != "id")
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("the rows for '{}' have no column '{}', which is the container's "
                                "partition key",
                                table, p),
                    "cosmos");
    std::vector<size_t> key_columns;
    for (const auto& k : create_schema.primary_key)
      if (auto i = source_.index_of(k)) key_columns.push_back(*i);
    // Existing properties keep their JSON kind: convert source values to the
    // inferred type ("12" into a number property is written as 12; "abc" is refused).
    Schema target;
    if (plan.keep_types) target = conn_.describe(table_);
    // Before a replace deletes anything: a bad `_extra` column fails first.
    encoder_.emplace(table_, source_, std::move(key_columns), target);
    if (plan.clear) {
      write_marker();
      conn_.delete_all_items(table_, key_);
    }
    sender_.emplace(conn_, table_, key_,
                    options.mode == WriteMode::upsert ? BulkKind::upsert : BulkKind::create);
  }

  void write(const Batch& batch) override {
    if (done_) throw finished_writer("write()", table_, false, "cosmos");
    check_batch_columns(batch, source_, "cosmos");
    std::vector<BulkOp> ops;
    ops.reserve(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      Json doc = encoder_->document(batch, r, rows_ + r + 1);
      std::string id = doc["id"].get<std::string>();
      ops.push_back(sender_->op(std::move(id), partition_values(doc, key_), doc.dump()));
    }
    sender_->send(ops);
    rows_ += batch.num_rows();
  }

  WriteResult commit() override {
    if (done_) throw finished_writer("commit()", table_, false, "cosmos");
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
  void write_marker() {
    Json marker = {{"id", kReplaceMarkerId}};
    for (const auto& p : key_.paths)
      if (p != "id") marker[p] = kReplaceMarkerId;
    marker["polydb_replace_started"] = static_cast<int64_t>(std::time(nullptr));
    marker_header_ = partition_values(marker, key_).dump();
    Request req{.method = "POST", .path = conn_.docs_path(table_), .resource_type = "docs",
                .resource_link = conn_.docs_link(table_), .body = marker.dump()};
    req.headers.set("x-ms-documentdb-partitionkey", marker_header_);
    req.headers.set("x-ms-documentdb-is-upsert", "True");
    conn_.api().call(req, fmt::format("Cosmos DB write of the replace marker in {}", table_));
    marker_ = true;
  }

  CosmosConnection& conn_;
  std::string table_;
  Schema source_;
  PartitionKey key_;
  std::optional<DocumentEncoder> encoder_;
  std::optional<BulkSender> sender_;
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
