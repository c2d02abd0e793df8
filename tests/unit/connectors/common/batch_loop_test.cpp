#include "connectors/common/batch_loop.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "polydb/error.hpp"
#include "polydb/filter.hpp"

namespace polydb {
namespace {

struct LoopSetup {
  std::shared_ptr<const Schema> schema;
  size_t batch_rows = 4;
  size_t batch_bytes = 1u << 20;
  std::optional<Filter> residual;
  std::optional<uint64_t> limit;
};

LoopSetup setup_of(size_t batch_rows) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"s", TypeId::string, true, ""}};
  LoopSetup setup;
  setup.schema = s;
  setup.batch_rows = batch_rows;
  return setup;
}

// Rows 0..n-1: (i, a text of `width` bytes).
struct Rows {
  int64_t n = 0;
  size_t width = 1;
  int64_t next = 0;
  int appended_after_end = 0;
  bool append_row(Batch& batch) {
    if (next >= n) {
      ++appended_after_end;
      return false;
    }
    batch.column(0).append_int64(next);
    batch.column(1).append_var(std::string(width, 'x'));
    batch.commit_row();
    ++next;
    return true;
  }
};

struct LimitedRows : Rows {
  int limit_calls = 0;
  void limit_reached() { ++limit_calls; }
};

struct CountedRows : Rows {
  size_t counted = 0;
  int batches = 0;
  size_t row_bytes() { return counted; }
  void before_batch() { ++batches; }
};

std::vector<std::vector<int64_t>> drain(BatchLoop& loop, auto& rows, const LoopSetup& setup) {
  std::vector<std::vector<int64_t>> out;
  while (auto b = loop.next(rows, setup)) {
    EXPECT_GT(b->num_rows(), 0u);
    auto& ids = out.emplace_back();
    for (size_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).int64_at(i));
  }
  return out;
}

TEST(BatchLoop, CutsBatchesAtTheRowCap) {
  BatchLoop loop("test");
  Rows rows{.n = 10};
  const auto batches = drain(loop, rows, setup_of(4));
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(batches[2], (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(loop.emitted(), 10u);
  EXPECT_FALSE(loop.next(rows, setup_of(4)));
  EXPECT_EQ(rows.appended_after_end, 1);  // the end is not asked for again
}

TEST(BatchLoop, CutsBatchesAtTheByteCapAfterEveryRow) {
  BatchLoop loop("test");
  Rows rows{.n = 10, .width = 1000};
  LoopSetup setup = setup_of(100);
  setup.batch_bytes = 2500;
  const auto batches = drain(loop, rows, setup);
  ASSERT_EQ(batches.size(), 4u);  // 3 rows pass 2500 bytes
  EXPECT_EQ(batches[0].size(), 3u);
  EXPECT_EQ(batches[3].size(), 1u);
}

TEST(BatchLoop, ASourceThatCountsItsBytesDecides) {
  BatchLoop loop("test");
  CountedRows rows;
  rows.n = 10;
  rows.counted = 10;
  LoopSetup setup = setup_of(100);
  setup.batch_bytes = 25;
  const auto batches = drain(loop, rows, setup);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[0].size(), 3u);
  EXPECT_EQ(rows.batches, 4);  // before_batch: once per batch, not after the end
}

TEST(BatchLoop, FiltersAndSkipsBatchesTheFilterEmpties) {
  BatchLoop loop("test");
  Rows rows{.n = 20};
  LoopSetup setup = setup_of(4);
  setup.residual = Filter::compare("id", CompareOp::ge, Value(int64_t{10}));
  const auto batches = drain(loop, rows, setup);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<int64_t>{10, 11}));
  EXPECT_EQ(loop.emitted(), 10u);
}

TEST(BatchLoop, StopsAtTheLimitAndReleasesTheRestOnce) {
  BatchLoop loop("test");
  LimitedRows rows;
  rows.n = 100;
  LoopSetup setup = setup_of(4);
  setup.limit = 6;
  const auto batches = drain(loop, rows, setup);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1], (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(rows.limit_calls, 1);
  EXPECT_EQ(rows.next, 8);  // the second batch was read whole, then cut
  EXPECT_FALSE(loop.next(rows, setup));
  EXPECT_EQ(rows.limit_calls, 1);
}

TEST(BatchLoop, AResultEndingAtTheLimitNeedsNoRelease) {
  BatchLoop loop("test");
  LimitedRows rows;
  rows.n = 3;
  LoopSetup setup = setup_of(4);
  setup.limit = 3;
  EXPECT_EQ(drain(loop, rows, setup).size(), 1u);
  EXPECT_EQ(rows.limit_calls, 0);
}

TEST(BatchLoop, ALimitOfZeroReadsNothing) {
  BatchLoop loop("test");
  LimitedRows rows;
  rows.n = 3;
  LoopSetup setup = setup_of(4);
  setup.limit = 0;
  EXPECT_FALSE(loop.next(rows, setup));
  EXPECT_EQ(rows.next, 0);
  EXPECT_EQ(rows.limit_calls, 1);
}

TEST(BatchLoop, ErrorsOfTheSourcePropagate) {
  struct Failing {
    bool append_row(Batch&) { throw Error(ErrorCode::connection, "gone", "test"); }
  } rows;
  BatchLoop loop("test");
  EXPECT_THROW(loop.next(rows, setup_of(4)), Error);
}

}  // namespace
}  // namespace polydb
