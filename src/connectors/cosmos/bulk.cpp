#include "connectors/cosmos/bulk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <map>
#include <thread>

#include "connectors/cosmos/errors.hpp"
#include "core/encoding.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

ApiPool::ApiPool(const CosmosConnection& conn, unsigned workers)
    : conn_(conn), workers_(std::max(workers, 1u)) {}

void ApiPool::run(size_t count, const std::function<void(Api&, size_t)>& op) {
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

namespace {

// Bulk requests hold at most 100 operations (the service's limit) and stay
// under its 2 MB request size.
constexpr size_t kBulkItems = 100;
constexpr size_t kBulkBytes = 1'500'000;

using Groups = std::map<std::string_view, std::vector<size_t>>;  // partition -> ops in order

// Requests of at most kBulkItems operations and about kBulkBytes, grouped
// into tasks: the operations of a partition key share a request (or a task),
// in order. Small groups are packed together.
void plan_bulk(const std::vector<BulkOp>& ops, const Groups& groups, std::vector<BulkTask>& tasks) {
  auto cost = [&](size_t r) { return ops[r].body.size() + ops[r].partition.size() + 64; };
  std::vector<size_t> shared;
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
}

std::string_view operation_type(BulkKind kind) {
  switch (kind) {
    case BulkKind::create:
      return "Create";
    case BulkKind::upsert:
      return "Upsert";
    case BulkKind::remove:
      return "Delete";
  }
  return "";
}

// One operation of a bulk request body.
void append_operation(const BulkOp& op, BulkKind kind, std::string& body) {
  body += R"({"operationType":")";
  body += operation_type(kind);
  body += R"(","partitionKey":)";
  append_json_quoted(op.partition, body);
  if (kind == BulkKind::remove) {
    body += R"(,"id":)";
    append_json_quoted(op.id, body);
  } else {
    body += R"(,"resourceBody":)";
    body += op.body;
  }
  body += '}';
}

}  // namespace

std::vector<BulkTask> plan_requests(const std::vector<BulkOp>& ops) {
  std::map<std::string_view, Groups> by_range;  // range -> partition -> ops in order
  for (size_t i = 0; i < ops.size(); ++i) by_range[ops[i].range][ops[i].partition].push_back(i);
  std::vector<BulkTask> tasks;
  for (const auto& [range, groups] : by_range) {
    if (!range.empty()) {
      plan_bulk(ops, groups, tasks);
      continue;
    }
    for (const auto& g : groups) tasks.push_back({g.second});  // no range: one by one
  }
  return tasks;
}

BulkSender::BulkSender(CosmosConnection& conn, std::string_view container, PartitionKey key,
                       BulkKind kind)
    : conn_(conn),
      container_(container),
      key_(std::move(key)),
      kind_(kind),
      pool_(conn, conn.endpoint().concurrency),
      ranges_(conn.key_ranges(container)) {}

BulkOp BulkSender::op(std::string id, const Json& values, std::string body) const {
  BulkOp op{.id = std::move(id), .partition = values.dump(), .body = std::move(body)};
  if (ranges_.size() == 1) {
    op.range = ranges_[0].id;  // every value is in it: no hashing
  } else if (const KeyRange* r = range_of(ranges_, effective_partition_key(values, key_))) {
    op.range = r->id;
  }
  return op;
}

void BulkSender::send(std::vector<BulkOp>& ops) {
  if (ranges_stale_.exchange(false)) {
    ranges_ = conn_.key_ranges(container_);
    for (auto& o : ops) o = op(std::move(o.id), Json::parse(o.partition), std::move(o.body));
  }
  const std::vector<BulkTask> tasks = plan_requests(ops);
  pool_.run(tasks.size(), [&](Api& api, size_t t) { send_task(api, ops, tasks[t]); });
}

void BulkSender::send_task(Api& api, std::vector<BulkOp>& ops,
                           std::span<const std::vector<size_t>> chunks) {
  for (const auto& chunk : chunks) {
    if (!ops[chunk.front()].range.empty()) {
      send_bulk(api, ops, chunk);
      continue;
    }
    for (size_t r : chunk) send_one(api, ops[r]);
  }
}

// Sends `rows` in bulk requests until all are done: operations refused with
// a retryable status (429 ...) are sent again after the server's delay or a
// backoff, from the first refused one on, so a partition's operations keep
// their order.
void BulkSender::send_bulk(Api& api, std::vector<BulkOp>& ops, std::span<const size_t> rows) {
  const std::string what = fmt::format("Cosmos DB bulk {} in {}", op_name(), container_);
  for (size_t done = 0; done < rows.size();) {
    std::optional<std::chrono::milliseconds> wait;
    net::retry(
        retry_policy_,
        [&](const Error& e) {
          return net::RetryAdvice{e.retryable(), wait};
        },
        [&] { done += send_bulk_request(api, ops, rows.subspan(done), wait); },
        {.what = what, .log_name = "cosmos"});
  }
}

// One bulk request (not atomic, stopping at the first refused operation) to
// the range of rows[0]. Returns how many operations of `rows` were done, in
// order: all, or those before one refused with a retryable status. When the
// first is refused retryably, throws a retryable Error and sets `wait` to
// the server's delay; any other refusal throws.
size_t BulkSender::send_bulk_request(Api& api, std::vector<BulkOp>& ops,
                                     std::span<const size_t> rows,
                                     std::optional<std::chrono::milliseconds>& wait) {
  std::string body = "[";
  for (size_t r : rows) {
    if (body.size() > 1) body += ',';
    append_operation(ops[r], kind_, body);
  }
  body += ']';
  Request req{.method = "POST",
              .path = conn_.docs_path(container_),
              .resource_type = "docs",
              .resource_link = conn_.docs_link(container_),
              .body = std::move(body)};
  req.headers.set("x-ms-cosmos-is-batch-request", "True");
  req.headers.set("x-ms-cosmos-batch-atomic", "False");
  // Removes go on past a missing item (404, which counts as removed): else
  // every later operation of the request would fail with 424.
  req.headers.set("x-ms-cosmos-batch-continue-on-error",
                  kind_ == BulkKind::remove ? "True" : "False");
  req.headers.set("x-ms-documentdb-partitionkeyrangeid", ops[rows[0]].range);
  const std::string what =
      fmt::format("Cosmos DB bulk {} of {} items in {}", op_name(), rows.size(), container_);
  const net::HttpResponse r = api.call(req, what, {410});
  if (r.status == 410) return send_each_after_split(api, ops, rows);
  const Json results = Json::parse(r.body, nullptr, false);
  if (!results.is_array() || results.size() != rows.size())
    throw Error(ErrorCode::connection,
                fmt::format("{}: the response does not hold {} results", what, rows.size()),
                "cosmos", r.body.substr(0, 200));
  for (size_t i = 0; i < rows.size(); ++i) {
    const Json& result = results[i];
    const long status = result.value("statusCode", 0L);
    if ((status >= 200 && status < 300) || (status == 404 && kind_ == BulkKind::remove)) continue;
    if (status == 410) return i + send_each_after_split(api, ops, rows.subspan(i));
    if (i > 0 && is_retryable_status(status)) return i;
    if (auto ms = result.find("retryAfterMilliseconds"); ms != result.end() && ms->is_number())
      wait = std::chrono::milliseconds(ms->get<int64_t>());
    throw make_error(net::HttpResponse{.status = status, .body = result.dump()},
                     fmt::format("Cosmos DB {} of item '{}' in {} (in a bulk request)", op_name(),
                                 ops[rows[i]].id, container_));
  }
  return rows.size();
}

// 410 Gone: the partition key range split since the ranges were read. These
// operations go one request each; the next send() re-reads the ranges.
size_t BulkSender::send_each_after_split(Api& api, std::vector<BulkOp>& ops,
                                         std::span<const size_t> rows) {
  if (!ranges_stale_.exchange(true))
    logger("cosmos")->info("a partition key range of {} split: re-reading the ranges", container_);
  for (size_t r : rows) send_one(api, ops[r]);
  return rows.size();
}

void BulkSender::send_one(Api& api, BulkOp& op) {
  const std::string what =
      fmt::format("Cosmos DB {} of item '{}' in {}", op_name(), op.id, container_);
  if (kind_ == BulkKind::remove) {
    Request del{.method = "DELETE",
                .path = conn_.item_path(container_, op.id),
                .resource_type = "docs",
                .resource_link = conn_.item_link(container_, op.id)};
    del.headers.set("x-ms-documentdb-partitionkey", op.partition);
    api.call(del, what, {404});
    return;
  }
  Request req{.method = "POST",
              .path = conn_.docs_path(container_),
              .resource_type = "docs",
              .resource_link = conn_.docs_link(container_),
              .body = op.body};
  req.headers.set("x-ms-documentdb-partitionkey", op.partition);
  if (kind_ == BulkKind::upsert) req.headers.set("x-ms-documentdb-is-upsert", "True");
  api.call(req, what);
}

std::string_view BulkSender::op_name() const {
  switch (kind_) {
    case BulkKind::create:
      return "create";
    case BulkKind::upsert:
      return "upsert";
    case BulkKind::remove:
      return "delete";
  }
  return "";
}

}  // namespace polydb::cosmos
