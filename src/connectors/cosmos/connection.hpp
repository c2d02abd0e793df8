#pragma once

// The Cosmos DB connection (private to the connector). Tables are the
// containers of the URL's database; an item's identity is its partition key
// value(s) plus its `id`.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/document_reader.hpp"
#include "connectors/common/key_boundaries.hpp"
#include "connectors/cosmos/api.hpp"
#include "polydb/connection.hpp"
#include "polydb/uri.hpp"

namespace polydb::cosmos {

/// The id of the marker item a replace writes first and deletes on commit:
/// while it exists the container's contents are incomplete.
inline constexpr std::string_view kReplaceMarkerId = "polydb-replace-in-progress";

/// A container's partition key: top-level property names of its paths
/// ("/tenant" -> "tenant"); several for hierarchical (MultiHash) keys.
struct PartitionKey {
  std::vector<std::string> paths;  ///< property names, without '/'
  std::string kind = "Hash";       ///< "Hash" or "MultiHash"
  int version = 1;                 ///< hashing version (2 for MultiHash and newer Hash keys)
  /// The partition key definition for a create request.
  Json definition() const;
};

struct KeyRange;  // connectors/cosmos/partition_hash.hpp

/// A Cosmos SQL query built from a ScanSpec.
struct ScanQuery {
  std::string text;                  ///< e.g. SELECT VALUE {...} FROM c WHERE ...
  Json parameters = Json::array();   ///< [{"name": "@p0", "value": ...}]
  std::optional<Json> partition_key; ///< the x-ms-documentdb-partitionkey value when fixed
  bool filter_pushed = false;        ///< every conjunct went into WHERE
  bool limit_pushed = false;         ///< TOP n (single-partition queries only)
  std::string describe() const;      ///< for ScanPlan::native
};

/// Translates the spec: the projection into SELECT VALUE {"name": c["name"], ...}
/// (`read_columns` empty = SELECT *), the conjuncts that Cosmos evaluates as
/// polydb does into WHERE with @p0... parameters (values are never spliced),
/// `ids` (a segment's share of its partition key range) into c["id"] >=
/// @from AND c["id"] < @to, equality on every partition
/// key property into a partition key header, and the limit into TOP when the
/// query stays in one partition and has no order (the gateway cannot run
/// cross-partition TOP/ORDER BY for REST clients). Pure: unit-tested without
/// a server.
ScanQuery build_scan_query(const ScanSpec& spec, const Schema& schema, const PartitionKey& key,
                           const std::vector<std::string>& read_columns, const KeySpan& ids = {});

/// `name` quoted as a Cosmos SQL property access: c["name"] (JSON string escapes).
std::string property_ref(std::string_view name);

/// One item as the server returned it, with its etag.
struct Item {
  Json doc;
  std::string etag;
};

class CosmosConnection final : public Connection {
 public:
  CosmosConnection(const Uri& uri, const ConnectOptions& options);
  /// Logs the request charge of the connection's life (info: `polydb -v`).
  ~CosmosConnection() override;

  std::string_view backend() const noexcept override { return "cosmos"; }
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
  /// documentsCount of the container's x-ms-resource-usage header (a
  /// container read with quota information); nullopt when the server sends
  /// none (the emulator). Error(not_found) for an unknown container.
  std::optional<uint64_t> estimate_rows(std::string_view table) override;
  PingResult ping() override;
  std::optional<RequestCost> request_cost() const override;

  // Item operations (the document API beyond tables). `partition_key` is the
  // item's partition key value(s) as a JSON array (["tenant-1"], ["t", 7]).
  // Errors: not_found for a missing item or container, conflict for an
  // existing id (create) or an etag mismatch (If-Match, HTTP 412).
  Item create_item(std::string_view container, const Json& doc, const Json& partition_key);
  Item upsert_item(std::string_view container, const Json& doc, const Json& partition_key);
  /// Replaces the item with doc's id; with `if_match` only if its etag is still that.
  Item replace_item(std::string_view container, const Json& doc, const Json& partition_key,
                    std::string_view if_match = {});
  /// A point read; nullopt when there is no such item.
  std::optional<Item> read_item(std::string_view container, std::string_view id,
                                const Json& partition_key);
  /// True when an item was deleted, false when there was none.
  bool delete_item(std::string_view container, std::string_view id, const Json& partition_key,
                   std::string_view if_match = {});
  /// Partial update: `operations` as the REST API takes them
  /// ([{"op": "set", "path": "/qty", "value": 3}, {"op": "incr", ...}]).
  Item patch_item(std::string_view container, std::string_view id, const Json& partition_key,
                  const Json& operations, std::string_view if_match = {});

  // Containers, items and pages, for the reader, the writer and tests.
  Api& api() noexcept { return api_; }
  const Endpoint& endpoint() const noexcept { return endpoint_; }
  std::shared_ptr<CostMeter> meter() const { return meter_; }
  /// A new Api on its own HTTP client sharing this connection's meter (writer workers).
  std::unique_ptr<Api> new_api() const;
  /// The container's partition key; Error(not_found) for an unknown container.
  PartitionKey partition_key(std::string_view container);
  /// partition_key() for its not_found: a missing item's 404 and a missing
  /// container's 404 look alike, so the container is checked.
  void partition_key_of_existing(std::string_view container) { partition_key(container); }
  bool exists(std::string_view container);
  /// Creates the container with `key` unless it exists; true when created.
  bool create_container(std::string_view container, const PartitionKey& key);
  /// The ids of the container's physical partition key ranges.
  std::vector<std::string> partition_key_ranges(std::string_view container);
  /// The container's physical partition key ranges with their bounds, sorted by min.
  std::vector<KeyRange> key_ranges(std::string_view container);
  /// The ids that cut the items of partition key range `range` of
  /// `container` into `pieces` runs of about equal size, in the server's
  /// order of ids (ascending; at most pieces - 1, fewer for few items): for
  /// segments of a scan that outnumber the ranges. Read once per connection
  /// (an ORDER BY query of the ids of the whole range, streamed) and cached,
  /// so the segments a worker reads share them.
  std::vector<std::string> id_boundaries(std::string_view container, std::string_view range,
                                         uint32_t pieces);
  /// Deletes every item (a key-only query, then deletes in parallel).
  void delete_all_items(std::string_view container, const PartitionKey& key);
  /// Up to `n` documents of the container (for inference), fewer when they
  /// take more than 16 MB.
  std::vector<Json> sample(std::string_view container, size_t n);
  /// The request of a query against `container`'s items.
  Request query_request(std::string_view container, const Json& body,
                        const std::optional<Json>& partition_key) const;
  /// Item paths and links.
  std::string docs_path(std::string_view container) const;
  std::string docs_link(std::string_view container) const;
  std::string item_path(std::string_view container, std::string_view id) const;
  std::string item_link(std::string_view container, std::string_view id) const;

 private:
  /// GET of the container (with quota information when `quota`);
  /// Error(not_found) for an unknown container.
  net::HttpResponse read_container(std::string_view container, bool quota);

  Endpoint endpoint_;
  std::shared_ptr<CostMeter> meter_;
  net::HttpOptions http_;
  Api api_;
  std::string display_;
  /// id_boundaries() by container, range and pieces.
  std::map<std::string, std::vector<std::string>, std::less<>> id_boundaries_;
};

/// What a reader streams: the pages of one query (or several, one per
/// partition key range of a partitioned scan).
struct ReaderSetup : DocumentReadSetup {
  std::string container;
  Json body;                             ///< {"query": ..., "parameters": [...]}
  std::optional<Json> partition_key;     ///< x-ms-documentdb-partitionkey
  std::vector<std::string> ranges;       ///< pkrange ids to read one by one; empty = all
  bool skip = false;                     ///< read nothing (a partition with no range)
  std::vector<std::string> key_paths;    ///< for inference of query() results
  bool warn_incomplete = false;          ///< hide the replace marker and warn if seen
  /// Report resume points (scan() readers): x-ms-continuation tokens.
  bool resumable = false;
  Json segment;  ///< [index, count] of a partitioned scan; null for a whole scan
  Json ids;      ///< KeySpan::to_json() of a segment sharing its range; null otherwise
};
std::unique_ptr<BatchReader> make_reader(CosmosConnection& conn, ReaderSetup setup);

std::unique_ptr<BatchWriter> make_writer(CosmosConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options);
/// Connection::change_writer (changes.cpp).
std::unique_ptr<ChangeWriter> make_change_writer(CosmosConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options);

/// The documentsCount of an x-ms-resource-usage header value
/// ("...;documentsCount=42;..."); nullopt without a valid one. Pure.
std::optional<uint64_t> documents_count(std::string_view resource_usage);

/// The id polydb gives a row: the "id" column's text, else the key columns'
/// texts joined by '|' (each with '%', '|', '/', '\\', '?' and '#'
/// percent-encoded, which ids may not contain). Empty when a key is NULL.
std::string item_id(const std::vector<const Value*>& key_values);

}  // namespace polydb::cosmos
