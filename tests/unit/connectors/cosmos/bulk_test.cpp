// How bulk operations are cut into requests: one partition key range per
// request, at most 100 operations, each partition key value's operations in
// order within one task. The emulator has a single range (it cannot create
// containers with several), so the multi-range grouping is checked here.

#include "connectors/cosmos/bulk.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace polydb::cosmos {
namespace {

BulkOp op(std::string partition, std::string range, size_t body_bytes = 10) {
  return {.id = "",
          .partition = std::move(partition),
          .body = std::string(body_bytes, 'x'),
          .range = std::move(range)};
}

TEST(CosmosBulkPlan, RequestsHoldOneRangeAndPartitionsKeepTheirOrder) {
  std::vector<BulkOp> ops;
  const PartitionKey key{.paths = {"id"}, .kind = "Hash", .version = 2};
  const std::vector<KeyRange> ranges = {{"0", "", "15"}, {"1", "15", "2A"}, {"2", "2A", "FF"}};
  for (int i = 0; i < 1000; ++i) {  // 250 partition values, 4 operations each, interleaved
    const Json values = Json::array({"p" + std::to_string(i % 250)});
    ops.push_back(op(values.dump(), range_of(ranges, effective_partition_key(values, key))->id));
  }
  const auto tasks = plan_requests(ops);
  std::set<size_t> seen;
  std::map<std::string, size_t> task_of_partition;
  std::map<std::string, size_t> last_of_partition;
  for (size_t t = 0; t < tasks.size(); ++t) {
    for (const auto& request : tasks[t]) {
      ASSERT_FALSE(request.empty());
      EXPECT_LE(request.size(), 100u);
      for (size_t i : request) {
        EXPECT_EQ(ops[i].range, ops[request.front()].range) << "a request spans two ranges";
        EXPECT_TRUE(seen.insert(i).second) << "operation " << i << " planned twice";
        auto [it, fresh] = task_of_partition.try_emplace(ops[i].partition, t);
        EXPECT_EQ(it->second, t) << ops[i].partition << " is split over two tasks";
        if (!fresh) {
          EXPECT_GT(i, last_of_partition[ops[i].partition]) << "out of order";
        }
        last_of_partition[ops[i].partition] = i;
      }
    }
  }
  EXPECT_EQ(seen.size(), ops.size());
  std::set<std::string> used;
  for (const auto& o : ops) used.insert(o.range);
  EXPECT_EQ(used.size(), 3u) << "250 keys should hash into every range";
}

TEST(CosmosBulkPlan, BigPartitionsGetConsecutiveRequestsAndBytesAreCapped) {
  std::vector<BulkOp> ops;
  for (int i = 0; i < 250; ++i) ops.push_back(op(R"(["big"])", "0"));
  for (int i = 0; i < 30; ++i) ops.push_back(op(R"(["large"])", "0", 100'000));
  const auto tasks = plan_requests(ops);
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& task : tasks) {
    size_t n = 0;
    for (const auto& request : task) {
      size_t bytes = 0;
      for (size_t i : request) bytes += ops[i].body.size();
      EXPECT_LE(bytes, 1'500'000u);
      n += request.size();
    }
    EXPECT_TRUE(n == 250 || n == 30);
  }
}

TEST(CosmosBulkPlan, OperationsWithoutARangeAreSentOneByOne) {
  std::vector<BulkOp> ops = {op(R"(["a"])", ""), op(R"(["a"])", ""), op(R"(["b"])", "0")};
  const auto tasks = plan_requests(ops);
  size_t unranged = 0;
  for (const auto& task : tasks)
    for (const auto& request : task)
      if (ops[request.front()].range.empty()) {
        unranged += request.size();
        for (size_t i : request) EXPECT_EQ(ops[i].partition, R"(["a"])");
      }
  EXPECT_EQ(unranged, 2u);
}

TEST(CosmosResourceUsage, DocumentsCountIsReadFromTheUsageHeader) {
  EXPECT_EQ(documents_count("documentSize=0;documentsSize=12;documentsCount=42;collectionSize=13"),
            std::optional<uint64_t>(42));
  EXPECT_EQ(documents_count("documentsCount=7"), std::optional<uint64_t>(7));
  EXPECT_EQ(documents_count("documentsSize=12; documentsCount=0 "), std::optional<uint64_t>(0));
  EXPECT_EQ(documents_count("documentsSize=12"), std::nullopt);
  EXPECT_EQ(documents_count("documentsCount=-1"), std::nullopt);
  EXPECT_EQ(documents_count("documentsCount=abc"), std::nullopt);
  EXPECT_EQ(documents_count(""), std::nullopt);
}

}  // namespace
}  // namespace polydb::cosmos
