// The one-transaction transfer under engine::copy() (src/engine/transfer.cpp)
// between real SQLite files: every row arrives once, progress is reported
// batch by batch, and a reader failure or a stop request midway leaves the
// target exactly as it was (no table in create mode, the old rows in append
// and replace modes).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/engine.hpp"
#include "polydb/error.hpp"

namespace polydb::engine {
namespace {

constexpr int64_t kRows = 20'000;
constexpr int64_t kBadRow = 15'000;  // holds text in an integer column, in the bad table

class Recorder final : public ProgressSink {
 public:
  void update(const Progress& p) override {
    updates.push_back(p);
    if (stop_after && updates.size() == *stop_after) stop->request_stop();
  }
  std::vector<Progress> updates;
  std::optional<size_t> stop_after;
  std::stop_source* stop = nullptr;
};

class TransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-transfer-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    src_ = "sqlite://" + (dir_ / "src.db").string();
    dst_ = "sqlite://" + (dir_ / "dst.db").string();
    ConnectOptions create;
    create.create_if_missing = true;
    auto src = connect(src_, create);
    for (const char* table : {"items", "bad"})
      src->execute(std::string("CREATE TABLE ") + table +
                   " (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v INTEGER)");
    src->execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO items SELECT i, 'item ' || i, i * 3 FROM n",
        std::vector<Value>{kRows});
    src->execute("INSERT INTO bad SELECT * FROM items");
    src->execute("UPDATE bad SET v = 'not a number' WHERE id = ?", std::vector<Value>{kBadRow});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // "rows sum(id) sum(v)" of `table` in the target, or "absent".
  std::string target(const std::string& table) {
    if (!std::filesystem::exists(dir_ / "dst.db")) return "absent";
    auto dst = connect(dst_);
    auto r = dst->query("SELECT count(*) FROM sqlite_schema WHERE name = ?",
                        std::vector<Value>{table});
    if (r->next()->row(0).at(0).as<int64_t>() == 0) return "absent";
    auto sums = dst->query("SELECT count(*), coalesce(sum(id), 0), coalesce(sum(v), 0) FROM " +
                           table);
    const auto row = sums->next()->row(0);
    return row.at(0).to_text() + " " + row.at(1).to_text() + " " + row.at(2).to_text();
  }

  CopyOptions options(const std::string& table, WriteMode mode) {
    CopyOptions o;
    o.table = table;
    o.dst_table = "out";
    o.mode = mode;
    o.batch_rows = 1000;
    return o;
  }

  // A target table `out` holding three rows of its own.
  void make_old_target() {
    ConnectOptions create;
    create.create_if_missing = true;
    auto dst = connect(dst_, create);
    dst->execute("CREATE TABLE out (id INTEGER PRIMARY KEY, name TEXT NOT NULL, v INTEGER)");
    dst->execute("INSERT INTO out VALUES (-1, 'old', 1), (-2, 'old', 2), (-3, 'old', 3)");
  }

  std::filesystem::path dir_;
  std::string src_, dst_;
};

const std::string kAllRows =
    std::to_string(kRows) + " " + std::to_string(kRows * (kRows + 1) / 2) + " " +
    std::to_string(3 * kRows * (kRows + 1) / 2);
const std::string kOldRows = "3 -6 6";

TEST_F(TransferTest, CopiesEveryRowOnceAndReportsProgressBatchByBatch) {
  Recorder progress;
  CopyOptions o = options("items", WriteMode::create);
  o.progress = &progress;
  ConnectOptions c;
  c.create_if_missing = true;
  const CopyStats stats = copy(src_, dst_, o, c);
  EXPECT_EQ(stats.rows, static_cast<uint64_t>(kRows));
  EXPECT_EQ(stats.batches, static_cast<uint64_t>(kRows / 1000));
  EXPECT_EQ(target("out"), kAllRows);
  ASSERT_GE(progress.updates.size(), static_cast<size_t>(kRows / 1000));
  uint64_t last = 0;
  for (const auto& p : progress.updates) {
    EXPECT_GE(p.rows, last) << "progress never goes back";
    last = p.rows;
    EXPECT_EQ(p.total_rows, std::optional<uint64_t>(kRows)) << "the total is known up front";
  }
  EXPECT_EQ(last, static_cast<uint64_t>(kRows));
}

TEST_F(TransferTest, ParallelReadersOfOneSnapshotGiveEveryRowOnce) {
  CopyOptions o = options("items", WriteMode::create);
  o.parallel = 3;
  ConnectOptions c;
  c.create_if_missing = true;
  EXPECT_EQ(copy(src_, dst_, o, c).rows, static_cast<uint64_t>(kRows));
  EXPECT_EQ(target("out"), kAllRows);
}

TEST_F(TransferTest, AReaderFailureMidwayLeavesTheTargetAsItWas) {
  for (const WriteMode mode : {WriteMode::create, WriteMode::append, WriteMode::replace}) {
    SCOPED_TRACE(std::string(to_string(mode)));
    if (mode != WriteMode::create) make_old_target();
    ConnectOptions c;
    c.create_if_missing = true;
    try {
      copy(src_, dst_, options("bad", mode), c);
      ADD_FAILURE() << "the text in an integer column was copied";
    } catch (const Error& e) {
      EXPECT_NE(e.code(), ErrorCode::internal) << e.what();
    }
    EXPECT_EQ(target("out"), mode == WriteMode::create ? "absent" : kOldRows);
    std::filesystem::remove(dir_ / "dst.db");
  }
}

TEST_F(TransferTest, AStopRequestMidwayEndsWithCancelledAndTheTargetAsItWas) {
  for (const WriteMode mode : {WriteMode::create, WriteMode::append, WriteMode::replace}) {
    SCOPED_TRACE(std::string(to_string(mode)));
    if (mode != WriteMode::create) make_old_target();
    std::stop_source stop;
    Recorder progress;
    progress.stop = &stop;
    progress.stop_after = 5;  // of 20 batches
    CopyOptions o = options("items", mode);
    o.progress = &progress;
    o.stop = stop.get_token();
    ConnectOptions c;
    c.create_if_missing = true;
    c.stop = stop.get_token();
    try {
      copy(src_, dst_, o, c);
      ADD_FAILURE() << "the copy ignored the stop request";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::cancelled) << e.what();
    }
    EXPECT_LT(progress.updates.size(), static_cast<size_t>(kRows / 1000)) << "it stopped early";
    EXPECT_EQ(target("out"), mode == WriteMode::create ? "absent" : kOldRows);
    std::filesystem::remove(dir_ / "dst.db");
  }
}

}  // namespace
}  // namespace polydb::engine
