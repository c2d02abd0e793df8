#pragma once

// The DynamoDB connection (private to the connector).

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/document_reader.hpp"
#include "connectors/dynamodb/api.hpp"
#include "connectors/dynamodb/types.hpp"
#include "net/retry.hpp"
#include "polydb/connection.hpp"
#include "polydb/uri.hpp"

namespace polydb::dynamodb {

/// The key schema of a table: partition (HASH) and optional sort (RANGE)
/// attribute with their attribute types ("S", "N", "B").
struct KeySchema {
  std::string hash, hash_type;
  std::string range, range_type;  ///< empty without a sort key
  std::vector<std::string> global_indexes;  ///< GSI names (no consistent reads there)
};

/// Options of a dynamodb:// URL besides region, endpoint and credentials.
struct DynamoOptions {
  /// `consistent-read=true`: strongly consistent reads for every Scan and
  /// Query the connection sends (scan(), describe()'s sample, count_rows(),
  /// query() requests that do not set ConsistentRead themselves).
  bool consistent_read = false;
  /// `sets=tags,scores:NS,blobs:BS`: columns written as SS/NS/BS from JSON
  /// arrays (SetType::infer when no type is given).
  std::vector<std::pair<std::string, SetType>> sets;
  /// `write-concurrency=N` (1-32): BatchWriteItem calls a writer keeps in
  /// flight, each on its own connection.
  unsigned write_concurrency = 4;
};
/// Reads `consistent-read` (true/false/1/0/yes/no/on/off) and `sets` from
/// `uri`. Throws Error(invalid_argument) for a bad value, naming it.
DynamoOptions dynamo_options_from_uri(const Uri& uri);

/// Adds ConsistentRead to a Query/Scan `body` (to each table of a
/// BatchGetItem's RequestItems) when `by_option` and the body does not
/// choose itself; throws Error(invalid_argument) when a consistent
/// read would go to a global secondary index (DynamoDB refuses it).
void apply_consistent_read(Json& body, const KeySchema& keys, bool by_option);

/// The requests that read a ScanSpec.
struct ScanRequest {
  std::string operation;  ///< "Scan", "Query" or "BatchGetItem"
  /// Sent in order: one Scan or Query (without Limit / ExclusiveStartKey);
  /// for a key list, one Query per partition key or one BatchGetItem per 100
  /// keys.
  std::vector<Json> calls;
  size_t keys = 0;  ///< distinct keys of a key list; 0 without one
  bool filter_pushed = false;
  /// For ScanPlan::native: "Query {...}", "Query x 12 keys {...}",
  /// "BatchGetItem orders (250 keys in 3 requests) {...}".
  std::string describe() const;
};

/// Translates the spec into requests; `read_columns` are the attributes to
/// project (empty = all). Parallel scans (partition.count > 1) are Scan
/// segments. Otherwise the top-level conjunction decides:
///  - `hash = literal`: a Query; sort key conditions join the key condition;
///  - `hash IN (literals of the key's type)`: a key list, duplicates dropped:
///    BatchGetItem in chunks of 100 when the table has no sort key or the
///    filter has `range = literal`, else one Query per partition key;
///  - otherwise a Scan.
/// Filters DynamoDB can evaluate go into FilterExpression (not BatchGetItem,
/// which has none); the caller still re-checks the whole filter locally
/// (DynamoDB compares only same-typed values). Pure: unit-tested without a
/// server.
ScanRequest build_scan_request(const ScanSpec& spec, const Schema& schema, const KeySchema& keys,
                               const std::vector<std::string>& read_columns);

/// `requests` cut into BatchWriteItem chunks (JSON arrays of at most 25), a
/// new chunk whenever a key repeats within the current one; `repeated` is set
/// when any key appears twice (then the chunks must be sent in order).
std::vector<Json> write_chunks(std::vector<Json> requests, const std::vector<std::string>& key_names,
                               bool& repeated);

/// Sends `requests` (WriteRequest objects: {"PutRequest": ...} or
/// {"DeleteRequest": ...}) for `table` with BatchWriteItem in chunks of 25,
/// resending UnprocessedItems with exponential backoff until every request is
/// done. Throws Error(throttled) when the policy's deadline or attempts run
/// out with items still unprocessed, and whatever `call` throws.
/// `key_names` (the table's key attributes) keep two requests for one key
/// out of the same call, which DynamoDB refuses; the later one wins. A stop
/// request on `stop` ends a backoff wait with Error(cancelled).
void batch_write(const Caller& call, std::string_view table, std::vector<Json> requests,
                 const net::RetryPolicy& policy, net::RetryClock* clock = nullptr,
                 const std::vector<std::string>& key_names = {}, std::stop_token stop = {});

class DynamoConnection final : public Connection {
 public:
  DynamoConnection(const Uri& uri, const ConnectOptions& options);

  std::string_view backend() const noexcept override { return "dynamodb"; }
  std::string display_url() const override { return display_; }
  Capabilities capabilities() const override;

  std::vector<TableInfo> list_tables() override;
  Schema describe(std::string_view table) override;
  std::unique_ptr<BatchReader> scan(const ScanSpec& spec) override;
  std::unique_ptr<BatchReader> query(std::string_view text, std::span<const Value> params,
                                     const QueryOptions& options) override;
  uint64_t execute(std::string_view text, std::span<const Value> params) override;
  std::unique_ptr<BatchWriter> writer(std::string_view table, const Schema& schema,
                                      const WriteOptions& options) override;
  std::unique_ptr<ChangeWriter> change_writer(std::string_view table, const Schema& schema,
                                              const ChangeOptions& options) override;
  void create_table(std::string_view table, const Schema& schema) override;
  void drop_table(std::string_view table, bool if_exists) override;
  std::optional<uint64_t> count_rows(std::string_view table) override;
  /// DescribeTable's ItemCount, which AWS refreshes about every six hours
  /// (dynalite never does: it reports 0); nullopt when the table reports none.
  std::optional<uint64_t> estimate_rows(std::string_view table) override;
  PingResult ping() override;

  // For the reader and writer of this connector.
  Api& api() noexcept { return api_; }
  const DynamoOptions& options() const noexcept { return options_; }
  /// DescribeTable: the key schema; Error(not_found) for an unknown table.
  KeySchema key_schema(std::string_view table);
  bool exists(std::string_view table);
  /// Deletes every item of `table` (Scan of the keys + BatchWriteItem).
  void delete_all_items(std::string_view table, const KeySchema& keys);

 private:
  /// DescribeTable's "Table" object; Error(not_found) naming the table.
  Json describe_table(std::string_view table);

  Api api_;
  DynamoOptions options_;
  ConnectOptions connect_options_;
  std::string display_;
};

/// What a reader streams: the pages of its requests.
struct ReaderSetup : DocumentReadSetup {
  std::string operation;                 ///< "Scan", "Query" or "BatchGetItem"
  std::vector<Json> calls;               ///< sent in order (ScanRequest::calls)
  bool page_limit = true;  ///< send Limit = batch_rows per Scan/Query page
  KeySchema keys;          ///< named in conversion errors
};

/// The responses behind a reader, one page of items at a time: the requests
/// in order, each Scan or Query paged through LastEvaluatedKey, each
/// BatchGetItem resent with its UnprocessedKeys (UnprocessedBackoff between)
/// until none is left. Holds one response at a time. Single-threaded.
class PageSource {
 public:
  /// `call` sends one request (it names it in errors); `clock` is borrowed
  /// (null = the system clock); a stop request on `stop` ends a backoff wait.
  PageSource(Caller call, std::string operation, std::vector<Json> requests,
             net::RetryPolicy policy, net::RetryClock* clock = nullptr,
             std::stop_token stop = {});

  /// The items of the next response (possibly none), or nullopt after the
  /// last. `page_rows` (0 = none) is sent as a Scan/Query's Limit. Throws
  /// what `call` throws, and Error(throttled) when BatchGetItem keys stay
  /// unprocessed after the policy's attempts or deadline.
  std::optional<Json> next(size_t page_rows);
  /// The index in `requests` of the request the next page comes from.
  size_t request() const noexcept { return index_; }

 private:
  Json take_page(Json& response);
  Json take_batch_get(Json& response);
  void next_request();

  Caller call_;
  std::string operation_;
  std::vector<Json> requests_;
  net::RetryPolicy policy_;
  net::RetryClock* clock_;
  std::stop_token stop_;
  size_t index_ = 0;  // the request being sent
  Json body_;         // its next call; null = not started
  int attempt_ = 0;   // calls of this request so far
  std::optional<UnprocessedBackoff> backoff_;
  std::optional<std::chrono::milliseconds> wait_;  // before resending unprocessed keys
};

std::unique_ptr<BatchReader> make_reader(DynamoConnection& conn, ReaderSetup setup);

/// Infers a schema from items by the rule every document store shares
/// (DocumentSchemaBuilder in connectors/common/document_schema.hpp; S values
/// are text, N integer or decimal, B bytes, BOOL boolean, M/L/sets nested):
/// keys first (not nullable; of their declared type when no item has them),
/// then the attributes in the fullest item's order, then newcomers, then the
/// catch-all `_extra`. Native types: the attribute type ("S"), or
/// "inferred:S|N" for a mix.
Schema infer_schema(const std::vector<const Json*>& items, const KeySchema& keys);

std::unique_ptr<BatchWriter> make_writer(DynamoConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);
/// Connection::change_writer (changes.cpp).
std::unique_ptr<ChangeWriter> make_change_writer(DynamoConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

}  // namespace polydb::dynamodb
