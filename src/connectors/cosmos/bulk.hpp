#pragma once

// Bulk requests (x-ms-cosmos-is-batch-request, not atomic): up to 100 item
// operations in one request to one physical partition key range. Used by
// the writer (create, upsert) and by replace's delete of the old items.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/partition_hash.hpp"
#include "net/retry.hpp"

namespace polydb::cosmos {

/// Parallel workers, each with its own HTTP client. The clients stay for the
/// next run(), so their connections (and TLS sessions) are reused from one
/// call to the next.
class ApiPool {
 public:
  /// Borrows `conn`, which must outlive the pool.
  ApiPool(const CosmosConnection& conn, unsigned workers);

  /// Runs op(api, i) for i in [0, count) on up to `workers` threads. The
  /// first error stops the others and is rethrown.
  void run(size_t count, const std::function<void(Api&, size_t)>& op);

 private:
  const CosmosConnection& conn_;
  unsigned workers_;
  std::vector<std::unique_ptr<Api>> apis_;
};

/// What a bulk operation does to its item.
enum class BulkKind { create, upsert, remove };

/// One item operation: its id, its partition key header value and, for
/// create and upsert, its document (serialised once, sent as is).
struct BulkOp {
  std::string id;
  std::string partition;  ///< the x-ms-documentdb-partitionkey value, e.g. ["a"]
  std::string body;       ///< the document; empty for remove
  std::string range;      ///< the partition key range id; empty: sent alone
};

/// Requests (lists of indexes into the operations) sent one after the other.
using BulkTask = std::vector<std::vector<size_t>>;

/// Plans the requests of `ops`: tasks run in parallel, the requests of a task
/// in order. A request holds operations of one range only, at most 100 and
/// about 1.5 MB; the operations of one partition key value stay in one task,
/// in their order (small partitions share requests). Operations without a
/// range form requests of their partition's operations, sent one by one. Pure.
std::vector<BulkTask> plan_requests(const std::vector<BulkOp>& ops);

/// Sends item operations of one kind into one container with `concurrency`
/// parallel requests: the operations of a partition key value in their
/// order, bulk requests per partition key range (the ranges come from the
/// container, each operation's by its effective partition key), single
/// requests for an operation whose range is unknown. A 410 (the range split)
/// sends the rest of that request item by item and re-reads the ranges
/// before the next send(). remove treats a missing item as removed.
/// Not thread-safe itself (send() uses its own threads).
class BulkSender {
 public:
  /// Borrows `conn`; reads the container's ranges. Throws the read's Error.
  BulkSender(CosmosConnection& conn, std::string_view container, PartitionKey key, BulkKind kind);

  /// The operation on item `id` of partition key `values` (a JSON array).
  BulkOp op(std::string id, const Json& values, std::string body) const;

  /// Sends `ops`; throws the first failure's Error (what was sent stays).
  void send(std::vector<BulkOp>& ops);

 private:
  void send_task(Api& api, std::vector<BulkOp>& ops, std::span<const std::vector<size_t>> chunks);
  void send_bulk(Api& api, std::vector<BulkOp>& ops, std::span<const size_t> rows);
  size_t send_bulk_request(Api& api, std::vector<BulkOp>& ops, std::span<const size_t> rows,
                           std::optional<std::chrono::milliseconds>& wait);
  size_t send_each_after_split(Api& api, std::vector<BulkOp>& ops, std::span<const size_t> rows);
  void send_one(Api& api, BulkOp& op);
  std::string_view op_name() const;

  CosmosConnection& conn_;
  std::string container_;
  PartitionKey key_;
  BulkKind kind_;
  ApiPool pool_;
  net::RetryPolicy retry_policy_;
  std::vector<KeyRange> ranges_;
  std::atomic<bool> ranges_stale_{false};  // a range split while sending
};

}  // namespace polydb::cosmos
