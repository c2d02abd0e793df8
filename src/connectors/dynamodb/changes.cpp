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

class DynamoChangeWriter final : public ChangeWriter {
 public:
  DynamoChangeWriter(DynamoConnection& conn, std::string_view table, const Schema& schema,
                     const ChangeOptions& options)
      : conn_(conn), table_(table), schema_(schema) {
    columns_ = change_columns(schema_, options, table_, "dynamodb");
    const KeySchema keys = conn_.key_schema(table_);  // Error(not_found) for a missing table
    std::vector<std::string> table_key = {keys.hash};
    if (!keys.range.empty()) table_key.push_back(keys.range);
    std::vector<std::string> change_key;
    for (size_t i : columns_.key) change_key.push_back(schema_.fields[i].name);
    std::vector<std::string> a = table_key, b = change_key;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the changes to '{}' are keyed by ({}), but the table's key is "
                              "({}): name the table's partition (and sort) key as the key",
                              table_, joined(change_key), joined(table_key)),
                  "dynamodb")
          .set_hint(Hint::key_columns);
    encoder_.emplace(conn_.options(), table_, schema_, keys, conn_.describe(table_));
    if (columns_.version) version_ = schema_.fields[*columns_.version].name;
  }

  void apply(const ChangeBatch& changes) override {
    if (closed_)
      throw Error(ErrorCode::invalid_argument, "apply() on a change writer after abort()",
                  "dynamodb");
    if (changes.rows.num_columns() != schema_.fields.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("a change batch has {} columns, the change writer into '{}' was "
                              "opened with {}",
                              changes.rows.num_columns(), table_, schema_.fields.size()),
                  "dynamodb");
    const std::vector<size_t> rows = effective_changes(changes, columns_, "dynamodb");
    // Every request is built before any is sent: a value that does not fit
    // fails the batch with nothing of it written.
    std::vector<Json> requests;
    requests.reserve(rows.size());
    for (size_t r : rows) {
      const uint64_t row_number = seen_ + r + 1;
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
    for (ChangeOp op : changes.ops) ++(op == ChangeOp::upsert ? result_.upserts : result_.removes);
    seen_ += changes.rows.num_rows();
  }

  ChangeResult commit() override {
    if (closed_)
      throw Error(ErrorCode::invalid_argument, "commit() on a change writer after abort()",
                  "dynamodb");
    // Nothing is buffered: apply() sent every change before it returned.
    logger("dynamodb")
        ->debug("changes into {}: {} upsert(s), {} remove(s) so far", table_, result_.upserts,
                result_.removes);
    return result_;
  }

  void abort() noexcept override { closed_ = true; }

 private:
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
      batch_write(api.caller(), table_, std::move(chunk), api.policy(), nullptr,
                  encoder_->key_names(), api.stop());
    });
  }

  // One PutItem or DeleteItem per change, applied only where the stored item
  // is absent, has no version, or an older one (a remove: not a newer one).
  void send_conditional(const ChangeBatch& changes, const std::vector<size_t>& rows,
                        std::vector<Json> requests) {
    const Column& versions = changes.rows.column(*columns_.version);
    std::atomic<uint64_t> stale{0};
    run_parallel(rows.size(), [&](Api& api, size_t i) {
      const size_t r = rows[i];
      const bool upsert = changes.ops[r] == ChangeOp::upsert;
      Json body = {{"TableName", table_}};
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
                 fmt::format("DynamoDB {} on {}", upsert ? "PutItem" : "DeleteItem", table_));
      } catch (const Error& e) {
        if (!condition_failed(e)) throw;
        ++stale;  // the stored item is as new or newer: this change is history
      }
    });
    if (stale > 0)
      logger("dynamodb")
          ->trace("changes into {}: {} stale change(s) skipped", table_, stale.load());
  }

  DynamoConnection& conn_;
  std::string table_;
  Schema schema_;
  ChangeColumns columns_;
  std::string version_;  ///< the version attribute; empty = unconditional
  std::optional<ItemEncoder> encoder_;
  ApiPool pool_{conn_.api()};  ///< the connections changes are sent on
  ChangeResult result_;
  uint64_t seen_ = 0;  ///< change rows applied before this batch (for row numbers in errors)
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(DynamoConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<DynamoChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::dynamodb
