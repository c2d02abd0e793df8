// Change batches into a DynamoDB table (Connection::change_writer). DynamoDB
// has no transactions: each change is visible once its request returns.
//  - Unconditional: the batch's effective changes (one per key) as
//    BatchWriteItem PutRequest/DeleteRequest, 25 per call, calls in parallel
//    (keys are distinct, so their order does not matter).
//  - With a version column: one PutItem/DeleteItem per change with a
//    ConditionExpression on the stored version; a failed condition means the
//    stored item is as new or newer: the change is skipped. The requests run
//    in parallel on write-concurrency connections, as the bulk writer's.

#include "connectors/common/changes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <thread>

#include "connectors/dynamodb/api_pool.hpp"
#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/items.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

bool condition_failed(const Error& e) {
  return e.code() == ErrorCode::conflict &&
         e.native_code().find("ConditionalCheckFailedException") != std::string::npos;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class DynamoChangeWriter final : public ChangeWriterBase {
 public:
  DynamoChangeWriter(DynamoConnection& conn, std::string_view table, const Schema& schema,
                     const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, "dynamodb", "dynamodb"), conn_(conn) {
    const KeySchema keys = conn_.key_schema(this->table());  // Error(not_found) for a missing table
    std::vector<std::string> table_key = {keys.hash};
    if (!keys.range.empty()) table_key.push_back(keys.range);
    std::vector<std::string> change_key;
    for (size_t i : columns().key) change_key.push_back(this->schema().fields[i].name);
    std::vector<std::string> a = table_key, b = change_key;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the changes to '{}' are keyed by ({}), but the table's key is "
                              "({}): name the table's partition (and sort) key as the key",
                              this->table(), joined(change_key), joined(table_key)),
                  "dynamodb")
          .set_hint(Hint::key_columns);
    encoder_.emplace(conn_.options(), this->table(), this->schema(), keys,
                     conn_.describe(this->table()));
    if (columns().version) version_ = this->schema().fields[*columns().version].name;
  }

 private:
  // DynamoDB has no transactions: a change is visible once its request
  // returns, and a failed request leaves the ones before it applied.
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    // Every request is built before any is sent: a value that does not fit
    // fails the batch with nothing of it written.
    std::vector<Json> requests;
    requests.reserve(rows.size());
    for (size_t r : rows) {
      const uint64_t row_number = applied_rows() + r + 1;
      if (changes.ops[r] == ChangeOp::upsert)
        requests.push_back(
            {{"PutRequest", {{"Item", encoder_->item(changes.rows, r, row_number)}}}});
      else
        requests.push_back(
            {{"DeleteRequest", {{"Key", encoder_->key(changes.rows, r, row_number)}}}});
    }
    if (version_.empty())
      send_bulk(std::move(requests));
    else
      send_conditional(changes, rows, std::move(requests));
  }

  // Runs task(api, i) for i in [0, count) on up to write_concurrency
  // connections (this one and clones kept for the next batch).
  void run_parallel(size_t count, const std::function<void(Api&, size_t)>& task) {
    pool_.run(conn_.options().write_concurrency, count, task);
  }

  void send_bulk(std::vector<Json> requests) {
    bool repeated = false;  // never: effective_changes keeps one change per key
    std::vector<Json> chunks = write_chunks(std::move(requests), encoder_->key_names(), repeated);
    run_parallel(chunks.size(), [&](Api& api, size_t i) {
      std::vector<Json> chunk(std::make_move_iterator(chunks[i].begin()),
                              std::make_move_iterator(chunks[i].end()));
      batch_write(api.caller(), table(), std::move(chunk), api.policy(), nullptr,
                  encoder_->key_names(), api.stop());
    });
  }

  // One PutItem or DeleteItem per change, applied only where the stored item
  // is absent, has no version, or an older one (a remove: not a newer one).
  void send_conditional(const ChangeBatch& changes, const std::vector<size_t>& rows,
                        std::vector<Json> requests) {
    const Column& versions = changes.rows.column(*columns().version);
    std::atomic<uint64_t> stale{0};
    run_parallel(rows.size(), [&](Api& api, size_t i) {
      const size_t r = rows[i];
      const bool upsert = changes.ops[r] == ChangeOp::upsert;
      Json body = {{"TableName", table()}};
      if (upsert)
        body["Item"] = std::move(requests[i]["PutRequest"]["Item"]);
      else
        body["Key"] = std::move(requests[i]["DeleteRequest"]["Key"]);
      body["ConditionExpression"] = fmt::format(
          "attribute_not_exists(#k) OR attribute_not_exists(#v) OR #v {} :v", upsert ? "<" : "<=");
      body["ExpressionAttributeNames"] = {{"#k", encoder_->key_names()[0]}, {"#v", version_}};
      body["ExpressionAttributeValues"] = {{":v", {{"N", std::to_string(versions.int64_at(r))}}}};
      try {
        api.call(upsert ? "PutItem" : "DeleteItem", body,
                 fmt::format("DynamoDB {} on {}", upsert ? "PutItem" : "DeleteItem", table()));
      } catch (const Error& e) {
        if (!condition_failed(e)) throw;
        ++stale;  // the stored item is as new or newer: this change is history
      }
    });
    if (stale > 0)
      logger("dynamodb")
          ->trace("changes into {}: {} stale change(s) skipped", table(), stale.load());
  }

  DynamoConnection& conn_;
  std::string version_;  ///< the version attribute; empty = unconditional
  std::optional<ItemEncoder> encoder_;
  ApiPool pool_{conn_.api()};  ///< the connections changes are sent on
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(DynamoConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<DynamoChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::dynamodb
