// snapshot() / open_snapshot_readers(): connections that start their consistent-snapshot
// transactions under FLUSH TABLES WITH READ LOCK.

#include <gtest/gtest.h>

#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::mytest {
namespace {

using MysqlSnapshotTest = MysqlTest;

int64_t count(Connection& c, const std::string& table) {
  auto r = c.query("SELECT count(*) FROM " + table);
  return collect_rows(*r).at(0).at(0).as<int64_t>();
}

TEST_F(MysqlSnapshotTest, ReadersShareOneSnapshotWhileOthersWrite) {
  EXPECT_TRUE(conn_->capabilities().shared_snapshot);
  conn_->execute("CREATE TABLE s (id BIGINT PRIMARY KEY, v TEXT) ENGINE=InnoDB");
  conn_->execute(
      "INSERT INTO s WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
      "1000) SELECT x, CONCAT('v', x) FROM c");
  auto readers = conn_->open_snapshot_readers(3);
  ASSERT_EQ(readers.size(), 3u);
  // Changes committed after the snapshot: no reader sees them.
  conn_->execute("INSERT INTO s VALUES (1001, 'new'), (1002, 'new')");
  conn_->execute("DELETE FROM s WHERE id <= 100");
  size_t rows = 0;
  for (uint32_t k = 0; k < readers.size(); ++k) {
    EXPECT_EQ(count(*readers[k], "s"), 1000);
    auto r = readers[k]->scan({.table = "s", .partition = {k, 3}});
    rows += collect_rows(*r).size();
  }
  EXPECT_EQ(rows, 1000u);
  EXPECT_THROW(readers[1]->execute("DELETE FROM s"), Error);  // read-only
  readers.clear();
  EXPECT_EQ(count(*conn_, "s"), 902);
}

// MySQL's readers start together under the lock: the Snapshot hands out the
// ones it was opened for, and refuses more.
TEST_F(MysqlSnapshotTest, SnapshotHandsOutTheReadersItWasOpenedFor) {
  conn_->execute("CREATE TABLE o (id BIGINT PRIMARY KEY) ENGINE=InnoDB");
  conn_->execute("INSERT INTO o VALUES (1), (2), (3)");
  auto snap = conn_->snapshot(2);
  conn_->execute("INSERT INTO o VALUES (4)");
  auto a = snap->open_reader();
  auto b = snap->open_reader();
  EXPECT_EQ(error_of([&] { snap->open_reader(); }).code(), ErrorCode::invalid_argument);
  snap.reset();
  EXPECT_EQ(count(*a, "o"), 3);
  EXPECT_EQ(count(*b, "o"), 3);
  EXPECT_EQ(error_of([&] { conn_->snapshot(0); }).code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace polydb::mytest
