#pragma once

// The Firestore connection (private to the connector). Tables are
// collections ("users", or "users/u1/orders" for a subcollection); rows are
// documents; the document id is the key.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/document_reader.hpp"
#include "connectors/firestore/api.hpp"
#include "connectors/firestore/query.hpp"
#include "net/retry.hpp"
#include "polydb/connection.hpp"
#include "polydb/uri.hpp"

namespace polydb::firestore {

/// Sends one batchWrite request body and returns the answer: the seam the
/// per-write retry loop is unit-tested through.
using BatchCaller = std::function<Json(const Json& body)>;

/// Sends `writes` (Firestore Write objects) with batchWrite in chunks of at
/// most 500 writes and under 4 MiB (the emulator's request limit), never two writes of one document in a chunk (the later is sent
/// in a later chunk). Writes that fail with a retryable status (ABORTED,
/// UNAVAILABLE, RESOURCE_EXHAUSTED, ...) are resent with backoff; the first
/// other failure throws its classified Error naming the document. Throws
/// Error(throttled) when writes still fail after the policy's attempts.
/// batchWrite is not atomic: writes before a failure stay. A stop request on
/// `stop` ends a backoff wait with Error(cancelled).
void batch_write(const BatchCaller& call, std::vector<Json> writes, const net::RetryPolicy& policy,
                 std::string_view what, net::RetryClock* clock = nullptr,
                 std::stop_token stop = {});

/// Infers a schema from sampled documents by the rule every document store
/// shares (DocumentSchemaBuilder in connectors/common/document_schema.hpp):
/// the union of their top-level fields (the fullest document's order first),
/// each typed by the kinds of value it holds (docs/firestore.md), native_type
/// the kinds joined by '|', then the catch-all `_extra`. A field that holds
/// the document id (integer or string) in every document is the key and
/// comes first; without one, `__id__` (string) is the key.
Schema infer_schema(const std::vector<Json>& documents);

/// The document id: the last segment of a document name.
std::string_view document_id(std::string_view name) noexcept;

class FirestoreConnection final : public Connection {
 public:
  FirestoreConnection(const Uri& uri, const ConnectOptions& options);

  std::string_view backend() const noexcept override { return "firestore"; }
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
  /// A count() aggregation stopped at kEstimateUpTo documents (Firestore
  /// keeps no counts); kEstimateUpTo means at least that many, 0 for an
  /// empty or missing collection.
  std::optional<uint64_t> estimate_rows(std::string_view table) override;
  PingResult ping() override;

  /// Where estimate_rows() stops counting.
  static constexpr uint64_t kEstimateUpTo = 100'000;

  // For the reader and writer of this connector.
  Api& api() noexcept { return api_; }
  /// True when the collection holds at least one document.
  bool exists(const CollectionPath& collection);
  /// Deletes every document of the collection (not their subcollections).
  /// Returns how many.
  uint64_t delete_all(const CollectionPath& collection);
  /// The documents of the collection (a count() aggregation), counted up
  /// to `up_to` when given.
  uint64_t count_documents(std::string_view table, std::optional<uint64_t> up_to);
  /// batch_write() through this connection's Api.
  void write_all(std::vector<Json> writes, std::string_view what);
  /// The document names (full resource names, ascending) that cut the
  /// collection into `count` segments of about equal size, at most
  /// count - 1 (fewer for few documents): segment k reads the names in
  /// [boundary k-1, boundary k). From partitionQuery where the server has it,
  /// else from the collection's names, read once in order (a keys-only
  /// query); computed once per connection and (collection, count) and
  /// cached, so the segments a worker reads share them.
  std::vector<std::string> segment_boundaries(const CollectionPath& collection, uint32_t count);

 private:
  std::string not_found_message(std::string_view table) const;
  /// segment_boundaries() by partitionQuery; nullopt when the server does
  /// not implement it (the emulator).
  std::optional<std::vector<std::string>> partition_query(const CollectionPath& collection,
                                                          uint32_t count);

  Api api_;
  std::string display_;
  /// segment_boundaries() by collection path and count.
  std::map<std::string, std::vector<std::string>, std::less<>> segment_boundaries_;
  bool partition_query_unimplemented_ = false;
};

/// What a reader streams: the pages of one structured query. `order_by` is
/// the order Firestore cannot do (sorted locally).
struct ReaderSetup : DocumentReadSetup {
  std::string parent;  ///< the collection's parent document ("" for root collections)
  Json query;          ///< StructuredQuery with a complete orderBy, without limit/cursor
  std::optional<uint64_t> query_limit;   ///< documents Firestore returns at most
  uint64_t offset = 0;                   ///< documents Firestore skips first
  bool skip = false;                     ///< read nothing (a segment with no names left)
  /// Report resume points (scan() readers): cursors after the last document.
  bool resumable = false;
  std::string collection;  ///< the collection's full name (resume points)
  Json segment;            ///< [index, count] of a partitioned scan; null for a whole scan
  Json names;              ///< the segment's KeySpan::to_json(); null for a whole scan
};
std::unique_ptr<BatchReader> make_reader(FirestoreConnection& conn, ReaderSetup setup);

std::unique_ptr<BatchWriter> make_writer(FirestoreConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);
/// Connection::change_writer (changes.cpp).
std::unique_ptr<ChangeWriter> make_change_writer(FirestoreConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

}  // namespace polydb::firestore
