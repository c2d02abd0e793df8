// Change batches into a Cosmos DB container (Connection::change_writer).
// Cosmos DB has no transactions across partitions: each change is visible
// once its request returns.
//  - Unconditional: the batch's effective changes (one per key) as bulk
//    upserts (the whole document replaced) and bulk deletes (a missing item
//    is fine), in parallel requests per partition key range.
//  - With a version column: the stored items of the batch's keys are read
//    with one query per 100 ids, then per change a version comparison and a
//    replace with If-Match on the read _etag (a create when there was no
//    item) or a delete with If-Match. A 412 (changed since the read) or 409
//    (created since the read) means someone raced: that item is read again
//    and its change retried.

#include "connectors/common/changes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <unordered_map>

#include "connectors/cosmos/bulk.hpp"
#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/documents.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

// Reads before giving up on a key that other writers keep changing.
constexpr int kRaceAttempts = 10;
// Ids per query that reads the stored items of a batch.
constexpr size_t kReadIds = 100;

// The stored version of `doc`: nullopt when absent, null or not an integer
// (then any change applies, as for a NULL version).
std::optional<int64_t> stored_version(const Json& doc, const std::string& column) {
  auto it = doc.find(column);
  if (it == doc.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

class CosmosChangeWriter final : public ChangeWriterBase {
 public:
  CosmosChangeWriter(CosmosConnection& conn, std::string_view table, const Schema& schema,
                     const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, "cosmos", "cosmos"), conn_(conn) {
    key_ = conn_.partition_key(this->table());  // Error(not_found) for a missing container
    // An item is its id plus its partition key value: both must follow from
    // the change key alone, or a remove (whose other cells may be NULL)
    // could not find its item.
    const auto in_key = [&](std::string_view name) {
      const auto i = this->schema().index_of(name);
      return i && std::find(columns().key.begin(), columns().key.end(), *i) != columns().key.end();
    };
    if (this->schema().index_of("id") && !in_key("id"))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the changes to '{}' have an 'id' column that is not part of their "
                              "key: an item's id must follow from the key (make 'id' the key)",
                              this->table()),
                  "cosmos")
          .set_hint(Hint::key_columns);
    for (const auto& p : key_.paths)
      if (p != "id" && !in_key(p))
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("the container '{}' is partitioned by '{}', which is not part of "
                                "the changes' key: include it in the key",
                                this->table(), p),
                    "cosmos")
            .set_hint(Hint::key_columns);
    encoder_.emplace(this->table(), this->schema(), columns().key, conn_.describe(this->table()));
    if (columns().version) {
      version_ = this->schema().fields[*columns().version].name;
    } else {
      upserts_.emplace(conn_, this->table(), key_, BulkKind::upsert);
      removes_.emplace(conn_, this->table(), key_, BulkKind::remove);
    }
  }

 private:
  // No transactions across partitions: a change is visible once its
  // request returns, and a failed request leaves the ones before it applied.
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    // Every document is built before any is sent: a value that does not fit
    // fails the batch with nothing of it written.
    std::vector<Json> docs;
    docs.reserve(rows.size());
    for (size_t r : rows)
      docs.push_back(encoder_->document(changes.rows, r, applied_rows() + r + 1,
                                        changes.ops[r] == ChangeOp::remove));
    if (version_.empty()) {
      std::vector<BulkOp> puts, deletes;
      for (size_t i = 0; i < rows.size(); ++i) {
        const Json values = partition_values(docs[i], key_);
        std::string id = docs[i]["id"].get<std::string>();
        if (changes.ops[rows[i]] == ChangeOp::upsert)
          puts.push_back(upserts_->op(std::move(id), values, docs[i].dump()));
        else
          deletes.push_back(removes_->op(std::move(id), values, {}));
      }
      // One change per key: the order of the two sends does not matter.
      if (!puts.empty()) upserts_->send(puts);
      if (!deletes.empty()) removes_->send(deletes);
    } else {
      const Column& versions = changes.rows.column(*columns().version);
      for (size_t begin = 0; begin < rows.size(); begin += kReadIds) {
        const size_t end = std::min(rows.size(), begin + kReadIds);
        const std::span<const Json> part(docs.data() + begin, end - begin);
        std::unordered_map<std::string, Item> stored = read_stored(part);
        for (size_t i = begin; i < end; ++i)
          apply_conditional(docs[i], changes.ops[rows[i]], versions.int64_at(rows[i]), stored);
      }
    }
  }

  // Where read_stored() files an item: its id and partition key values.
  std::string item_key(const Json& doc) const {
    return doc.value("id", "") + '\x1f' + partition_values(doc, key_).dump();
  }

  // The stored items of `docs` (found by id with one cross-partition query,
  // paged), by item_key(). A query rather than point reads: one request for
  // the lot, and the emulator fails point reads of missing items with 500.
  std::unordered_map<std::string, Item> read_stored(std::span<const Json> docs) {
    Json ids = Json::array();
    for (const Json& d : docs) ids.push_back(d["id"]);
    const Json body = {{"query", "SELECT * FROM c WHERE ARRAY_CONTAINS(@ids, c.id)"},
                       {"parameters", Json::array({{{"name", "@ids"}, {"value", ids}}})}};
    Request req = conn_.query_request(table(), body, std::nullopt);
    std::unordered_map<std::string, Item> out;
    for (;;) {
      const net::HttpResponse r =
          conn_.api().call(req, fmt::format("Cosmos DB query (stored versions) on {}", table()));
      const Json page = Json::parse(r.body, nullptr, false);
      if (page.is_discarded())
        throw Error(ErrorCode::connection,
                    fmt::format("Cosmos DB query (stored versions) on {}: the response is not "
                                "JSON",
                                table()),
                    "cosmos");
      for (const Json& d : page.value("Documents", Json::array()))
        out[item_key(d)] = Item{d, d.value("_etag", "")};
      auto next = r.headers.get("x-ms-continuation");
      if (!next || next->empty()) break;
      req.headers.set("x-ms-continuation", std::string(*next));
    }
    return out;
  }

  // Applies one change against the item `stored` holds for it (none: absent).
  void apply_conditional(const Json& doc, ChangeOp op, int64_t version,
                         std::unordered_map<std::string, Item>& stored) {
    const std::string id = doc["id"].get<std::string>();
    const Json values = partition_values(doc, key_);
    const std::string where = item_key(doc);
    for (int attempt = 1;; ++attempt) {
      try {
        auto it = stored.find(where);
        const Item* item = it == stored.end() ? nullptr : &it->second;
        const std::optional<int64_t> v = item ? stored_version(item->doc, version_) : std::nullopt;
        if (op == ChangeOp::upsert) {
          if (!item)
            conn_.create_item(table(), doc, values);
          else if (!v || *v < version)
            conn_.replace_item(table(), doc, values, item->etag);
        } else if (item && (!v || *v <= version)) {
          conn_.delete_item(table(), id, values, item->etag);
        }
        return;
      } catch (const Error& e) {
        // 409: created since the read; 412: changed since the read.
        if (e.code() != ErrorCode::conflict || attempt == kRaceAttempts) throw;
        logger("cosmos")->debug(
            "item '{}' in {} changed while its change was applied: "
            "reading it again",
            id, table());
        stored.erase(where);
        for (auto& [k, item] : read_stored(std::span<const Json>(&doc, 1)))
          stored[k] = std::move(item);
      }
    }
  }

  CosmosConnection& conn_;
  PartitionKey key_;
  std::string version_;  ///< the version property; empty = unconditional
  std::optional<DocumentEncoder> encoder_;
  std::optional<BulkSender> upserts_, removes_;  ///< unconditional changes
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(CosmosConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<CosmosChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::cosmos
