#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <map>
#include <thread>
#include <unordered_set>

#include "connectors/common/document_schema.hpp"
#include "connectors/common/write_plan.hpp"
#include "connectors/dynamodb/api_pool.hpp"
#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/items.hpp"
#include "connectors/dynamodb/types.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// BatchWriteItem takes at most 25 requests.
constexpr size_t kBatchWriteMax = 25;

// The key of a PutRequest/DeleteRequest, to keep duplicates out of one call
// (BatchWriteItem refuses a call that names one key twice).
std::string request_key(const Json& request, const std::vector<std::string>& key_names) {
  const Json* item = nullptr;
  if (auto p = request.find("PutRequest"); p != request.end()) item = &p->at("Item");
  else if (auto d = request.find("DeleteRequest"); d != request.end()) item = &d->at("Key");
  if (!item) return {};
  std::string out;
  for (const auto& k : key_names)
    if (auto it = item->find(k); it != item->end()) out += it->dump() + "\x1f";
  if (key_names.empty()) out = item->dump();
  return out;
}

void send_chunk(const Caller& call, std::string_view table, Json chunk,
                const net::RetryPolicy& policy, net::RetryClock& clock, std::stop_token stop) {
  Json body;
  const size_t size = chunk.size();
  body["RequestItems"][std::string(table)] = std::move(chunk);
  UnprocessedBackoff backoff(policy, &clock, fmt::format("DynamoDB BatchWriteItem on {}", table),
                             "item(s)", size, std::move(stop));
  for (int attempt = 1;; ++attempt) {
    const Json r = call("BatchWriteItem", body);
    auto un = r.find("UnprocessedItems");
    if (un == r.end() || un->empty()) return;
    size_t left = 0;
    for (auto it = un->begin(); it != un->end(); ++it) left += it.value().size();
    if (left == 0) return;
    // UnprocessedItems means throttling or a partition at its limit: back off.
    backoff.sleep(backoff.delay(left, attempt));
    body["RequestItems"] = *un;
  }
}

}  // namespace

std::vector<Json> write_chunks(std::vector<Json> requests, const std::vector<std::string>& key_names,
                               bool& repeated) {
  std::vector<Json> chunks;
  std::unordered_set<std::string> all_keys;
  Json chunk = Json::array();
  std::vector<std::string> chunk_keys;
  repeated = false;
  for (auto& r : requests) {
    std::string key = request_key(r, key_names);
    const bool dup = std::find(chunk_keys.begin(), chunk_keys.end(), key) != chunk_keys.end();
    repeated = repeated || !all_keys.insert(key).second;
    if (chunk.size() == kBatchWriteMax || dup) {
      chunks.push_back(std::move(chunk));
      chunk = Json::array();
      chunk_keys.clear();
    }
    chunk.push_back(std::move(r));
    chunk_keys.push_back(std::move(key));
  }
  if (!chunk.empty()) chunks.push_back(std::move(chunk));
  return chunks;
}

void batch_write(const Caller& call, std::string_view table, std::vector<Json> requests,
                 const net::RetryPolicy& policy, net::RetryClock* clock,
                 const std::vector<std::string>& key_names, std::stop_token stop) {
  net::RetryClock& c = clock ? *clock : net::system_retry_clock();
  bool repeated = false;
  for (Json& chunk : write_chunks(std::move(requests), key_names, repeated))
    send_chunk(call, table, std::move(chunk), policy, c, stop);
}

namespace {

// Bulk writer over BatchWriteItem. DynamoDB has no transactions: every
// write() is sent before it returns, so commit() only reports and abort()
// cannot undo anything (documented in docs/dynamodb.md). A write() converts
// all its rows before sending any, so a value that does not fit fails the
// call with nothing of that batch written.
class DynamoWriter final : public BatchWriter {
 public:
  DynamoWriter(DynamoConnection& conn, std::string_view table, const Schema& schema,
               const WriteOptions& options)
      : conn_(conn), table_(table), source_(schema) {
    check_writable_source(source_, table, "dynamodb");
    const DirectTarget plan =
        direct_target(options.mode, conn_.exists(table_), table, conn_.display_url(), "dynamodb");
    if (plan.create) conn_.create_table(table_, schema_to_create(source_, options));
    // Not atomic: the old items are deleted first, then the new ones written.
    if (plan.clear) conn_.delete_all_items(table_, conn_.key_schema(table_));
    keys_ = conn_.key_schema(table_);
    key_names_ = {keys_.hash};
    if (!keys_.range.empty()) key_names_.push_back(keys_.range);
    // Existing attributes keep their type: convert source values to it
    // ("12" into a numeric attribute is stored as N 12; "abc" is refused).
    Schema target;
    if (plan.keep_types) target = conn_.describe(table_);
    encoder_.emplace(conn_.options(), table_, source_, keys_, target);
  }

  void write(const Batch& batch) override {
    if (done_) throw finished_writer("write()", table_, false, "dynamodb");
    check_batch_columns(batch, source_, "dynamodb");
    std::vector<Json> requests;
    requests.reserve(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r)
      requests.push_back({{"PutRequest", {{"Item", encoder_->item(batch, r, rows_ + r + 1)}}}});
    send(std::move(requests));
    rows_ += batch.num_rows();
  }

  WriteResult commit() override {
    if (done_) throw finished_writer("commit()", table_, false, "dynamodb");
    done_ = true;
    logger("dynamodb")->info("wrote {} items into {}", rows_, table_);
    return {rows_};
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    if (rows_ > 0)
      logger("dynamodb")->warn(
          "writer into {} aborted: {} item(s) already written stay (DynamoDB has no "
          "transactions)",
          table_, rows_);
  }

  ~DynamoWriter() override { abort(); }

 private:
  // Sends the chunks of one write() on up to write_concurrency connections,
  // or in order on one when a key repeats (the later request must win).
  void send(std::vector<Json> requests) {
    bool repeated = false;
    std::vector<Json> chunks = write_chunks(std::move(requests), key_names_, repeated);
    pool_.run(repeated ? 1 : conn_.options().write_concurrency, chunks.size(),
              [&](Api& api, size_t i) {
                send_chunk(api.caller(), table_, std::move(chunks[i]), api.policy(),
                           net::system_retry_clock(), api.stop());
              });
  }

  DynamoConnection& conn_;
  std::string table_;
  Schema source_;
  KeySchema keys_;
  std::vector<std::string> key_names_;
  std::optional<ItemEncoder> encoder_;
  ApiPool pool_{conn_.api()};  ///< the connections batches are sent on
  bool done_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(DynamoConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<DynamoWriter>(conn, table, schema, options);
}

}  // namespace polydb::dynamodb
